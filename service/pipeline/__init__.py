"""The pipeline: EdgeX events in; analysed frames, rules, alerts and actions out (docs/ARCHITECTURE.md)."""
