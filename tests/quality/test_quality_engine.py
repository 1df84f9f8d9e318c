"""Every rule kind measured over real Iceberg versions on SQLite and PostgreSQL, checked against a
Python reference that counts the rows one by one; scores and trends over versions; samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from huitong.errors import Forbidden, HuitongError
from huitong.quality import service as quality
from tests.quality.city import CIVIL_ITEMS, PEOPLE_ITEMS, civil_rows, make_city, people, reference, table

pytestmark = pytest.mark.pg

RULES = """
resource: {people}
rules:
  - {{name: 身份证号有效, kind: valid, column: 公民身份号码, severity: fail}}
  - {{name: 姓名完整, kind: not_null, column: 姓名, threshold: 0.8}}
  - {{name: 性别代码, kind: in_code_table, column: 性别}}
  - {{name: 户籍状态代码, kind: in_code_table, column: 户籍状态, values: ["10", "20"]}}
  - {{name: 住址格式, kind: pattern, column: 住址, regex: "杭州市.+号"}}
  - {{name: 年龄范围, kind: range, column: 年龄, min: 0, max: 130}}
  - {{name: 出生日期范围, kind: range, column: 出生日期, min: "1900-01-01", max: "2026-12-31"}}
  - {{name: 身份证号唯一, kind: unique, column: 公民身份号码}}
  - {{name: 姓名住址唯一, kind: unique, columns: [姓名, 住址], severity: warn}}
  - {{name: 出生日期一致, kind: cross_field, columns: [公民身份号码, 出生日期], check: birth_date_in_id}}
  - {{name: 性别一致, kind: cross_field, columns: [公民身份号码, 性别], check: gender_in_id}}
  - name: 在民政登记
    kind: referential
    column: 公民身份号码
    ref: {{resource: {civil}, column: 公民身份号码}}
    threshold: 0.5
  - name: 住址多源校核
    kind: cross_source
    column: 住址
    other: {{resource: {civil}, key: 公民身份号码}}
    threshold: 0.5
  - name: 按住址核对证件号
    kind: cross_source
    column: 公民身份号码
    other: {{resource: {civil}, key: 住址, compare: exact}}
    threshold: 0.5
  - {{name: 按时更新, kind: freshness}}
  - {{name: 记录数稳定, kind: row_count_change, max_change: 0.3}}
"""


@pytest.fixture
def city(world, test_database, tmp_path):
    return make_city(world, test_database, tmp_path)


def _load(city, rows, civil=None):
    if civil is not None:
        city.store.write(city.civil, table(civil, CIVIL_ITEMS))
    return city.store.write(city.people, table(rows, PEOPLE_ITEMS))


def _import(city, text, by="ga", filename="rules.yaml", **kw):
    with city.world.db.session() as s:
        return quality.import_rules(s, city.world.actor(by), text, filename, **kw)


def _run(city, by="ga", **kw):
    with city.world.db.session() as s:
        qrun = quality.run(s, city.store, city.world.actor(by), city.people, **kw)
        return quality.get_run(s, city.world.actor(by), qrun.id)


def test_every_kind_agrees_with_the_row_by_row_reference(city):
    rows = people(140)
    rows[12]["姓名"], rows[12]["住址"] = rows[11]["姓名"], rows[11]["住址"]  # one person written twice
    rows[20]["性别"] = "男"  # not the GB/T 2261.1 code
    rows[30]["住址"] = "文三路30号"  # no city
    civil = civil_rows(rows[:100])  # 40 people unknown to 民政
    _load(city, rows, civil)
    imported = _import(city, RULES.format(people=city.people, civil=city.civil), by="op")
    assert imported.added == 16
    qrun, metrics, samples_ok = _run(city)
    by_name = {m.rule_name: m for m in metrics}
    assert len(by_name) == 16 and samples_ok
    expected = {
        "身份证号有效": reference("valid", rows, ["公民身份号码"]),
        "姓名完整": reference("not_null", rows, ["姓名"]),
        "性别代码": reference("in_code_table", rows, ["性别"], values={"0", "1", "2", "9"}),
        "户籍状态代码": reference("in_code_table", rows, ["户籍状态"], values={"10", "20"}),
        "住址格式": reference("pattern", rows, ["住址"], regex="杭州市.+号"),
        "年龄范围": reference("range", rows, ["年龄"], min=0, max=130),
        "身份证号唯一": reference("unique", rows, ["公民身份号码"]),
        "姓名住址唯一": reference("unique", rows, ["姓名", "住址"]),
        "出生日期一致": reference("birth_date_in_id", rows, ["公民身份号码", "出生日期"]),
        "性别一致": reference("gender_in_id", rows, ["公民身份号码", "性别"]),
        "在民政登记": reference("referential", rows, ["公民身份号码"], other=civil, column="公民身份号码"),
        "住址多源校核": reference("cross_source", rows, ["住址"], other=civil, key="公民身份号码"),
        # keyed on what is not 民政's stored key: its rows are grouped per key first
        "按住址核对证件号": reference(
            "cross_source", rows, ["公民身份号码"], other=civil, key="住址", exact=True
        ),
    }
    for name, (checked, failed) in expected.items():
        m = by_name[name]
        assert (m.checked, m.failed) == (checked, failed), name
        assert failed > 0 or name == "身份证号唯一", f"{name}: the data was meant to break it"
    assert by_name["身份证号有效"].passed is False and by_name["身份证号有效"].severity == "fail"
    assert by_name["姓名完整"].passed is True  # 80% threshold, 20 of 140 missing
    assert by_name["按时更新"].passed and by_name["记录数稳定"].message.startswith("first version")
    assert qrun.outcome == "failed" and qrun.rows == 140
    # the worst rules first: failing fail rules lead
    assert metrics[0].severity == "fail" and not metrics[0].passed


def test_cross_source_disagreements_are_reported_pair_by_pair(city):
    rows = people(60)
    civil = civil_rows(rows)
    _load(city, rows, civil)
    _import(
        city,
        f"""
