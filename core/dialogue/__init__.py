"""Dialogue logic: reading a message in its conversation, and the reply that follows (pure).

``state`` (what a conversation remembers), ``shortreply`` and ``meta`` (reading short
answers and questions about Buddy), ``questions`` (what Buddy just asked), ``policy`` (what a
turn does to the topic), ``followups``/``topics`` (replies that continue a topic) and
``respond`` (the reply and the next state for one turn). No I/O: the pipeline reads and writes
the state through ``core.storage.dialogue_state``. Design: ``docs/CONVERSATIONS.md``.
"""

from core.dialogue.state import DialogueState, QuestionKind

__all__ = ["DialogueState", "QuestionKind"]
