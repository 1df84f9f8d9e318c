"""The comparisons a pair of records is judged by (比对规则): for each role, levels from the most to the
least telling, each a SQL condition on the prepared columns of the two records (``_l`` and ``_r``).
Splink learns how much each level says (its m and u probabilities); this module only says what the
levels are, so a reviewer reads them in one place and the tests run them on DuckDB directly.

Chinese text needs care here: DuckDB's edit distances count UTF-8 bytes, not characters
(``levenshtein('王小明','王晓明')`` is 3), so names are compared by whole characters (``substr`` and
``string_split`` count characters), by pinyin (ASCII, where byte distances are character distances)
and by fuzzy pinyin; ID numbers and codes are ASCII.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Level:
    label: str  # a stable key (the console translates enum.fuse_level.<label>)
    sql: str
    tf: bool = False  # weight this level by how common the value is (张伟 says less than 欧阳靖)
    fixed_m: float | None = None  # an m probability set by knowledge, not left to training


@dataclass(frozen=True)
class Comparison:
    role: str
    columns: tuple[str, ...]  # the prepared columns the levels read
    null: str  # the condition under which the pair says nothing about this role
    levels: tuple[Level, ...] = field(default_factory=tuple)

    def level_of_sql(self) -> str:
        """A CASE expression naming the first level that holds (for tests and the explain view)."""
        whens = [f"WHEN {self.null} THEN 'null'"] + [f"WHEN {lv.sql} THEN '{lv.label}'" for lv in self.levels]
        return "CASE " + " ".join(whens) + " ELSE 'else' END"


def _nulls(*cols: str) -> str:
    return " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in cols)


def _chars_differ(a: str, b: str, width: int = 4) -> str:
    """How many of the first ``width`` character positions differ (a name has two to four)."""
    return " + ".join(f"(substr({a}, {i}, 1) <> substr({b}, {i}, 1))::INTEGER" for i in range(1, width + 1))


# A person's ID number: a near-certain key when present. Its check digit catches every single-digit
# error and every swap of neighbours, so two numbers one edit apart of which one fails its check are a
# typo of one number, not two people.
ID_NUMBER = Comparison(
    "id_number",
    ("id_number", "id_current", "id_ok"),
    _nulls("id_number"),
    (
        Level("exact", '"id_number_l" = "id_number_r"'),
        Level("same_after_region_change", '"id_current_l" = "id_current_r"'),
        Level(
            "typo",
            '(NOT "id_ok_l" OR NOT "id_ok_r") AND '
            'damerau_levenshtein(left("id_current_l", 17), left("id_current_r", 17)) <= 1',
        ),
        # two numbers that both pass their check and differ are two people, whatever else agrees
        # (one person holding two valid numbers is a registration error, rarer than namesakes
        # born on one day): knowledge, so EM cannot learn it away on blocks of namesakes
        Level("both_valid_different", '"id_ok_l" AND "id_ok_r"', fixed_m=0.0005),
    ),
)

NAME = Comparison(
    "name",
    ("name", "name_py", "name_fz", "name_sorted"),
    _nulls("name"),
    (
        Level("exact", '"name_l" = "name_r"', tf=True),
        Level("same_pinyin", '"name_py_l" = "name_py_r"'),
        Level("swapped", '"name_sorted_l" = "name_sorted_r"'),
        Level("fuzzy_pinyin", '"name_fz_l" = "name_fz_r"'),
        Level(
            "one_char",
            # one character of three or four differs (of two it is another given name: 张伟/张明)
            '(length("name_l") = length("name_r") AND length("name_l") BETWEEN 3 AND 4 AND '
            f"{_chars_differ(chr(34) + 'name_l' + chr(34), chr(34) + 'name_r' + chr(34))} = 1) OR "
            '(abs(length("name_l") - length("name_r")) = 1 AND least(length("name_l"), length("name_r")) >= 2 AND '
            "(list_has_all(string_split(\"name_l\", ''), string_split(\"name_r\", '')) OR "
            "list_has_all(string_split(\"name_r\", ''), string_split(\"name_l\", ''))))",
        ),
    ),
)

BIRTH_DATE = Comparison(
    "birth_date",
    ("birth_date",),
    _nulls("birth_date"),
    (
        Level("exact", '"birth_date_l" = "birth_date_r"'),
        Level(
            "day_month_swapped",
            'year("birth_date_l") = year("birth_date_r") AND month("birth_date_l") = day("birth_date_r") '
            'AND day("birth_date_l") = month("birth_date_r")',
        ),
        Level("within_a_month", 'abs(date_diff(\'day\', "birth_date_l", "birth_date_r")) <= 31'),
        Level("same_year", 'year("birth_date_l") = year("birth_date_r")'),
    ),
)

GENDER = Comparison("gender", ("gender",), _nulls("gender"), (Level("exact", '"gender_l" = "gender_r"'),))

ADDRESS = Comparison(
    "address",
    ("address", "address_road", "address_numbers"),
    _nulls("address"),
    (
        Level("exact", '"address_l" = "address_r"', tf=True),
        Level(
            "same_road_and_numbers",
            '"address_road_l" = "address_road_r" AND "address_numbers_l" = "address_numbers_r"',
        ),
        Level("same_numbers", '"address_numbers_l" = "address_numbers_r"'),
        Level("same_road", '"address_road_l" = "address_road_r"'),
    ),
)

PHONE = Comparison("phone", ("phone",), _nulls("phone"), (Level("exact", '"phone_l" = "phone_r"'),))

DIVISION = Comparison(
    "division",
    ("division",),
    _nulls("division"),
    (
        Level("exact", '"division_l" = "division_r"'),
        Level("same_prefecture", 'left("division_l", 4) = left("division_r", 4)'),
    ),
)

CREDIT_CODE = Comparison(
    "credit_code",
    ("credit_code", "credit_ok"),
    _nulls("credit_code"),
    (
        Level("exact", '"credit_code_l" = "credit_code_r"'),
        Level(
            "typo",
            '(NOT "credit_ok_l" OR NOT "credit_ok_r") AND damerau_levenshtein("credit_code_l", "credit_code_r") <= 1',
        ),
    ),
)

ORG_CODE = Comparison(
    "org_code", ("org_code",), _nulls("org_code"), (Level("exact", '"org_code_l" = "org_code_r"'),)
)

ENTITY_NAME = Comparison(
    "name",
    ("name", "name_core", "name_py"),
    _nulls("name"),
    (
        Level("exact", '"name_l" = "name_r"', tf=True),
        Level("same_core", '"name_core_l" = "name_core_r"'),
        Level("same_pinyin", '"name_py_l" = "name_py_r"'),
        Level(
            "core_contained",
            'length("name_core_l") >= 2 AND length("name_core_r") >= 2 AND '
            '(contains("name_core_l", "name_core_r") OR contains("name_core_r", "name_core_l"))',
        ),
        Level("similar_pinyin", 'jaro_winkler_similarity("name_py_l", "name_py_r") >= 0.92'),
    ),
)

PERSON = (ID_NUMBER, NAME, BIRTH_DATE, GENDER, ADDRESS, PHONE, DIVISION)
ENTITY = (CREDIT_CODE, ORG_CODE, ENTITY_NAME, ADDRESS)
COMPARISONS = {"person": PERSON, "entity": ENTITY}


def for_roles(kind: str, roles: set[str]) -> tuple[Comparison, ...]:
    """The comparisons of the roles a spec names (a role nobody holds would only add noise)."""
    wanted = set(roles)
    if kind == "person" and "id_number" in wanted:
        wanted |= {"birth_date", "gender"}  # both are read from the ID when no column holds them
    if kind == "entity" and "credit_code" in wanted:
        wanted.add("org_code")  # embedded in the credit code
    return tuple(c for c in COMPARISONS[kind] if c.role in wanted)
