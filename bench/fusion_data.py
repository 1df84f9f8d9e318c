"""Labelled synthetic people (人口) as four departments hold them, to measure record linkage (多源融合).

    .venv/bin/python -m bench.fusion_data --people 75000 --seed 0 --out /tmp/fusion [--entities 20000]

writes ``people.csv`` + ``spec.json`` (all departments, role names as columns, each department's
own formats row by row), ``公安.csv`` ... ``卫健.csv`` (卫健's in GBK) with ``spec-<部门>.json``,
``truth.csv`` (record_id, person_id) and ``errors.csv`` (the noise kinds of each record).
Deterministic for a seed: numpy draws the per-person columns, a ``random.Random`` seeded from it
the per-record choices.

People: surname from ``standards/data/surnames.txt`` weighted by its order (1/(rank+3); compound
surnames 1/20 of that), a 1- (15%) or 2-character given name from a gendered pool of ~300 common
characters, birth 1940-2020, a county drawn from the division codes in force in the birth year:
the ID carries that code, the address today's place, so someone born in 1990 in 余杭县 has 330125
in the ID and lives in 余杭区 330110 (about half the people: 地区 became 市 and renumbered their
counties).  6% are 流动人口 (only in 人社/卫健, living away from their 户籍 county), 8% have moved
(a residence other than their 户籍 address), 93% have a mobile.  Look-alike distinct people: 1%
are in a pair with the same name, sex and birth date in another county (half of them in the same
province); 0.5% in a twin pair (same surname, birth date, address and often phone, another given
name, ID sequence numbers next to each other).

Departments (records of): 公安 户籍 every resident (YYYYMMDD, 男/女 or 1/2), 民政 30% (+30% of
those 60 and over; YYYY-MM-DD), 人社 社保 60% of those aged 16-75 (YYYY/M/D, 1/2, phone; a second
record for 3%), 卫健 78% (YYYY年M月D日, phone; a second 档案 for 8%); 流动人口 are in 人社 (80%)
and/or 卫健 (70%).  75,000 people give about 205,000 records, 81% of them with an ID number.

Noise, per record, rates for 公安 / 民政 / 人社 / 卫健 (``RATES``):

==========================  =============================  ========================================
kind                        rate                           what
==========================  =============================  ========================================
id_missing                  0 / 17% / 14% / 43%            no ID number
id_legacy15                 0 / 3% / 25% / 2%              15-digit form (of people born before 1985)
id_typo                     0.2% / 1% / 0.8% / 2%          one digit wrong (the check digit fails)
id_transposed               0.1% / 0.5% / 0.5% / 1%        two neighbouring digits swapped
id_format                   0 / 1% / 0.5% / 2%             lower-case x, spaces, full-width digits
name_homophone              0.3% / 2% / 1.5% / 4%          a given-name character with the same
                                                           toneless pinyin (晓/小, 伟/玮)
name_traditional            0 / 3% / 0 / 8%                繁体 (opencc s2t), when it differs
name_swapped                0 / 0.5% / 0.3% / 1%           张晓明 → 张明晓
name_dropped_char           0.1% / 0.3% / 0.3% / 1%        张晓明 → 张明 (2-character given names)
name_whitespace             0.5% / 2% / 1% / 3%            inner, full-width or trailing blanks
date_day_month_swap         0.1% / 1% / 0.5% / 1.5%        day and month exchanged (day ≤ 12)
date_missing                0 / 1% / 0 / 3%                no birth date
gender_missing              0 / 1% / 0 / 3%                no gender
gender_wrong                0.05% / 0.2% / 0.1% / 0.5%     the other sex
address_old_division        10% / 30% / 15% / 10%          the county's old name (of people whose
                                                           place has since changed code or name)
address_short_prefix        15% / 45% / 60% / 70%          without 省 or 省市
address_abbreviated         2% / 5% / 3% / 8%              浙江杭州市 (省/市 dropped)
address_compact             5% / 10% / 15% / 20%           3-2-501 for 3栋2单元501室
address_fullwidth           1% / 3% / 2% / 5%              full-width digits １２３
address_whitespace          1% / 2% / 2% / 3%              stray blanks
address_missing             0 / 2% / 5% / 5%               no address
address_moved               - / 50% / 80% / 90%            the residence, not the 户籍 address (movers)
phone_missing               - / - / 15% / 10%              no phone
phone_other                 - / - / 8% / 8%                another number (an old one, a relative's)
phone_format                - / - / 3% / 5%                138 1234 5678, +86, full-width
==========================  =============================  ========================================

Formats that are no error but vary by record: 栋/幢/号楼, 室 or a bare room, 3组/三组/第三村民小组.
A record also carries its person's tags: ``floating`` (流动人口), ``moved``, ``old_region_id`` (the
ID's county code has since changed), ``twin``, ``lookalike`` and ``duplicate_in_department``.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import numpy as np

from bench import fusion_address as addr
from bench import fusion_noise as noise
from bench.fusion_entities import generate_entities
from bench.fusion_records import Builder, Generated, write
from huitong.standards.divisions import division_table, level_of
from huitong.standards.idcard import make_id_number
from huitong.standards.surnames import SURNAMES

__all__ = ["DEPARTMENTS", "Generated", "generate", "generate_entities", "write"]

DEPARTMENTS = ("公安", "民政", "人社", "卫健")
ROLES = ("record_id", "source", "name", "id_number", "birth_date", "gender", "address", "phone")
# role → the department's own column name (its spec); the column order of its table
SPECS: dict[str, dict[str, str]] = {
    "公安": {
        "record_id": "人员编号",
        "name": "姓名",
        "id_number": "公民身份号码",
        "gender": "性别",
        "birth_date": "出生日期",
        "address": "户籍地址",
    },
    "民政": {
        "record_id": "业务编号",
        "name": "姓名",
        "id_number": "身份证号",
        "gender": "性别",
        "birth_date": "出生年月日",
        "address": "居住地址",
    },
    # 人社 systems (金保工程) name columns by their data-element codes
    "人社": {
        "record_id": "AAC001",
        "name": "AAC003",
        "id_number": "AAC002",
        "gender": "AAC004",
        "birth_date": "AAC006",
        "address": "AAE006",
        "phone": "AAE005",
    },
    # 卫健 居民健康档案 columns by their pinyin initials
    "卫健": {
        "record_id": "DABH",
        "name": "XM",
        "id_number": "SFZJHM",
        "gender": "XB",
        "birth_date": "CSRQ",
        "address": "XZZ",
        "phone": "LXDH",
    },
}
PREFIX = {"公安": "GA", "民政": "MZ", "人社": "RS", "卫健": "WJ"}
ENCODINGS = {"卫健": "gbk"}
AS_OF = date(2024, 1, 1)  # the date the departments' data stand on (ages)

RATES: dict[str, tuple[float, float, float, float]] = {
    "id_missing": (0, 0.17, 0.14, 0.43),
    "id_legacy15": (0, 0.03, 0.25, 0.02),
    "id_typo": (0.002, 0.01, 0.008, 0.02),
    "id_transposed": (0.001, 0.005, 0.005, 0.01),
    "id_format": (0, 0.01, 0.005, 0.02),
    "name_homophone": (0.003, 0.02, 0.015, 0.04),
    "name_traditional": (0, 0.03, 0, 0.08),
    "name_swapped": (0, 0.005, 0.003, 0.01),
    "name_dropped_char": (0.001, 0.003, 0.003, 0.01),
    "name_whitespace": (0.005, 0.02, 0.01, 0.03),
    "date_day_month_swap": (0.001, 0.01, 0.005, 0.015),
    "date_missing": (0, 0.01, 0, 0.03),
    "gender_missing": (0, 0.01, 0, 0.03),
    "gender_wrong": (0.0005, 0.002, 0.001, 0.005),
    "address_old_division": (0.1, 0.3, 0.15, 0.1),
    "address_abbreviated": (0.02, 0.05, 0.03, 0.08),
    "address_compact": (0.05, 0.10, 0.15, 0.20),
    "address_fullwidth": (0.01, 0.03, 0.02, 0.05),
    "address_whitespace": (0.01, 0.02, 0.02, 0.03),
    "address_missing": (0, 0.02, 0.05, 0.05),
    "address_moved": (0, 0.5, 0.8, 0.9),
    "phone_missing": (0, 0, 0.15, 0.10),
    "phone_other": (0, 0, 0.08, 0.08),
    "phone_format": (0, 0, 0.03, 0.05),
}
_ADDRESS_RATES = [{k: v[d] for k, v in RATES.items() if k.startswith("address_")} for d in range(4)]
# chance of dropping 0, 1 or 2 leading names (省, 省市) of an address
DEPTH = {
    "公安": (0.85, 0.10, 0.05),
    "民政": (0.55, 0.35, 0.10),
    "人社": (0.40, 0.40, 0.20),
    "卫健": (0.30, 0.40, 0.30),
}
FLOATING, MOVED, TWINS, LOOKALIKES, MOBILE = 0.06, 0.08, 0.005, 0.01, 0.93
DUPLICATE = {"人社": 0.03, "卫健": 0.08}
MOBILE_PREFIXES = noise.words(
    "130 131 132 133 135 136 137 138 139 150 151 "
    "152 155 156 157 158 159 166 176 177 180 181 "
    "186 187 188 189 199"
)


def _date(style: str, d: date) -> str:
    if style == "公安":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    if style == "民政":
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    if style == "人社":
        return f"{d.year}/{d.month}/{d.day}"
    return f"{d.year}年{d.month}月{d.day}日"


def _gender(dept: str, male: bool, r: random.Random) -> str:
    if dept == "人社" or (dept == "公安" and r.random() < 0.3):
        return "1" if male else "2"  # GB/T 2261.1
    return "男" if male else "女"


def _weights(n: int, shift: float) -> np.ndarray:
    w = 1.0 / (np.arange(n) + shift)
    return w / w.sum()


@cache
def _counties_by_year() -> dict[int, list[str]]:
    """County codes in force each year 1980-2020 whose place still exists today (has a current code)."""
    table = division_table()
    return {
        y: [c for c in table.codes_at(date(y, 7, 1)) if level_of(c) == "county" and _today(c) is not None]
        for y in range(1980, 2021)
    }


@cache
def _today(code: str) -> str | None:
    """Today's code of the place a code stood for (itself if still in force), None if it is gone."""
    table = division_table()
    row = table.lookup(code)
    if row is not None and row.valid_to is None:
        return code
    chain = table.successors(code)
    last = table.lookup(chain[-1]) if chain else None
    return chain[-1] if last is not None and last.valid_to is None and last.level == "county" else None


