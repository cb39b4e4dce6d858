"""``buddy db``: the conversation log's schema."""

from __future__ import annotations

import typer

from cli.common import fail, settings_or_exit

app = typer.Typer(help="Conversation log database (schema by Alembic).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Create or migrate the log's tables (also done automatically at start)."""
    from core.storage.db import upgrade_schema

    settings = settings_or_exit()
    url = settings.resolved_database_url
    try:
        upgrade_schema(url, revision)
    except Exception as exc:  # surface the database's own words, with the URL's backend
        fail(f"could not migrate {url.split('://')[0]} database: {exc}")
    typer.echo(f"database schema at {revision}")
