"""The application factory: one Database per app, migrations applied at start."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from huitong import __version__
from huitong.api.limits import BodyLimit
from huitong.config import Settings
from huitong.db.base import Database
from huitong.errors import HuitongError

log = logging.getLogger("huitong.api")


def _problem_json(exc: HuitongError) -> dict:
    return {"error": exc.code, "message": exc.message, "problems": [p.as_dict() for p in exc.problems]}


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    from huitong.api.routes import (
        aggregate,
        catalog,
        classify,
        deid,
        deliver,
        elements,
        fuse,
        ledger,
        objections,
        org,
        quality,
        share,
    )

    if db is None:
        from huitong.bootstrap import open_database

        if settings is None:
            from huitong.config import load_settings

            settings = load_settings()
        db = open_database(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        from huitong.catalog.search_service import save_search, warm
        from huitong.ledger.process import stop_process_writer, use_process_writer
        from huitong.ledger.runtime import LedgerDaemon
        from huitong.share.subscriptions import OutboxDaemon

        interval = 0.2  # new entries join the Merkle tree within this many seconds
        writer = (settings is None or settings.ledger_process) and use_process_writer(
            db, sequence_every=interval
        )
        daemon = outbox = None
        try:
            daemon = LedgerDaemon(
                db,
                interval=interval,
                checkpoint_every=float(settings.checkpoint_seconds if settings else 60),
                # the writer process sequences; this thread does only while it is down
                sequence=(lambda: not writer.alive) if writer else True,
            ).start()
            outbox = OutboxDaemon(db).start()
            # What is alive once the app has started (modules, mappers, compiled statements) is
            # never garbage: moving it out of the collector's reach keeps full collections short,
            # and those pauses were the verification API's p99 (200 ms → 76 ms; docs/benchmarks.md).
            gc.collect()
            gc.freeze()
            # the search index too, once it has loaded (from its saved copy beside the database)
            warm(db, then=gc.freeze, snapshot=settings.search_index_file if settings else None)
            yield
        finally:
            save_search(db)
            if outbox is not None:
                outbox.stop()
            stop_process_writer(db)  # what it holds is written first, then sequenced by the daemon's last run
            if daemon is not None:
                daemon.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="huitong 汇通",
        version=__version__,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        description="Aggregate, govern, share and open government data.",
    )
    app.state.db = db
    app.state.settings = settings
    app.add_middleware(BodyLimit)  # bodies are refused by size before they are read

    @app.exception_handler(HuitongError)
    async def _huitong_error(request: Request, exc: HuitongError):
        return JSONResponse(_problem_json(exc), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        problems = [
            {"message": e["msg"], "field": ".".join(str(x) for x in e["loc"] if x != "body")}
            for e in exc.errors()
        ]
        return JSONResponse(
            {"error": "invalid", "message": "the request body is not valid", "problems": problems},
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"error": "internal", "message": "internal error; it has been logged"}, status_code=500
        )

    @app.get("/api/health", tags=["meta"])
    def health() -> dict:
        return {"status": "ok", "version": __version__, "database": db.dialect}

    app.router.routes[:0] = deliver.HOT_ROUTES  # first: the calls made most (see routes/deliver.py)
    app.include_router(deliver.router)
    app.include_router(org.router)
    app.include_router(elements.router)
    app.include_router(catalog.router)
    app.include_router(ledger.router)
    app.include_router(aggregate.router)
    app.include_router(share.router)
    app.include_router(quality.router)
    app.include_router(classify.router)
    app.include_router(deid.router)
    app.include_router(fuse.router)
    app.include_router(objections.router)
    from huitong.web import mount_console

    mount_console(app)  # the console at /, after the API so /api/* is never shadowed
    return app