@cache
def _path(code: str, year: int | None = None) -> tuple[str, ...]:
    on = None if year is None else date(max(year, 1980), 7, 1)
    return tuple(division_table().names_path(code, on))


@dataclass
class People:
    """One list per attribute, indexed by person (lists: the per-record loop reads them fast)."""

    pid: list[str]
    surname: list[str]
    given: list[str]
    male: list[bool]
    birth: list[date]
    region: list[str]  # the county code in the ID (in force at birth)
    county: list[str]  # today's code of that place
    id_number: list[str]
    home: list[tuple]  # 户籍 address parts
    residence: list[tuple | None]  # (county, parts) when living elsewhere
    phone: list[str | None]
    tags: list[list[str]]
    floating: np.ndarray


def _mobile(r: random.Random) -> str:
    return r.choice(MOBILE_PREFIXES) + f"{r.randrange(10**8):08d}"


def _given(male: bool, length: int, r: random.Random, pools) -> str:
    chars, weights = pools[male]
    return "".join(r.choices(chars, cum_weights=weights, k=length))


def _pools():
    out = {}
    for male, text in ((True, noise.MALE_CHARS), (False, noise.FEMALE_CHARS)):
        chars = list(dict.fromkeys(text + noise.COMMON_CHARS))
        out[male] = (chars, np.cumsum(_weights(len(chars), 4.0)).tolist())
    return out