resource: {city.people}
rules:
  - name: 住址多源校核
    kind: cross_source
    column: 住址
    other: {{resource: {city.civil}, key: 公民身份号码}}
""",
        by="op",  # 多源校核 across departments is the operator's
    )
    _, metrics, _ = _run(city)
    (m,) = metrics
    differing = [n for n in range(60) if n % 5 == 0]
    assert m.failed == len(differing)
    # each pair: the key (masked, an ID number), our value and theirs (addresses masked by grade)
    assert len(m.sample) == len(differing)
    for pair in m.sample:
        assert set(pair) >= {"住址", "公民身份号码", "__theirs", "_row_hash"}
        assert pair["住址"] != pair["__theirs"]
        assert "*" in pair["公民身份号码"]  # 一般4级: masked in every view


def test_scores_and_a_trend_over_three_versions(city):
    civil = civil_rows(people(100))
    city.store.write(city.civil, table(civil, CIVIL_ITEMS))
    _import(city, RULES.format(people=city.people, civil=city.civil), by="op")
    for bad_every in (50, 10, 3):  # quality falls version by version
        _load(city, people(100, bad_every=bad_every))
        _run(city)
    with city.world.db.session() as s:
        card = quality.scorecard(s, city.world.actor("mz"), city.people)
        ranks = quality.departments(s, city.world.actor("op"))
    scores = [p[2] for p in card.trend]
    assert len(scores) == 3 and scores[0] > scores[1] > scores[2]
    assert card.score == scores[-1]
    assert set(card.dimensions) == {"conformity", "completeness", "accuracy", "consistency", "timeliness"}
    # the overall score is the mean of the dimension scores
    assert card.score == pytest.approx(sum(card.dimensions.values()) / len(card.dimensions), abs=0.01)
    police = next(d for d in ranks if d.code == city.world.police)
    assert police.falling and police.falling[0][0] == city.people


def test_row_count_change_and_freshness(city):
    _load(city, people(100))
    _import(
        city,
        f"""
resource: {city.people}
rules:
  - {{name: 记录数稳定, kind: row_count_change, max_change: 0.3}}
  - {{name: 按时更新, kind: freshness}}
