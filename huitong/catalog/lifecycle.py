"""The lifecycle of a catalog entry: draft → submitted → published → retired.

The operator reviews a submitted entry and publishes it or returns it with a reason; a
returned entry is edited and submitted again.
"""

from __future__ import annotations

from huitong.catalog.model import Status
from huitong.errors import HuitongError

TRANSITIONS: dict[str, dict[Status, Status]] = {
    "submit": {Status.draft: Status.submitted, Status.returned: Status.submitted},
    "publish": {Status.submitted: Status.published},
    "return": {Status.submitted: Status.returned},
    "retire": {
        Status.published: Status.retired,
        Status.draft: Status.retired,
        Status.returned: Status.retired,
    },
}


def next_status(current: Status, action: str) -> Status:
    table = TRANSITIONS.get(action)
    if table is None:
        raise HuitongError(f"unknown catalog action {action!r}", code="invalid_transition", status=409)
    if current not in table:
        allowed_from = ", ".join(s.value for s in table)
        raise HuitongError(
            f"cannot {action} an entry that is {current.value} ({current.label_zh}); "
            f"{action} applies to: {allowed_from}",
            code="invalid_transition",
            status=409,
        )
    return table[current]