def _people(n: int, rng: np.random.Generator, r: random.Random) -> People:
    surnames = list(SURNAMES)
    sw = _weights(len(surnames), 3.0) * np.array([1.0 if len(s) == 1 else 0.05 for s in surnames])
    surname = rng.choice(len(surnames), size=n, p=sw / sw.sum())
    male = rng.random(n) < 0.51
    floating = rng.random(n) < FLOATING
    start, span = date(1940, 1, 1), (date(2020, 12, 31) - date(1940, 1, 1)).days
    core = (date(1950, 1, 1) - start).days + rng.integers(0, (date(2010, 12, 31) - date(1950, 1, 1)).days, n)
    days = np.where(rng.random(n) < 0.8, core, rng.integers(0, span + 1, n))
    adult = (date(1965, 1, 1) - start).days + rng.integers(0, (date(2003, 12, 31) - date(1965, 1, 1)).days, n)
    days = np.where(floating, adult, days)
    one_char = rng.random(n) < 0.15
    seq = rng.integers(0, 500, n) * 2 + male  # odd for men
    u_region = rng.random(n)

    pools = _pools()
    births = [start + timedelta(days=int(d)) for d in days]
    sur = [surnames[i] for i in surname]
    given = [
        _given(m, 1 if o else 2, r, pools) for m, o in zip(male.tolist(), one_char.tolist(), strict=True)
    ]
    male_l, seq_l = male.tolist(), seq.tolist()
    by_year = _counties_by_year()
    region = []
    for b, u in zip(births, u_region.tolist(), strict=True):
        codes = by_year[max(b.year, 1980)]
        region.append(codes[int(u * len(codes))])
    tags: list[list[str]] = [[] for _ in range(n)]
    twin_of: dict[int, int] = {}

    order = rng.permutation(n).tolist()
    n_twins, n_look = int(n * TWINS / 2), int(n * LOOKALIKES / 2)
    for k in range(n_twins):  # j becomes i's twin
        i, j = order[2 * k], order[2 * k + 1]
        sur[j], births[j], region[j], floating[j] = sur[i], births[i], region[i], floating[i]
        male_l[j] = r.random() < 0.5
        g = given[i]
        while g == given[i]:
            first = given[i][0] if len(given[i]) == 2 and r.random() < 0.5 else _given(male_l[j], 1, r, pools)
            g = first + _given(male_l[j], 1, r, pools)
        given[j] = g
        step = 1 if (seq_l[i] % 2) != male_l[j] else 2
        seq_l[j] = seq_l[i] + step if seq_l[i] + step <= 999 else seq_l[i] - step
        twin_of[j] = i
        tags[i].append("twin")
        tags[j].append("twin")
    base = 2 * n_twins
    for k in range(n_look):  # j becomes i's look-alike in another county
        i, j = order[base + 2 * k], order[base + 2 * k + 1]
        sur[j], given[j], male_l[j], births[j] = sur[i], given[i], male_l[i], births[i]
        seq_l[j] = seq_l[j] - seq_l[j] % 2 + male_l[j]
        codes = by_year[max(births[i].year, 1980)]
        if r.random() < 0.5:  # half in the same province, where a search by name and birth date meets them
            codes = [c for c in codes if c[:2] == region[i][:2]]
        region[j] = region[i]
        while region[j] == region[i] and len(codes) > 1:
            region[j] = r.choice(codes)
        tags[i].append("lookalike")
        tags[j].append("lookalike")

    county = [_today(c) for c in region]
    ids, seen = [], set()
    for k in range(n):
        while True:
            idn = make_id_number(region[k], births[k], seq_l[k])
            if idn not in seen:
                break
            seq_l[k] = (seq_l[k] + 2) % 1000
        seen.add(idn)
        ids.append(idn)
        if county[k] != region[k]:
            tags[k].append("old_region_id")

    home = [addr.place(r) for _ in range(n)]
    phone = [_mobile(r) if r.random() < MOBILE else None for _ in range(n)]
    moved = rng.random(n) < MOVED
    current = by_year[2020]
    by_city: dict[str, list[str]] = {}
    for c in current:
        by_city.setdefault(c[:4], []).append(c)
    residence: list[tuple | None] = [None] * n
    for k in range(n):
        if k not in twin_of and (floating[k] or moved[k]):
            here = county[k]
            while here == county[k]:  # movers mostly stay in their city
                near = by_city.get(here[:4], ()) if not floating[k] and r.random() < 0.6 else ()
                here = r.choice(near if len(near) > 1 else current)
            residence[k] = (here, addr.place(r, rural_share=0.1))
            tags[k].append("floating" if floating[k] else "moved")
    for j, i in twin_of.items():  # twins share the household
        home[j], residence[j] = home[i], residence[i]
        tags[j] += [t for t in tags[i] if t in ("moved", "floating")]
        if r.random() < 0.5:
            phone[j] = phone[i]
    return People(
        [f"P{k:07d}" for k in range(n)],
        sur,
        given,
        male_l,
        births,
        region,
        county,
        ids,
        home,
        residence,
        phone,
        tags,
        floating,
    )


