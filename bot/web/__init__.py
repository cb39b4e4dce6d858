"""The web chat page and the JSON API, served by FastAPI on the bot's own event loop.

``bot.serve`` builds the app with :func:`bot.web.app.create_app` and runs it under
uvicorn next to the Telegram and Discord adapters; the /admin dashboard plugs in through
``create_app(..., extra_routers=...)``.
"""

from bot.web.app import create_app

__all__ = ["create_app"]
