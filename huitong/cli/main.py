"""``huitong``: every command group with one-line help; errors are one clear line."""

from __future__ import annotations

from pathlib import Path

import typer

from huitong import __version__
from huitong.cli import (
    audit,
    catalog,
    classify,
    deid,
    deliver,
    element,
    fuse,
    ingest,
    objection,
    org,
    quality,
    share,
    token,
    user,
    worker,
)
from huitong.cli.context import command, console, state

app = typer.Typer(
    help="汇通 huitong: aggregate, govern, share and open government data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(org.app, name="org", help="Regions (行政区域) and departments (部门).")
app.add_typer(user.app, name="user", help="Users and their roles.")
app.add_typer(token.app, name="token", help="API tokens: issue, list, revoke.")
app.add_typer(element.app, name="element", help="Standard data elements (数据元) and value checks.")
app.add_typer(catalog.app, name="catalog", help="The resource catalog (政务信息资源目录).")
app.add_typer(ingest.source_app, name="source", help="Department data sources (数据源): add, list, test.")
app.add_typer(ingest.ingest_app, name="ingest", help="Aggregation (数据归集): map, run, history, rejects.")
app.add_typer(ingest.data_app, name="data", help="Stored versions of a resource: show, versions, diff.")
app.add_typer(quality.app, name="quality", help="Data quality (数据质量): rules, runs, results, scorecards.")
app.add_typer(
    classify.app,
    name="classify",
    help="Classification and grading (分类分级): scan, findings, confirm, reviews.",
)
app.command("discover")(command(classify.discover))  # a file's personal data, before it is sent
app.add_typer(
    deid.app, name="deid", help="De-identification (去标识化): releases, risk, DP statistics, budgets."
)
app.add_typer(
    fuse.app,
    name="fuse",
    help="Record linkage and base libraries (基础库, 多源融合): link files, runs, review.",
)
app.add_typer(objection.app, name="objection", help="Objections (异议处理): raise, list, show, step.")
app.add_typer(
    share.app, name="share", help="Sharing (共享): cart, request, decide, grants, recalls, credentials."
)
app.add_typer(
    deliver.app, name="deliver", help="Receive data under a grant: query, verify, export, subscribe."
)
app.command("worker")(worker.worker)  # scheduled loads (huitong/cli/worker.py)
app.add_typer(
    audit.app, name="audit", help="The tamper-evident ledger (留痕): verify, proofs, who used what."
)


@app.callback()
def main(
    config: Path | None = typer.Option(
        None, "--config", help="huitong.toml to read (default ./huitong.toml)."
    ),
    acting_as: str | None = typer.Option(
        None, "--as", envvar="HUITONG_AS", help="Act as this user (default: the local system administrator)."
    ),
) -> None:
    state.config = config
    state.acting_as = acting_as


@app.command()
@command
def version() -> None:
    """Print the version."""
    console.print(f"huitong {__version__}")


@app.command()
@command
def init() -> None:
    """Create the data directory and metadata database, apply migrations, seed the registries."""
    from huitong.bootstrap import open_database, seed
    from huitong.db.migrate import current_revision

    settings = state.settings
    db = open_database(settings)
    with db.session() as session:
        seed(session)
    console.print(f"data directory: [bold]{settings.data_dir.resolve()}[/]")
    console.print(
        f"metadata database: {db.engine.url.render_as_string(hide_password=True)} "
        f"(schema {current_revision(db.engine)})"
    )


@app.command()
@command
def serve(
    host: str | None = typer.Option(None, help="Bind address (default from configuration)."),
    port: int | None = typer.Option(None, help="Port (default from configuration)."),
) -> None:
    """Run the web server: the REST API (OpenAPI at /api/docs)."""
    import uvicorn

    from huitong.api.app import create_app

    settings = state.settings
    app_ = create_app(settings)
    h, p = host or settings.bind_host, port or settings.bind_port
    console.print(f"serving on http://{h}:{p}/  (API docs: http://{h}:{p}/api/docs)")
    uvicorn.run(app_, host=h, port=p, log_level="warning")


@app.command()
@command
def demo(
    data_dir: Path = typer.Option(Path("huitong-demo"), help="Where the demo city lives."),
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Start the server when loaded."),
    port: int = typer.Option(8000, help="Port to serve on."),
    people: int = typer.Option(30_000, "--people", help="Residents to generate (enterprises: a tenth)."),
) -> None:
    """Build the sample city (catalog, residents, loaded sources, sharing) and serve it."""
    from huitong.demo.city import build_demo

    settings = build_demo(data_dir, port=port, people=people)
    if serve_after:
        import uvicorn

        from huitong.api.app import create_app

        uvicorn.run(create_app(settings), host=settings.bind_host, port=port, log_level="warning")


if __name__ == "__main__":
    app()