def _members(p: People, rng: np.random.Generator) -> dict[str, list[int]]:
    """Which people each department holds (a person twice when the department has two records)."""
    n = len(p.pid)
    age = np.array([AS_OF.year - b.year for b in p.birth])
    u = rng.random((n, 4))
    floating = p.floating
    holds = {
        "公安": ~floating,
        "民政": ~floating & (u[:, 0] < 0.30 + 0.30 * (age >= 60)),
        "人社": np.where(floating, u[:, 1] < 0.8, u[:, 1] < np.where((age >= 16) & (age <= 75), 0.6, 0.03)),
        "卫健": np.where(floating, u[:, 2] < 0.7, u[:, 2] < 0.78),
    }
    holds["卫健"] |= floating & ~holds["人社"]  # everyone is somewhere
    out = {}
    for dept, mask in holds.items():
        people = np.flatnonzero(mask)
        dup = people[rng.random(len(people)) < DUPLICATE.get(dept, 0.0)]
        out[dept] = np.concatenate([people, -1 - dup]).tolist()  # negative: the second record
    return out


def _record(dept: str, d: int, i: int, p: People, r: random.Random) -> tuple[list[str | None], list[str]]:
    """One department's row for person ``i`` (no record id yet) and the noise kinds applied."""
    kinds = list(p.tags[i])

    def hit(kind: str) -> bool:
        if r.random() < RATES[kind][d]:
            kinds.append(kind)
            return True
        return False

    surname, given = p.surname[i], p.given[i]
    if len(given) == 2 and hit("name_dropped_char"):
        given = given[r.randrange(2)]
    if r.random() < RATES["name_swapped"][d] and (s := noise.swapped(given)):
        given = s
        kinds.append("name_swapped")
    if r.random() < RATES["name_homophone"][d] and (h := noise.homophone(given, r)):
        given = h
        kinds.append("name_homophone")
    name = surname + given
    if r.random() < RATES["name_traditional"][d] and (t := noise.traditional(name)):
        name = t
        kinds.append("name_traditional")
    if hit("name_whitespace"):
        name = noise.spaced_name(name, len(surname), r)

    birth = p.birth[i]
    id_number: str | None = None
    if not hit("id_missing"):
        id_number, last = p.id_number[i], 17
        if birth.year < 1985 and hit("id_legacy15"):
            id_number, last = noise.legacy15(id_number), 15
        if hit("id_typo"):
            id_number = noise.digit_typo(id_number, r, last)
        elif r.random() < RATES["id_transposed"][d] and (t := noise.transposed(id_number, r, last)):
            id_number = t
            kinds.append("id_transposed")
        if hit("id_format"):
            id_number = noise.id_format(id_number, r)

    birth_text = None
    if not hit("date_missing"):
        if birth.day <= 12 and birth.day != birth.month and hit("date_day_month_swap"):
            birth = date(birth.year, birth.day, birth.month)
        birth_text = _date(dept, birth)
    gender = None
    if not hit("gender_missing"):
        gender = _gender(dept, p.male[i] != hit("gender_wrong"), r)

    address = None
    residence = p.residence[i]
    if residence is not None and dept != "公安" and (p.floating[i] or hit("address_moved")):
        path, parts = _path(residence[0]), residence[1]
    else:
        path, parts = _path(p.county[i]), p.home[i]
        if p.region[i] != p.county[i] and r.random() < RATES["address_old_division"][d]:
            old = _path(p.region[i], p.birth[i].year)
            if old != path:
                path = old
                kinds.append("address_old_division")
    if not hit("address_missing"):
        depth = r.choices((0, 1, 2), DEPTH[dept])[0]
        address, more = addr.render(list(path), parts, r, depth, _ADDRESS_RATES[d])
        kinds += more

    row = [name, id_number, gender, birth_text, address]
    if "phone" in SPECS[dept]:
        phone = p.phone[i]
        if phone is None or hit("phone_missing"):
            phone = None
        else:
            if hit("phone_other"):
                phone = _mobile(r)
            if hit("phone_format"):
                phone = noise.mobile_format(phone, r)
        row.append(phone)
    return row, kinds


