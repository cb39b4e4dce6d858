"""Thin platform adapters (Telegram, Discord, the web chat) and the ``buddy serve`` process.

Adapters turn a platform event into a :class:`core.messages.IncomingMessage`, call
``Buddy.handle`` and turn the :class:`core.messages.Reply` into platform messages.
"""
