"""The metadata store: SQLAlchemy 2 on SQLite (default) or PostgreSQL (production)."""

from huitong.db.base import Base, Database, utcnow

__all__ = ["Base", "Database", "utcnow"]
