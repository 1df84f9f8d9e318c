"""``huitong worker``: the long-running process that runs sources' scheduled loads."""

from __future__ import annotations

import typer

from huitong.cli.context import command, console, state


@command
def worker(
    once: bool = typer.Option(False, "--once", help="Run what is due now, then exit (for cron and tests)."),
    interval: float = typer.Option(None, help="Seconds between looks for due sources (worker_poll_seconds)."),
) -> None:
    """Run each source's load when its cron schedule comes round, as the person who added it."""
    from huitong.aggregate.schedule import zone
    from huitong.aggregate.worker import Outcome, Worker
    from huitong.store import Store

    settings = state.settings
    tz = zone(settings.schedule_timezone)
    every = interval if interval is not None else settings.worker_poll_seconds
    if every <= 0:
        raise typer.BadParameter("the interval is a number of seconds above 0")
    failed = 0

    def report(outcome: Outcome) -> None:
        nonlocal failed
        failed += outcome.status in ("failed", "aborted")
        style = "red" if outcome.status in ("failed", "aborted") else "green"
        console.print(f"[{style}]{outcome.line()}[/]", highlight=False)

    with Store.from_settings(settings) as store:
        w = Worker(state.db, store, interval=every, tz=tz, report=report)
        if not once:
            console.print(f"worker started: looking for due sources every {every:g} s ({tz}); Ctrl-C stops")
        ran = w.run(once=once)
    if once and not ran:
        console.print("no source is due")
    if not once:
        console.print(f"worker stopped after {ran} load(s)")
    if once and failed:
        raise typer.Exit(1)
