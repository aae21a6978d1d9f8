"""Cameras: one state object per camera, created on first sight."""
