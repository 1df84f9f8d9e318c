"""``huitong token``: API tokens (prefixed ``htpat_``, shown once, hashed at rest)."""

from __future__ import annotations

import typer
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.org import service

app = typer.Typer(no_args_is_help=True)


@app.command("issue")
@command
def issue(
    username: str,
    name: str = typer.Option("cli", help="What the token is for."),
    scope: str = typer.Option("read", help="read or write."),
    days: int = typer.Option(90, help="Lifetime in days (1-366)."),
) -> None:
    """Issue a token; the secret is printed once."""
    with state.db.session() as s:
        tok, secret = service.issue_token(s, state.actor(s), username, name, scope=scope, ttl_days=days)
    # Shown only once the token is stored: a failed commit must not leave a usable-looking secret.
    console.print(f"token {tok.token_id} ({tok.scope}, expires {tok.expires_at:%Y-%m-%d}):")
    console.print(secret, highlight=False, soft_wrap=True)


@app.command("list")
@command
def list_(username: str) -> None:
    """List a user's tokens (never their secrets)."""
    with state.db.session() as s:
        table = Table("id", "name", "scope", "expires", "revoked", "last used")
        for t in service.list_tokens(s, state.actor(s), username):
            table.add_row(
                t.token_id,
                t.name,
                t.scope,
                f"{t.expires_at:%Y-%m-%d}",
                f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "",
            )
        console.print(table)


@app.command("revoke")
@command
def revoke(token_id: str) -> None:
    """Revoke a token at once."""
    with state.db.session() as s:
        service.revoke_token(s, state.actor(s), token_id)
        console.print(f"token {token_id} revoked")
