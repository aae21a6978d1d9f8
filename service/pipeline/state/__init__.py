"""State: alerts, sensor states and snapshots the pipeline keeps, and the files they survive restarts in."""
