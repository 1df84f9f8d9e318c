"""What every command needs: settings, the database, who is acting, and clear errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console

from huitong.access import SYSTEM, Actor
from huitong.config import Settings, load_settings
from huitong.db.base import Database
from huitong.errors import HuitongError

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # paths and codes in errors must stay copyable


@dataclass
class State:
    config: Path | None = None
    acting_as: str | None = None
    _settings: Settings | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    @property
    def db(self) -> Database:
        if self._db is None:
            from huitong.bootstrap import open_database

            self._db = open_database(self.settings)
        return self._db

    def actor(self, session) -> Actor:
        if not self.acting_as:
            return SYSTEM
        from huitong.org.service import actor_for, get_user

        user = get_user(session, self.acting_as)
        if not user.active:
            raise HuitongError(f"user {user.username} is disabled")
        return actor_for(user)


state = State()


def report(exc: HuitongError) -> None:
    err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
    for problem in exc.problems[:50]:
        err_console.print(f"  - {problem}", highlight=False)
    if len(exc.problems) > 50:
        err_console.print(f"  … and {len(exc.problems) - 50} more", highlight=False)


def command(fn: Callable) -> Callable:
    """Turn any refusal into one clear message and a non-zero exit, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            out = fn(*args, **kwargs)
            if state._db is not None:  # what this command recorded joins the Merkle tree now
                from huitong.ledger.log import sequencer

                sequencer(state._db).integrate()
            return out
        except HuitongError as exc:
            report(exc)
            raise typer.Exit(1) from None
        except (OSError, ValueError) as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            sys.exit(130)

    return wrapper
