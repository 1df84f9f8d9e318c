"""Alembic environment: runs against the engine huitong hands over (SQLite or PostgreSQL)."""

from alembic import context

from huitong.tables import metadata

config = context.config


def run() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from huitong.config import load_settings
        from huitong.db.base import make_engine

        engine = make_engine(load_settings().metadata_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
