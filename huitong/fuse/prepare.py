"""Records made comparable before linkage (预处理): whole columns at a time, in Arrow and NumPy.

Each role becomes the columns its comparisons read: an ID number in its 18-digit form (a 15-digit
legacy number converted, GB 11643), whether its check digit holds, and the same number with its region
part mapped to the code in force today (old and new codes of one place, from the shipped division
table); a birth date from any format departments write (or from the ID); a name folded, read as
pinyin and fuzzy pinyin, and sorted; an address without its province/city/district words, with
full-width digits and 栋/幢/号楼 made one, its road and its numbers apart. Work that only a Python
library can do (OpenCC, pypinyin, a date format the column reader does not know) runs once per
*distinct* value, never per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huitong.fuse.names import _opencc, name_keys, syllables
from huitong.fuse.spec import Spec
from huitong.standards import columns as standard_columns
from huitong.standards.divisions import division_table
from huitong.standards.idcard import CHECK_CHARS, WEIGHTS
from huitong.standards.normalise import NormaliseError, parse_date

PERSON_COLUMNS = (
    "unique_id", "source_dataset", "name", "name_py", "name_fz", "name_sorted", "surname_py",
    "id_number", "id_ok", "id_current", "birth_date", "birth_year", "gender", "address", "address_road",
    "address_numbers", "address_text", "phone", "division",
)  # fmt: skip
ENTITY_COLUMNS = (
    "unique_id", "source_dataset", "name", "name_core", "name_py", "credit_code", "credit_ok",
    "org_code", "address", "address_road", "address_numbers", "address_text",
)  # fmt: skip


def _text(table: pa.Table, spec: Spec, role: str) -> pa.Array:
    col = spec.column(role)
    if col is None:
        return pa.nulls(table.num_rows, pa.string())
    values = table.column(col).combine_chunks()
    if not pa.types.is_string(values.type):
        values = (
            values.cast(pa.string())
            if not pa.types.is_large_string(values.type)
            else values.cast(pa.string())
        )
    trimmed = pc.utf8_trim_whitespace(pc.utf8_normalize(values, "NFKC"))
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def per_distinct(values: pa.Array, fn: Callable[[list[str | None]], list], type_: pa.DataType) -> pa.Array:
    """``fn`` over the distinct values of a column (a list in, a list out), spread back to the rows."""
    encoded = (
        pc.dictionary_encode(values).combine_chunks()
        if isinstance(values, pa.ChunkedArray)
        else pc.dictionary_encode(values)
    )
    mapped = pa.array(fn(encoded.dictionary.to_pylist()), type_)
    return pc.take(mapped, encoded.indices)


def simplified(texts: list[str | None]) -> list[str | None]:
    """Traditional → simplified for many texts in one OpenCC call (per call it costs more than the
    conversion); a line break cannot occur in a value that went through NFKC trimming... unless
    inside, so those few are converted one by one."""
    plain = [t for t in texts if t is not None and "\n" not in t]
    converted = iter(_opencc().convert("\n".join(plain)).split("\n")) if plain else iter(())
    out: list[str | None] = []
    for t in texts:
        if t is None:
            out.append(None)
        elif "\n" in t:
            out.append(_opencc().convert(t))
        else:
            out.append(next(converted))
    return out


# ---- names -------------------------------------------------------------------------------------


def _name_columns(raw: pa.Array) -> dict[str, pa.Array]:
    encoded = pc.dictionary_encode(raw)
    rows = [name_keys(v, simplify=False) for v in simplified(encoded.dictionary.to_pylist())]
    out = {}
    for i, key in enumerate(("name", "name_py", "name_fz", "name_sorted", "surname_py")):
        out[key] = pc.take(pa.array([r[i] for r in rows], pa.string()), encoded.indices)
    return out


# ---- ID numbers --------------------------------------------------------------------------------


def _digits(strings: pa.Array, width: int) -> np.ndarray:
    """Fixed-width ASCII strings (no nulls) as a (rows, width) byte matrix."""
    if len(strings) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    data = pa.array(strings.to_pylist(), pa.string()) if strings.offset else strings
    return np.frombuffer(data.buffers()[2], dtype=np.uint8)[: len(strings) * width].reshape(-1, width)


def _check_chars(body: np.ndarray) -> np.ndarray:
    return np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)[
        ((body.astype(np.int64) - 48) * np.array(WEIGHTS)).sum(axis=1) % 11
    ]


@cache
def _current_codes() -> dict[str, str]:
    """Every abolished county code → the code in force today for the same place."""
    table = division_table()
    return {code: chain[-1] for code in table.codes() if (chain := table.successors(code))}


def id_columns(raw: pa.Array) -> dict[str, pa.Array]:
    """(id_number, id_ok, id_current) of a column of 公民身份号码 as written."""
    text = pc.utf8_upper(pc.replace_substring_regex(raw, r"[\s\-]", ""))
    shaped18 = pc.fill_null(pc.match_substring_regex(text, r"^\d{17}[\dX]$"), False)
    shaped15 = pc.fill_null(pc.match_substring_regex(text, r"^\d{15}$"), False)
    # a 15-digit number (before 1999): century 19 inserted and the check digit computed
    fifteen = pc.filter(text, shaped15)
    body = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(fifteen, 0, 6), pc.utf8_slice_codeunits(fifteen, 6, 15), "19"
    )
    bytes17 = _digits(body, 17)
    converted = (
        [b.tobytes().decode() + chr(c) for b, c in zip(bytes17, _check_chars(bytes17), strict=True)]
        if len(body)
        else []
    )
    number = pc.if_else(shaped18, text, pa.scalar(None, pa.string()))
    if converted:
        where = np.flatnonzero(np.asarray(shaped15))
        values = np.asarray(number.to_pylist(), dtype=object)
        values[where] = converted
        number = pa.array(values.tolist(), pa.string())
    present = pc.is_valid(number)
    whole = pc.filter(number, present)
    matrix = _digits(whole, 18)
    ok_present = matrix[:, 17] == _check_chars(matrix[:, :17]) if len(matrix) else np.zeros(0, bool)
    ok = np.zeros(len(raw), dtype=bool)
    ok[np.flatnonzero(np.asarray(present))] = ok_present
    region = pc.utf8_slice_codeunits(number, 0, 6)
    current = _current_codes()
    mapped = per_distinct(
        region, lambda codes: [None if c is None else current.get(c, c) for c in codes], pa.string()
    )
    body = pc.binary_join_element_wise(mapped, pc.utf8_slice_codeunits(number, 6, 17), "")
    # a valid number re-issued under the new region code carries a new check character: recompute it
    # for valid numbers, so the old and the new number of one person are equal; an invalid one keeps
    # its own (a typo must still look like a typo)
    valid_rows = np.flatnonzero(ok)
    check = pc.utf8_slice_codeunits(number, 17, 18)
    if len(valid_rows):
        bodies = _digits(pc.take(body, pa.array(valid_rows)), 17)
        fresh = np.asarray(check.to_pylist(), dtype=object)
        fresh[valid_rows] = [chr(c) for c in _check_chars(bodies)]
        check = pa.array(fresh.tolist(), pa.string())
    id_current = pc.binary_join_element_wise(body, check, "")
    # an unreadable value (letters, wrong length) compares as absent
    return {"id_number": number, "id_ok": pa.array(ok), "id_current": id_current}


# ---- dates, gender, phone ----------------------------------------------------------------------


def _one_date(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return parse_date(text).isoformat()
    except (NormaliseError, ValueError, OverflowError):
        return None


def dates(raw: pa.Array) -> pa.Array:
    """A column of dates in any format departments write, as DATE (null when unreadable): the column
    reader for the common forms, the reference parser for the rest (per distinct value)."""
    judged = standard_columns.dates(raw)
    days = pa.array(judged.days, pa.date32())
    rest = pc.and_(pc.invert(pa.array(judged.certified)), pc.is_valid(raw))
    if not pc.any(rest).as_py():
        return pc.if_else(pa.array(judged.certified), days, pa.scalar(None, pa.date32()))
    others = per_distinct(
        pc.if_else(rest, raw, pa.scalar(None, pa.string())), lambda v: [_one_date(t) for t in v], pa.string()
    )
    return pc.if_else(pa.array(judged.certified), days, pc.cast(others, pa.date32()))


def _birth_from_id(number: pa.Array) -> pa.Array:
    text = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(number, 6, 10),
        pc.utf8_slice_codeunits(number, 10, 12),
        pc.utf8_slice_codeunits(number, 12, 14),
        "-",
    )
    return dates(text)


_GENDER = {
    "男": "1",
    "女": "2",
    "1": "1",
    "2": "2",
    "M": "1",
    "F": "2",
    "MALE": "1",
    "FEMALE": "2",
    "男性": "1",
    "女性": "2",
}


def genders(raw: pa.Array, number: pa.Array) -> pa.Array:
    """GB/T 2261.1 codes (1 男, 2 女) from the column, else from the ID's 17th digit (odd: 男)."""
    given = per_distinct(
        pc.utf8_upper(raw), lambda v: [None if g is None else _GENDER.get(g) for g in v], pa.string()
    )
    digit = pc.utf8_slice_codeunits(number, 16, 17)
    from_id = per_distinct(
        digit, lambda v: [None if d is None else ("1" if int(d) % 2 else "2") for d in v], pa.string()
    )
    return pc.coalesce(given, from_id)


