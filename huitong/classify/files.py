"""An upload checked for personal data before it is sent (the console's 报送前检查文件 and
``POST /api/classify/discover``): saved only in a temporary folder while it is read, never kept."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from huitong.aggregate.files import read_table
from huitong.classify import discover
from huitong.errors import Problem, invalid

NAME_BYTES = 200  # an uploaded file's name kept as given up to this length (file systems allow 255)


def upload_name(filename: str | None) -> str:
    """A name to save an upload under in a fresh temporary folder: the client's own file name when it
    is an ordinary one, else ``upload`` with its extension (a name of ``..``, a NUL byte, a separator
    or one longer than a file system allows never reaches the file system)."""
    name = Path((filename or "").replace("\\", "/")).name
    if name in ("", ".", "..") or "\x00" in name or len(name.encode()) > NAME_BYTES:
        suffix = Path(name.replace("\x00", "")).suffix
        return "upload" + (suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", suffix) else ".csv")
    return name


def discover_upload(filename: str | None, data: bytes, limit: int) -> tuple[str, Any]:
    """An uploaded export checked for personal data (the API's and the console's one rule): at most
    ``limit`` bytes (give the caller's read of ``limit + 1`` bytes), saved only in a temporary folder
    while it is read, never kept. Returns the name it was read under and the :class:`Scan`."""
    name = upload_name(filename)
    if len(data) > limit:
        raise invalid(f"{name} is larger than {limit // (1024 * 1024)} MB", Problem("too large", file=name))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return name, discover.scan(read_table(path))
