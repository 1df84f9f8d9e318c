"""A database id in a path: a positive 64-bit integer, so an id past the database's range is a
clear 422, not a server error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

DbId = Annotated[int, Path(ge=1, le=2**63 - 1, description="a database id")]