""",
    )
    _load(city, people(50))
    _, metrics, _ = _run(city, now=datetime.now(UTC) + timedelta(days=3))
    by = {m.rule_name: m for m in metrics}
    assert not by["记录数稳定"].passed and by["记录数稳定"].value == pytest.approx(0.5)
    assert not by["按时更新"].passed  # daily: at most 2 days old
    _, metrics, _ = _run(city)
    assert {m.rule_name: m.passed for m in metrics}["按时更新"]


def test_accessible_fails_when_a_file_of_the_version_no_longer_opens(city, tmp_path):
    _load(city, people(40))
    _import(
        city, f"resource: {city.people}\nrules:\n  - {{name: 数据可访问, kind: accessible, severity: fail}}\n"
    )
    _, (m,), _ = _run(city)
    items = len(PEOPLE_ITEMS)
    assert m.passed and m.failed == 0 and m.checked > items
    assert m.message.startswith(f"{items} of {items} data items stored")
    for path in (tmp_path / "warehouse").rglob("*.parquet"):  # the disk lost the end of every data file
        path.write_bytes(path.read_bytes()[:10])
    _, (m,), _ = _run(city)
    assert not m.passed and m.failed >= 1 and ".parquet" in m.message
    assert any("parquet" in s["problem"] for s in m.sample)


def test_a_rule_on_a_data_element_applies_wherever_it_is_mapped(city):
    rows = people(30)
    _load(city, rows, civil_rows(rows))
    _import(
        city,
        "rules:\n  - {name: 身份证号符合标准, kind: valid, element: DE01001, severity: fail}\n",
        by="op",
        filename="elements.yaml",
    )
    _, metrics, _ = _run(city)
    assert [m.rule_name for m in metrics] == ["身份证号符合标准"]
    assert metrics[0].failed == reference("valid", rows, ["公民身份号码"])[1]
    with city.world.db.session() as s:  # and the same rule measures 民政's resource
        qrun = quality.run(s, city.store, city.world.actor("mz"), city.civil)
        assert qrun.failed_rules == 1


def test_who_may_do_what(city):
    rows = people(30)
    _load(city, rows, civil_rows(rows))
    text = RULES.format(people=city.people, civil=city.civil)
    with pytest.raises(Forbidden):
        _import(city, text, by="mz")  # another department
    with pytest.raises(Forbidden):
        _import(
            city, "rules:\n  - {name: x, kind: not_null, element: DE01002}\n", by="ga"
        )  # elements: operator
    with pytest.raises(HuitongError) as refused:  # 公安 may not read 民政's data through a rule
        _import(city, text)
    assert refused.value.status == 403 and {p.line for p in refused.value.problems} == {15, 20, 25}
    assert all(city.civil in p.message for p in refused.value.problems)
    _import(city, text, by="op")
    _import(city, text, by="ga")  # unchanged, the operator's rules in it are no addition of 公安's
    emptied = _import(city, f"resource: {city.people}\nrules: []\n", by="ga", prune=True)
    with city.world.db.session() as s:
        kept = {r.name for r in quality.rules_of(s, city.world.actor("ga"), city.people)}
    assert kept == {"在民政登记", "住址多源校核", "按住址核对证件号"} and emptied.removed == 13
    _import(city, text, by="op")
    with pytest.raises(Forbidden):
        _run(city, by="mz")
    qrun, _, _ = _run(city)
    with city.world.db.session() as s:
        _, metrics, samples = quality.get_run(s, city.world.actor("mz"), qrun.id)
    assert samples is False and metrics  # others see the figures, not the failing rows


def test_a_stale_rule_is_reported_not_dropped(city):
    rows = people(20)
    _load(city, rows, civil_rows(rows))
    _import(city, f"resource: {city.people}\nrules:\n  - {{name: 姓名完整, kind: not_null, column: 姓名}}\n")
    with city.world.db.session() as s:  # the rule is there; now the version lacks a column
        from huitong.quality.tables import QualityRule

        s.query(QualityRule).one().columns = ["曾用名"]
    _, metrics, _ = _run(city)
    assert metrics[0].passed is False and "no column 曾用名" in metrics[0].message


def test_rules_naming_what_the_catalog_lacks_are_refused_with_their_lines(city):
    text = f"""resource: {city.people}
rules:
  - name: a
    kind: not_null
    column: 曾用名
  - name: b
    kind: referential
    column: 公民身份号码
    ref: {{resource: {city.civil}, column: 证件号}}
"""
    with pytest.raises(HuitongError) as exc:
        _import(city, text, filename="ga.yaml")
    lines = sorted(p.line for p in exc.value.problems)
    assert lines == [3, 6]
    assert "曾用名" in str(exc.value) and "证件号" in str(exc.value)
    with city.world.db.session() as s:
        assert quality.rules_of(s, city.world.actor("ga"), city.people) == []


def test_code_tables_and_patterns_match_numbers_as_they_are_written(city, world):
    """A 数值型 item is stored as decimal(38,10) (1 as 1.0000000000): a code table listing 1 and
    a pattern of digits see the number as written, not the stored scale."""
    from decimal import Decimal

    import pyarrow as pa

    from huitong.catalog import service as catalog
    from huitong.catalog.model import DataItem, DataType
    from tests.world import spec

    items = [
        DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
        DataItem("救助等级", DataType.N, 2),
        DataItem("补助金额", DataType.N, 10),
    ]
    with world.db.session() as s:
        code = catalog.create(s, world.actor("ga"), spec(world.police, name="救助等级信息", items=items)).code
    city.store.ensure_table(code, items)
    levels = [Decimal(1), Decimal(2), Decimal(3), Decimal("1.5"), None]
    money = [Decimal("500"), Decimal("1200.50"), Decimal("80"), Decimal("10"), Decimal("0.25")]
    city.store.write(
        code,
        pa.table(
            {
                "公民身份号码": [f"33010619800101{n:03d}X"[:18] for n in range(5)],
                "救助等级": pa.array(levels, pa.decimal128(38, 10)),
                "补助金额": pa.array(money, pa.decimal128(38, 10)),
            }
        ),
    )
    with world.db.session() as s:
        quality.import_rules(
            s,
            world.actor("ga"),
            f"""resource: {code}
rules:
  - {{name: 等级代码, kind: in_code_table, column: 救助等级, values: ["1", "2", "3"]}}
  - {{name: 金额整数, kind: pattern, column: 补助金额, regex: "[0-9]+"}}
""",
        )
    with world.db.session() as s:
        qrun = quality.run(s, city.store, world.actor("ga"), code)
        _, metrics, _ = quality.get_run(s, world.actor("ga"), qrun.id)
    by = {m.rule_name: (m.checked, m.failed) for m in metrics}
    assert by["等级代码"] == (4, 1)  # 1.5 is no code; the empty one is not checked
    assert by["金额整数"] == (5, 2)  # 1200.5 and 0.25 are not whole
