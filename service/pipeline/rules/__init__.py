"""Rules: detection, sensor and fusion rules evaluated against frames, readings and time."""
