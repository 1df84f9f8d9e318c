"""``huitong user``: people, their department and roles."""

from __future__ import annotations

import typer
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.org import service

app = typer.Typer(no_args_is_help=True)

ROLES_HELP = "Role: operator, dept_admin, dept_user, auditor (repeat for several)."


@app.command("add")
@command
def add(
    username: str = typer.Argument(...),
    department: str = typer.Argument(..., help="Department code."),
    role: list[str] = typer.Option(..., "--role", help=ROLES_HELP),
    display_name: str | None = typer.Option(None, "--name", help="Display name (default: the username)."),
    password: str | None = typer.Option(
        None, envvar="HUITONG_NEW_PASSWORD", help="Initial password (or set HUITONG_NEW_PASSWORD)."
    ),
) -> None:
    """Add a user to a department with roles."""
    with state.db.session() as s:
        u = service.add_user(
            s, state.actor(s), username, display_name or username, department, role, password
        )
        console.print(f"added user {u.username} ({', '.join(sorted(u.roles))}) in {u.department.name}")


@app.command("list")
@command
def list_() -> None:
    """List users: all of them for the operator, a department administrator's own department's."""
    with state.db.session() as s:
        table = Table("username", "name 姓名", "department 部门", "roles 角色", "active")
        for u in service.list_users(s, state.actor(s)):
            table.add_row(
                u.username,
                u.display_name,
                u.department.name,
                ", ".join(sorted(u.roles)),
                "yes" if u.active else "no",
            )
        console.print(table)


@app.command("roles")
@command
def roles(username: str, role: list[str] = typer.Option(..., "--role", help=ROLES_HELP)) -> None:
    """Replace a user's roles."""
    with state.db.session() as s:
        u = service.set_roles(s, state.actor(s), username, role)
        console.print(f"{u.username}: {', '.join(sorted(u.roles))}")


@app.command("passwd")
@command
def passwd(
    username: str, password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)
) -> None:
    """Set a user's password."""
    with state.db.session() as s:
        service.set_password(s, state.actor(s), username, password)
        console.print(f"password set for {username}")


@app.command("disable")
@command
def disable(username: str) -> None:
    """Disable a user and revoke their tokens."""
    with state.db.session() as s:
        service.set_active(s, state.actor(s), username, False)
        console.print(f"{username} disabled; tokens revoked")


@app.command("enable")
@command
def enable(username: str) -> None:
    """Enable a disabled user."""
    with state.db.session() as s:
        service.set_active(s, state.actor(s), username, True)
        console.print(f"{username} enabled")
