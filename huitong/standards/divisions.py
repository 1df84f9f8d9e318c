"""行政区划代码 (administrative division codes, GB/T 2260) with validity windows.

Codes are retired and re-used, and an identifier carries the code in force when it was issued,
so every code is kept with ``valid_from``/``valid_to`` and its successor; historical values are
checked against the table *as it stood on their date*.  The table ships as
``data/divisions.tsv`` (built by ``data/build_divisions.py`` from the 民政部 yearly lists); its
vintage is the date of the newest list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

from huitong.standards.findings import CheckResult, error, not_text, warning

Level = Literal["province", "prefecture", "county"]
CODE = re.compile(r"^\d{6}$", re.ASCII)

# 港澳台居民居住证 prefixes: valid province-level codes for any date (the 830000 one is used only
# by 台湾居民居住证; GB/T 2260 itself lists Taiwan as 710000).
RESIDENCE_PERMIT_REGIONS = {"810000": "香港特别行政区", "820000": "澳门特别行政区", "830000": "台湾地区"}


def level_of(code: str) -> Level:
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code.endswith("00") else "county"


@dataclass(frozen=True)
class Division:
    """One code in one validity window (a re-used code has several)."""

    code: str
    name: str
    valid_from: date
    valid_to: date | None = None  # None: still in force
    successor: str | None = None

    @property
    def level(self) -> Level:
        return level_of(self.code)

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def prefecture_code(self) -> str | None:
        return None if self.level == "province" else self.code[:4] + "00"

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def window(self) -> str:
        return f"{self.valid_from.isoformat()} to {self.valid_to.isoformat() if self.valid_to else 'now'}"


class DivisionTable:
    """All windows of all codes, with date-aware lookups."""

    def __init__(self, rows: Iterable[Division], vintage: str) -> None:
        self.vintage = vintage
        by_code: dict[str, list[Division]] = {}
        for row in rows:
            by_code.setdefault(row.code, []).append(row)
        for code, name in RESIDENCE_PERMIT_REGIONS.items():
            known = by_code.get(code)
            by_code[code] = [Division(code, known[-1].name if known else name, date.min)]
        self._by_code = {c: sorted(rs, key=lambda r: r.valid_from) for c, rs in by_code.items()}
        starts = [rs[0].valid_from for rs in self._by_code.values() if rs[0].valid_from > date.min]
        # The first list (1980) is the earliest evidence; older dates are checked against it.
        self.first_list = min(starts) if starts else date.min

    @property
    def VINTAGE(self) -> str:  # noqa: N802 - the name the platform uses for the table's date
        return self.vintage

    @classmethod
    def from_tsv(cls, text: str) -> DivisionTable:
        vintage = "unknown"
        rows: list[Division] = []
        for line in text.splitlines():
            if line.startswith("#"):
                if line.startswith("# vintage:"):
                    vintage = line.split(":", 1)[1].strip()
                continue
            cols = line.split("\t")
            if not line.strip() or cols[0] == "code":
                continue
            cols += [""] * (5 - len(cols))
            code, name, start, end, succ = cols[:5]
            rows.append(
                Division(
                    code,
                    name,
                    date.fromisoformat(start),
                    date.fromisoformat(end) if end else None,
                    succ or None,
                )
            )
        return cls(rows, vintage)

    def __len__(self) -> int:
        return sum(len(rs) for rs in self._by_code.values())

    def windows(self, code: str) -> list[Division]:
        """Every window of a code, oldest first (empty if never listed)."""
        return list(self._by_code.get(code, ()))

    def lookup(self, code: str, on: date | None = None) -> Division | None:
        """The window in force on ``on``; without a date, the current one, else the latest."""
        rows = self._by_code.get(code)
        if not rows:
            return None
        if on is None:
            return rows[-1]
        on = max(on, self.first_list)
        return next((r for r in rows if r.valid_on(on)), None)

    def is_valid(self, code: str, on: date | None = None) -> bool:
        row = self.lookup(code, on)
        return row is not None and (on is not None or row.valid_to is None)

    def successors(self, code: str) -> list[str]:
        """The chain of codes that took over, e.g. ['330110'] for 余杭市 330184."""
        chain: list[str] = []
        row = self.lookup(code)
        while row is not None and row.valid_to is not None and row.successor and row.successor not in chain:
            chain.append(row.successor)
            later = [r for r in self.windows(row.successor) if r.valid_from > row.valid_to]
            row = later[0] if later else self.lookup(row.successor)
        return chain

    def names_path(self, code: str, on: date | None = None) -> list[str]:
        """Province, prefecture and county names down to ``code``, e.g. ['浙江省','杭州市','临平区']."""
        row = self.lookup(code, on)
        if row is None:
            return []
        path = []
        for parent in (row.province_code, row.prefecture_code):
            if parent and parent != code:
                found = self.lookup(parent, on) or self.lookup(parent)
                if found:
                    path.append(found.name)
        return path + [row.name]

    def codes(self) -> list[str]:
        """Every code ever listed, abolished ones included (an old record still carries them), sorted."""
        return sorted(self._by_code)

    def codes_at(self, on: date) -> list[str]:
        """Every code in force on a date (dates before the first list count as its date), sorted."""
        on = max(on, self.first_list)
        return sorted(c for c, rows in self._by_code.items() if any(r.valid_on(on) for r in rows))


@cache
def division_table() -> DivisionTable:
    """The shipped table, loaded once."""
    text = resources.files("huitong.standards").joinpath("data/divisions.tsv").read_text(encoding="utf-8")
    return DivisionTable.from_tsv(text)


def __getattr__(name: str) -> str:
    if name == "VINTAGE":
        return division_table().vintage
    raise AttributeError(name)


def region_finding(code: str, on: date | None, table: DivisionTable | None = None):
    """A warning if ``code`` is not in force on ``on`` (today's table when None), else None."""
    table = table or division_table()
    if table.is_valid(code, on):
        return None
    rows = table.windows(code)
    when = f"on {on.isoformat()}" if on else "today"
    when_zh = f"在 {on.isoformat()} " if on else "当前"
    if not rows:
        return warning(
            "unknown_region",
            f"region {code} is not in the division table (vintage {table.vintage})",
            f"行政区划代码 {code} 不在区划代码表中（版本 {table.vintage}）",
        )
    spans = "; ".join(f"{r.name} {r.window()}" for r in rows)
    succ = table.successors(code)
    tail = f"; successor {' -> '.join(succ)}" if succ else ""
    return warning(
        "unknown_region",
        f"region {code} was not in force {when} (valid: {spans}){tail}",
        f"行政区划代码 {code} {when_zh}无效（有效期：{spans}）" + (f"，后继代码 {succ[-1]}" if succ else ""),
    )


def validate_division_code(value: str, *, on: date | None = None) -> CheckResult:
    """6 digits, in force on ``on`` (today when None); an unknown region is a warning, never a crash."""
    if not isinstance(value, str):
        return not_text(value, "division code", "行政区划代码")
    code = value.strip()
    if not CODE.match(code):
        return CheckResult(
            None,
            (
                error(
                    "format",
                    f"division code {code!r} must be exactly 6 digits",
                    f"行政区划代码 {code!r} 必须为6位数字",
                ),
            ),
        )
    found = region_finding(code, on)
    return CheckResult(code, (found,) if found else ())
