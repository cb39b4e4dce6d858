"""Training of the learned crisis model (``core/safety/learned.py`` loads what this writes)."""
