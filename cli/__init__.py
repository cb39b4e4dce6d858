"""The ``buddy`` console command: one module per area, wired together in ``main.py``."""
