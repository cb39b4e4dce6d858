"""Every length limit of a message, in one place, and how they relate.

Adapters accept at most :data:`MAX_TEXT_CHARS`; the crisis check reads every one of those
characters (in overlapping windows, see :func:`core.safety.detector.assess`), while the
classifier and Kiwi keep their own, smaller caps for speed. Keeping them here means a new
adapter cannot accept more than the crisis check reads: ``tests/core/test_limits.py``
checks each adapter's cap against :data:`MAX_TEXT_CHARS`.
"""

from __future__ import annotations

# The most a user message may hold, on every adapter (Telegram's 4,096 and Discord's 4,000
# are below it). The web API answers 422 above it; the pipeline never reads further.
MAX_TEXT_CHARS = 20_000
# What the classifier sees: the start of the message (its answer is about the topic).
MODEL_MAX_CHARS = 512
# The crisis check reads the whole message; above this length it also reads it in windows
# of this size, so every layer (patterns, Kiwi morphology, guards, the learned signal) sees
# each part of a long message as it sees a short one.
SAFETY_WINDOW_CHARS = 800
# Consecutive windows overlap by this much, so a crisis sentence cut by a window's edge is
# whole in the next one (sentences are far shorter).
SAFETY_WINDOW_OVERLAP = 200
# Kiwi analyses at most this many Hangul syllables of a window (its cost grows fast).
MORPH_MAX_CHARS = 600
# The web API's body limit: 20,000 Korean characters as \uXXXX escapes take 120,000 bytes.
MAX_BODY_BYTES = 128 * 1024
