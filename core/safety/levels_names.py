"""The risk level names, shared by training and the runtime (no imports, no logic).

C-SSRS-inspired, in order of urgency; ``core/safety/levels.py`` gives them behaviour.
"""

LEVELS = ("none", "distress", "passive", "ideation", "method", "plan", "imminent")
# Levels at which Buddy answers with the crisis reply.
CRISIS_LEVELS = frozenset(LEVELS[2:])
