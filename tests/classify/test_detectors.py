"""Each detector on true values and near misses, and its SQL held to its per-value reference."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.classify.detectors import BY_KIND, DETECTORS, clean
from huitong.classify.discover import _reference_tables
from huitong.classify.kinds import Kind
from huitong.standards.idcard import make_id_number
from huitong.standards.uscc import make_credit_code
from huitong.store import duck

ID = make_id_number("330110", date(1985, 3, 7), 123)
USCC = make_credit_code("1", "1", "330100", "10000002")

CASES = {
    Kind.id_number: (
        [ID, ID.lower()],
        [ID[:-1] + ("0" if ID[-1] != "0" else "1"), ID[:17], "330110198513071234"],
    ),
    Kind.uscc: ([USCC], [USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), USCC[:17]]),
    Kind.bank_card: (["6222021234567890128", "4111111111111111"], ["4111111111111112", "411111111111111"]),
    Kind.mobile: (
        ["13812345678", "+86 138 1234 5678", "138-1234-5678"],
        ["12812345678", "1381234567", "138123456789"],
    ),
    Kind.landline: (["0571-87654321", "(010)62345678", "0571 87654321-123"], ["87654321", "571-87654321"]),
    Kind.plate: (["浙A12345", "浙AD12345", "京B1234学"], ["浙I12345", "A12345", "浙A1234"]),
    Kind.passport: (
        ["E12345678", "EA1234567", "C12345678", "H1234567890"],
        ["E1234567", "X12345678", "EI1234567"],
    ),
    Kind.email: (["zhang.san@example.gov.cn", "a+b@mail.com"], ["zhang.san@", "@example.com", "a@b"]),
    Kind.ip: (["192.168.1.20", "2001:db8::1", "fe80:0:0:0:0:0:0:1"], ["256.1.1.1", "192.168.1", "1.2.3.4.5"]),
    Kind.division_code: (["330110", "330184"], ["339999", "33011", "3301100"]),  # 330184 余杭市, abolished
    Kind.person_name: (["张伟", "欧阳娜娜", "买买提·艾力"], ["伟张", "Zhang Wei", "张", "张伟伟伟伟"]),
    Kind.address: (
        ["浙江省杭州市余杭区文一西路100号", "杭州市西湖区文三路90号3幢2单元"],
        ["杭州", "今天在市区路口，发生了事故"],
    ),
    Kind.birth_date: (["1985-03-07", "19850307", "1985年3月7日"], ["1899-12-31", "2999-01-01", "1985-02-30"]),
    Kind.free_text_with_identifiers: (
        [f"申请人身份证{ID}，已核实", "本人联系电话13812345678已核实"],
        [ID, "13812345678", "申请人身份证330110198513071234，已核实"],
    ),
}


def _all_sql(kinds: list[Kind], values: list[str]) -> dict[Kind, list[bool]]:
    con = duck.connect({"t": pa.table({"v": pa.array(values, pa.string())}), **_reference_tables()})
    predicates = ", ".join(f"coalesce({BY_KIND[k].predicate('c')}, false)" for k in kinds)
    rows = con.execute(
        f"SELECT {predicates} FROM (SELECT nullif(upper(trim(v)), '') AS c, i FROM "
        "(SELECT v, row_number() OVER () AS i FROM t)) ORDER BY i"
    ).fetchall()
    con.close()
    return {k: [bool(r[n]) for r in rows] for n, k in enumerate(kinds)}


def _sql(kind: Kind, values: list[str]) -> list[bool]:
    return _all_sql([kind], values)[kind]


@pytest.mark.parametrize("kind", list(CASES), ids=lambda k: k.value)
def test_true_values_pass_and_near_misses_do_not(kind):
    good, bad = CASES[kind]
    assert _sql(kind, good) == [True] * len(good)
    assert _sql(kind, bad) == [False] * len(bad)
    ref = BY_KIND[kind].reference
    assert [ref(clean(v)) for v in good] == [True] * len(good)
    assert [ref(clean(v)) for v in bad] == [False] * len(bad)


def test_an_18_digit_number_that_fails_the_check_digit_is_not_an_id():
    bad = ID[:-1] + ("1" if ID[-1] == "0" else "0")
    assert _sql(Kind.id_number, [bad]) == [False]


_TEXT = st.text(alphabet="0123456789Xx张伟欧阳省市区路号 -@.abc:()·，", max_size=24)
_SHAPED = st.one_of(
    _TEXT,
    st.builds(
        lambda d, n: make_id_number("330110", d, n),
        st.dates(date(1900, 1, 1), date(2024, 1, 1)),
        st.integers(0, 999),
    ),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"[1-9][0-9]{15,18}", fullmatch=True),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_SHAPED, min_size=1, max_size=30))
def test_every_sql_predicate_agrees_with_its_reference(values):
    cleaned = [v.strip(" ").upper() or None for v in values]
    got = _all_sql([d.kind for d in DETECTORS], values)
    for d in DETECTORS:
        want = [bool(v is not None and d.reference(v)) for v in cleaned]
        assert got[d.kind] == want, d.kind
