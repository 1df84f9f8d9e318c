"""Every package's tables, so ``Base.metadata`` knows the whole schema (for Alembic and the
schema tests). Nothing in a domain package imports this module: a package that needs another's
table by name (the ledger writer's effects) looks it up in ``Base.metadata``."""

from huitong.aggregate import tables as aggregate_tables  # noqa: F401
from huitong.catalog import tables as catalog_tables  # noqa: F401
from huitong.classify import tables as classify_tables  # noqa: F401
from huitong.db.base import Base
from huitong.deid import tables as deid_tables  # noqa: F401
from huitong.fuse import tables as fuse_tables  # noqa: F401
from huitong.ledger import tables as ledger_tables  # noqa: F401
from huitong.org import tables as org_tables  # noqa: F401
from huitong.quality import tables as quality_tables  # noqa: F401
from huitong.share import tables as share_tables  # noqa: F401
from huitong.standards import tables as standards_tables  # noqa: F401

metadata = Base.metadata
