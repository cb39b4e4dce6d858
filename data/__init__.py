"""Buddy's own data, installed with it as package data (see :mod:`core.resources`).

``dataset/`` trains the embedded default model; ``crisis/`` holds the labelled crisis
messages the safety check is measured and trained with; ``conversations/`` the scripted
conversations of ``buddy bench conversation``. Read it through
``core.resources.data_path(...)`` / ``require(...)``, never through a path built from
``__file__`` of another package, so that it is found after any install.
"""
