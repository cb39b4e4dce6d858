"""Human handoff: a person takes a conversation over, talks in the user's own chat, hands
it back (issue 16). Pure logic in small modules; storage in :mod:`core.storage.handoff`.

- :mod:`~core.handoff.states`: the states and the moves between them
- :mod:`~core.handoff.recognise`: "사람이랑 얘기하고 싶어" and other requests for a person
- :mod:`~core.handoff.hours`: ``OPERATOR_HOURS`` and the operators' time zone
- :mod:`~core.handoff.texts`: what the user reads
- :mod:`~core.handoff.crypto`: the platform address sealed with AES-GCM
- :mod:`~core.handoff.operators`: ``OPERATORS`` (names and tokens)
- :mod:`~core.handoff.live`: the in-process feed an operator's view awaits
- :mod:`~core.handoff.service`: take, send, hand back, expire
- :mod:`~core.handoff.gate`: what the pipeline asks of it for each message
"""
