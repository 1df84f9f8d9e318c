"""Discovery over whole tables: one finding per personal column, none for the rest, children found
from birth dates, sampling stated, and the proposed grades."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

from huitong.classify.discover import scan
from huitong.classify.grading import GradePolicy
from huitong.classify.kinds import MINOR, Kind
from huitong.standards.elements import Grade
from huitong.standards.idcard import make_id_number


def _table(n: int) -> pa.Table:
    born = [date(1950, 1, 1) + timedelta(days=97 * (i % 250)) for i in range(n)]
    return pa.table(
        {
            "sfzh": [make_id_number("330110", b, i % 1000) for i, b in enumerate(born)],
            "姓名": ["王李张刘陈"[i % 5] + "伟芳娜敏静"[(i // 5) % 5] for i in range(n)],
            "lxdh": [f"13{i % 10}{i:08d}" for i in range(n)],
            "状态": ["正常", "迁出"] * (n // 2),
            "金额": pa.array([float(i) for i in range(n)]),
            "联系邮箱": [f"user{i}@example.com" for i in range(n)],
            "区县": ["330110"] * n,  # no telling name: six digits alone are not a division code
        }
    )


def test_one_finding_per_personal_column_and_none_for_the_rest():
    result = scan(_table(200))
    kinds = {f.column: f.kind for f in result.findings}
    assert kinds == {
        "sfzh": Kind.id_number,
        "姓名": Kind.person_name,
        "lxdh": Kind.mobile,
        "联系邮箱": Kind.email,
    }
    ident = next(f for f in result.findings if f.column == "sfzh")
    assert ident.share == 1.0 and ident.confidence == 1.0 and ident.grade is Grade.general_4
    assert ident.sampled == 200 and result.sampled_rows == 200


def test_children_under_14_are_a_sensitive_class_and_raise_the_grade():
    t = pa.table({"出生日期": [date.today() - timedelta(days=365 * 5), date(1980, 1, 1)] * 20})
    (finding,) = scan(t).findings
    assert finding.kind is Kind.birth_date and MINOR in finding.classes
    assert finding.grade is Grade.general_4  # 出生日期 alone is 一般3级
    adults = scan(pa.table({"出生日期": [date(1980, 1, 1)] * 40})).findings[0]
    assert MINOR not in adults.classes and adults.grade is Grade.general_3


def test_a_large_table_is_sampled_to_the_stated_size():
    result = scan(_table(30_000), sample=2_000)
    assert result.rows == 30_000 and result.sampled_rows == 2_000
    assert {f.column for f in result.findings} >= {"sfzh", "lxdh"}
    assert all(f.sampled <= 2_000 for f in result.findings)
    assert scan(_table(30_000), sample=2_000).to_dict() == result.to_dict()  # repeatable


def test_a_column_that_fails_the_check_digit_is_not_an_id_column():
    t = _table(100)
    broken = [v[:-1] + ("0" if v[-1] != "0" else "1") for v in t.column("sfzh").to_pylist()]
    result = scan(t.set_column(0, "sfzh", pa.array(broken)))
    assert all(f.kind is not Kind.id_number for f in result.findings)


def test_a_province_policy_changes_the_proposed_grade():
    policy = GradePolicy(kinds={**GradePolicy().kinds, Kind.mobile: Grade.general_4})
    found = {f.column: f.grade for f in scan(_table(50), policy=policy).findings}
    assert found["lxdh"] is Grade.general_4


def test_a_free_text_column_with_one_id_is_a_finding():
    ident = make_id_number("330110", date(1990, 5, 5), 7)
    notes = ["无"] * 99 + [f"经办人核对身份证号{ident}无误"]
    (finding,) = scan(pa.table({"备注": notes})).findings
    assert finding.kind is Kind.free_text_with_identifiers and finding.matched == 1