_ROW_ROLES = ("name", "id_number", "gender", "birth_date", "address", "phone")


def generate(people: int, seed: int = 0) -> Generated:
    """``people`` people (about 2.7 records each) across 公安, 民政, 人社 and 卫健, labelled."""
    rng = np.random.default_rng(seed)
    r = random.Random(int(rng.integers(2**62)))
    p = _people(people, rng, r)
    members = _members(p, rng)
    builder = Builder({dept: list(spec.values()) for dept, spec in SPECS.items()})
    for d, dept in enumerate(DEPARTMENTS):
        spec = SPECS[dept]
        held = members[dept]
        order = rng.permutation(len(held)).tolist()  # rows in no person order
        for k, pos in enumerate(order):
            i = held[pos]
            dup = i < 0
            i = -1 - i if dup else i
            row, kinds = _record(dept, d, i, p, r)
            if dup:
                kinds.append("duplicate_in_department")
            by_role = dict(zip(_ROW_ROLES, row, strict=False))
            by_role["record_id"] = f"{PREFIX[dept]}{k + 1:08d}"
            builder.add(dept, [by_role[role] for role in spec], p.pid[i], kinds)
    return Generated(builder.tables(), SPECS, builder.truth(), builder.errors(), ROLES, "people", ENCODINGS)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=75_000)
    ap.add_argument("--entities", type=int, default=0, help="also write 法人 data for this many entities")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    gen = generate(args.people, args.seed)
    took = time.perf_counter() - t0
    for one_file in (True, False):
        write(gen, args.out, one_file)
    print(f"{gen.truth.num_rows} records of {args.people} people in {took:.1f} s -> {args.out}")
    if args.entities:
        t0 = time.perf_counter()
        ent = generate_entities(args.entities, args.seed)
        took = time.perf_counter() - t0
        for one_file in (True, False):
            write(ent, args.out / "entities", one_file)
        print(
            f"{ent.truth.num_rows} records of {args.entities} entities in {took:.1f} s -> {args.out / 'entities'}"
        )


if __name__ == "__main__":
    main()
