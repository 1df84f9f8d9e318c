"""A steward's decisions on pairs (人工复核) against the model and the cannot-link rule."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from huitong.fuse.link import link
from huitong.fuse.prepare import prepare
from huitong.fuse.spec import parse_spec
from huitong.standards.idcard import make_id_number

SPEC = parse_spec(
    {
        "record_id": "编号",
        "name": "姓名",
        "id_number": "身份证号",
        "birth_date": "出生日期",
        "address": "住址",
    }
)
BORN = date(1995, 6, 1)
A, B, C = (make_id_number("330106", BORN, s) for s in (37, 39, 12))


def _clusters(decisions=None) -> dict[str, str]:
    table = pa.table(
        {
            "编号": ["p1", "p2", "q1", "q2"],
            "姓名": ["张伟", "张伟", "李娜", "李娜"],
            "身份证号": [A, B, C, C],  # p1/p2: two valid numbers; q1/q2: one number twice
            "出生日期": ["1995-06-01"] * 4,
            "住址": ["文三路1号", "文三路1号", "学院路2号", "学院路2号"],
        }
    )
    linked = link(prepare(table, SPEC, source="民政"), SPEC.kind, set(SPEC.columns), decisions=decisions)
    return dict(
        zip(*(linked.clusters.column(c).to_pylist() for c in ("unique_id", "cluster_id")), strict=True)
    )


def test_the_model_joins_one_number_and_keeps_two_valid_numbers_apart():
    got = _clusters()
    assert got["q1"] == got["q2"] and got["p1"] != got["p2"]


def test_a_steward_decision_different_separates_records_the_model_joins():
    got = _clusters({("q2", "q1"): False})
    assert got["q1"] != got["q2"]


def test_a_steward_decision_same_joins_records_with_two_valid_numbers():
    got = _clusters({("p1", "p2"): True})
    assert got["p1"] == got["p2"]


def test_a_different_verdict_separates_two_records_a_third_one_joins():
    """A "different" on a pair is kept even when a third record links to both (a cannot-link, not
    only a removed edge): the two end in two clusters, the third with one of them."""
    import pyarrow as pa

    from huitong.fuse.link import link
    from huitong.fuse.prepare import prepare
    from huitong.fuse.spec import parse_spec

    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "xm": ["张伟"] * 3,
            "sfz": ["330106199003071233", None, None],
            "csrq": ["1990-03-07"] * 3,
            "dz": ["文三路1号"] * 3,
        }
    )
    spec = parse_spec(
        {"record_id": "id", "name": "xm", "id_number": "sfz", "birth_date": "csrq", "address": "dz"}
    )
    prepared = prepare(table, spec, source="x")
    chain = {("a", "b"): True, ("b", "c"): True}

    def clusters(decisions):
        got = link(prepared, "person", set(spec.columns), decisions=decisions).clusters
        return dict(
            zip(got.column("unique_id").to_pylist(), got.column("cluster_id").to_pylist(), strict=True)
        )

    joined = clusters(chain)
    assert joined["a"] == joined["b"] == joined["c"]
    apart = clusters({**chain, ("a", "c"): False})
    assert apart["a"] != apart["c"] and apart["b"] in (apart["a"], apart["c"])
