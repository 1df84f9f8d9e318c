"""The governance web console (治理控制台): server-rendered pages over the same services and
permission checks as the REST API, mounted at ``/`` beside ``/api`` (see docs/web.md)."""

from huitong.web.console import mount_console

__all__ = ["mount_console"]
