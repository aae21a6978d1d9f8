"""Analysis: decode, motion gate, models, tracking and zones: a frame becomes what the rules see."""
