"""Ingest: events from the bus or the HTTP trigger become frames (per-camera slots) and sensor readings."""