def phones(raw: pa.Array) -> pa.Array:
    """Digits only, a +86/86 prefix off; fewer than 7 digits is no phone."""
    digits = pc.replace_substring_regex(
        pc.replace_substring_regex(raw, r"\D", ""), r"^(?:0086|86)(1\d{10})$", r"\1"
    )
    return pc.if_else(
        pc.fill_null(pc.greater_equal(pc.utf8_length(digits), 7), False), digits, pa.scalar(None, pa.string())
    )


# ---- addresses ---------------------------------------------------------------------------------

_PROVINCE_SUFFIX = re.compile(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$")
_PREFECTURE_SUFFIX = re.compile(r"(市|地区|自治州|盟)$")


@cache
def _division_names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The division words an address may begin with, by level: province (浙江省 or 浙江), prefecture
    (杭州市 or 杭州), county (西湖区; a county's short form is too often a street's name too)."""
    table = division_table()
    provinces: set[str] = set()
    prefectures: set[str] = set()
    counties: set[str] = set()
    for code in table.codes():
        for row in table.windows(code):
            name = row.name
            if row.level == "province":
                provinces |= {name, _PROVINCE_SUFFIX.sub("", name)}
            elif row.level == "prefecture":
                prefectures |= {name, _PREFECTURE_SUFFIX.sub("", name)}
            else:
                counties.add(name)
    return tuple(frozenset(n for n in names if len(n) >= 2) for names in (provinces, prefectures, counties))


# what follows a place name that is part of a road's name, not the address's division (南京路, 中山东路)
_ROAD_AFTER = r"^(?:[东西南北中]?(?:路|街|大街|大道|巷|弄|道|里|桥|公路|环路))"


def strip_divisions(text: pa.Array) -> pa.Array:
    """Each text without the province, prefecture and county words it begins with, in that order,
    each optional, the longest name first: 浙江省杭州市西湖区文三路 → 文三路; but a place name that
    begins a road's name stays (南京路, 中山东路). Vectorised: for each level and length, every
    text's prefix of that length is looked up in the level's names at once (one regular expression
    of six thousand names took RE2 nine seconds on 200,000 addresses)."""
    for names in _division_names():
        value_set = pa.array(sorted(names), pa.string())
        length = np.asarray(pc.fill_null(pc.utf8_length(text), 0))
        cut = np.zeros(len(text), dtype=np.int64)
        for k in range(2, max(len(n) for n in names) + 1):
            hit = np.asarray(
                pc.fill_null(pc.is_in(pc.utf8_slice_codeunits(text, 0, k), value_set=value_set), False)
            )
            road = np.asarray(
                pc.fill_null(pc.match_substring_regex(pc.utf8_slice_codeunits(text, k), _ROAD_AFTER), False)
            )
            cut = np.where(hit & (length >= k) & ~road, k, cut)
        for k in np.unique(cut[cut > 0]):  # no per-row slice kernel: one slice per distinct cut
            text = pc.if_else(pa.array(cut == k), pc.utf8_slice_codeunits(text, int(k)), text)
    return text


_BUILDING = (
    (r"(\d+)(?:号楼|幢|栋|座)", r"\1栋"),
    (r"(\d+)-(\d+)-(\d+)$", r"\1栋\2单元\3"),
    (r"(\d+)室$", r"\1"),
    (r"[,，、。()（）\[\]【】#]", ""),
)


def address_columns(raw: pa.Array) -> dict[str, pa.Array]:
    """(address, address_road, address_numbers) of a column of addresses."""
    text = per_distinct(raw, simplified, pa.string())
    text = pc.replace_substring_regex(text, r"\s+", "")
    text = strip_divisions(text)
    for pattern, replacement in _BUILDING:
        text = pc.replace_substring_regex(text, pattern, replacement)
    text = pc.if_else(pc.fill_null(pc.equal(text, ""), True), pa.scalar(None, pa.string()), text)
    road = pc.replace_substring_regex(text, r"\d.*$", "", max_replacements=1)
    numbers = pc.utf8_trim(pc.replace_substring_regex(text, r"\D+", "-"), "-")
    nothing = pa.scalar(None, pa.string())
    return {
        "address": text,
        "address_road": pc.if_else(pc.fill_null(pc.equal(road, ""), True), nothing, road),
        "address_numbers": pc.if_else(pc.fill_null(pc.equal(numbers, ""), True), nothing, numbers),
    }


def divisions(raw: pa.Array) -> pa.Array:
    """Six-digit division codes mapped to the code in force today (an abolished county's successor)."""
    current = _current_codes()
    code = pc.utf8_slice_codeunits(pc.replace_substring_regex(raw, r"\D", ""), 0, 6)
    return per_distinct(
        code, lambda v: [None if c is None or len(c) != 6 else current.get(c, c) for c in v], pa.string()
    )


# ---- whole records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Where records come from, for errors: a file (or resource) and the row its first record is on
    (2 under a header line)."""

    name: str
    first_row: int = 1


def _ids_and_sources(
    table: pa.Table, spec: Spec, source: str, where: Where | None
) -> tuple[pa.Array, pa.Array]:
    ids = _text(table, spec, "record_id")
    if ids.null_count:
        at = where or Where(source)
        missing = np.flatnonzero(np.asarray(pc.is_null(ids)))
        from huitong.errors import Problem, invalid

        raise invalid(
            f"{at.name}: {len(missing)} record(s) without a record_id",
            *(
                Problem(
                    "every record needs a record_id",
                    file=at.name,
                    row=int(i) + at.first_row,
                    column=spec.column("record_id"),
                )
                for i in missing[:20]
            ),
        )
    given = _text(table, spec, "source")
    return ids, pc.fill_null(given, source)


def prepare_people(table: pa.Table, spec: Spec, *, source: str, where: Where | None = None) -> pa.Table:
    """People's records (the spec's columns) as the comparisons read them."""
    ids, sources = _ids_and_sources(table, spec, source, where)
    ident = id_columns(_text(table, spec, "id_number"))
    birth = pc.coalesce(dates(_text(table, spec, "birth_date")), _birth_from_id(ident["id_number"]))
    cols: dict[str, pa.Array] = {"unique_id": ids, "source_dataset": sources}
    cols |= _name_columns(_text(table, spec, "name"))
    cols |= ident
    cols["birth_date"] = birth
    cols["birth_year"] = pc.year(birth)
    cols["gender"] = genders(_text(table, spec, "gender"), ident["id_number"])
    cols |= address_columns(_text(table, spec, "address"))
    cols["address_text"] = _text(table, spec, "address")
    cols["phone"] = phones(_text(table, spec, "phone"))
    cols["division"] = divisions(_text(table, spec, "division"))
    return pa.table({k: cols[k] for k in PERSON_COLUMNS})


# company names: the organisation form (有限公司 and its variants) and a leading place name are not
# what tells two companies apart; a 分公司 is a different entity and keeps its word
_FORMS = (
    r"(?:股份有限公司|有限责任公司|有限公司|集团公司|公司|合伙企业\(有限合伙\)|合伙企业|个体工商户|厂|店)$"
)


def _entity_names(raw: pa.Array) -> dict[str, pa.Array]:
    folded = per_distinct(raw, simplified, pa.string())
    folded = pc.replace_substring_regex(folded, r"\s+", "")
    folded = pc.replace_substring_regex(pc.replace_substring_regex(folded, r"（", "("), r"）", ")")

    def core_of(names: pa.Array) -> pa.Array:
        out = pc.replace_substring_regex(names, r"^\((?:[^)]*)\)", "")  # 杭州(中国)… style region brackets
        return pc.replace_substring_regex(pc.replace_substring_regex(out, _FORMS, ""), r"[()]", "")

    whole, stripped = core_of(folded), core_of(strip_divisions(folded))
    # 南京银行/北京银行: without its place a core of two characters names a trade, not a company
    core = pc.if_else(pc.fill_null(pc.greater_equal(pc.utf8_length(stripped), 3), False), stripped, whole)
    py = per_distinct(core, lambda v: [None if c is None else "".join(syllables(c)) for c in v], pa.string())
    return {"name": folded, "name_core": core, "name_py": py}


def prepare_entities(table: pa.Table, spec: Spec, *, source: str, where: Where | None = None) -> pa.Table:
    """Legal entities' records: 统一社会信用代码 with its check, the 组织机构代码 it embeds (positions
    9-17) or the one a pre-2015 record carries, names without organisation form, addresses."""
    ids, sources = _ids_and_sources(table, spec, source, where)
    credit = pc.utf8_upper(pc.replace_substring_regex(_text(table, spec, "credit_code"), r"[\s\-]", ""))
    credit = pc.if_else(
        pc.fill_null(pc.match_substring_regex(credit, r"^[0-9A-HJ-NPQRTUWXY]{18}$"), False),
        credit,
        pa.scalar(None, pa.string()),
    )
    from huitong.standards.columns import credit_codes

    checked = credit_codes(pc.fill_null(credit, ""))
    org = pc.utf8_upper(pc.replace_substring_regex(_text(table, spec, "org_code"), r"[\s\-]", ""))
    org = pc.if_else(
        pc.fill_null(pc.match_substring_regex(org, r"^[0-9A-Z]{8}[0-9X]$"), False),
        org,
        pa.scalar(None, pa.string()),
    )
    cols: dict[str, pa.Array] = {"unique_id": ids, "source_dataset": sources}
    cols |= _entity_names(_text(table, spec, "name"))
    cols["credit_code"] = credit
    cols["credit_ok"] = pa.array(np.asarray(checked, dtype=bool) & np.asarray(pc.is_valid(credit)))
    cols["org_code"] = pc.coalesce(pc.utf8_slice_codeunits(credit, 8, 17), org)
    cols |= address_columns(_text(table, spec, "address"))
    cols["address_text"] = _text(table, spec, "address")
    return pa.table({k: cols[k] for k in ENTITY_COLUMNS})


def prepare(table: pa.Table, spec: Spec, *, source: str, where: Where | None = None) -> pa.Table:
    return (prepare_people if spec.kind == "person" else prepare_entities)(
        table, spec, source=source, where=where
    )
