"""Delivery under a grant: the consumer sees only granted rows and items, masked by grade; filters
cannot probe masked values; quotas, revocation and expiry stop delivery at once; verification
answers without data; batch extracts carry a signed manifest; every delivery is evidence."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from huitong.db.base import utcnow
from huitong.errors import Forbidden, HuitongError, QuotaExceeded
from huitong.ledger import service as ledger
from huitong.ledger.tables import EvidenceEntry
from huitong.share import delivery, grants
from huitong.share.tables import Delivery, Grant, Recall
from tests.share.conftest import PEOPLE

ZHANG = PEOPLE[0][0]


def test_the_consumer_sees_masked_values_of_only_the_granted_items(sharing):
    gid = sharing.granted(items=["公民身份号码", "姓名", "性别"])
    page = delivery.query(sharing.db, sharing.store, sharing.actor("mzu"), gid)
    assert page["count"] == 4
    first = page["rows"][0]
    assert set(first) == {"公民身份号码", "姓名", "性别"}  # 住址 and 区划代码 were not granted
    assert first["公民身份号码"] == ZHANG[:6] + "********" + ZHANG[-4:]
    assert first["姓名"] == "张*"
    assert first["性别"] == "1"  # 一般2级: in clear
    assert page["rows"][1]["姓名"] == "欧阳**"  # compound surname kept whole


def test_a_provider_can_grant_clear_values_or_pseudonyms_per_item(sharing):
    gid = sharing.granted(
        items=["公民身份号码", "姓名"], treatments={"姓名": "clear", "公民身份号码": "pseudonym"}
    )
    rows = delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid)["rows"]
    assert rows[0]["姓名"] == "张三"
    p1 = rows[0]["公民身份号码"]
    assert p1.startswith("P") and ZHANG not in p1
    again = delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid)["rows"][0]["公民身份号码"]
    assert again == p1  # stable for one consumer, so its extracts join


def test_row_scope_and_consumer_filters_and_no_probing_of_masked_items(sharing):
    gid = sharing.granted(row_filter={"区划代码": "330110"})
    rows = delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid)["rows"]
    assert {r["区划代码"] for r in rows} == {"330110"} and len(rows) == 2
    none = delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid, filter={"区划代码": "330106"})
    assert none["rows"] == []  # outside the granted scope, even when asked for
    with pytest.raises(HuitongError, match="does not fit the grant") as err:
        delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid, filter={"姓名": "李四"})
    assert "cannot be filtered on" in err.value.problems[0].message


def test_only_the_consumer_named_in_the_grant_receives_data_and_refusals_are_evidence(sharing):
    gid = sharing.granted()
    with pytest.raises(Forbidden):
        delivery.query(sharing.db, sharing.store, sharing.actor("sj"), gid)
    with sharing.db.session() as s:
        denied = s.scalars(
            select(EvidenceEntry).where(
                EvidenceEntry.result == "denied", EvidenceEntry.action == "share.deliver.query"
            )
        ).all()
    assert [e.actor_name for e in denied] == ["sj"]


def test_quota_revocation_and_expiry_stop_delivery_at_once(sharing):
    gid = sharing.granted(max_requests_per_day=2)
    for _ in range(2):
        delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid)
    with pytest.raises(QuotaExceeded, match="2 requests per day"):
        delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid)
    rows_gid = sharing.granted(max_rows_per_day=3)
    with pytest.raises(QuotaExceeded, match="would deliver 4 rows"):
        delivery.query(sharing.db, sharing.store, sharing.actor("mz"), rows_gid)
    assert delivery.query(sharing.db, sharing.store, sharing.actor("mz"), rows_gid, limit=3)["count"] == 3

    gid2 = sharing.granted()
    delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid2)
    with sharing.db.session() as s:
        grants.revoke(s, sharing.actor("ga"), gid2, "申请用途已完成")
    with pytest.raises(Forbidden, match="revoked"):
        delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid2)

    gid3 = sharing.granted()
    with sharing.db.session() as s:
        s.get(Grant, gid3).valid_until = utcnow() - timedelta(seconds=1)
    with pytest.raises(Forbidden, match="expired"):
        delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid3)


def test_modes_not_granted_are_refused(sharing):
    gid = sharing.granted(modes=["verify"])
    with pytest.raises(Forbidden, match="does not allow query"):
        delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid)


def test_verification_answers_match_no_match_or_not_found_without_data(sharing):
    gid = sharing.granted(items=["公民身份号码", "姓名"])
    ok = delivery.verify(
        sharing.db, sharing.store, sharing.actor("mz"), gid, {"公民身份号码": ZHANG, "姓名": "张三"}
    )
    assert ok["result"] == "match" and ok["items"] == {"姓名": "match"}
    wrong = delivery.verify(
        sharing.db, sharing.store, sharing.actor("mz"), gid, {"公民身份号码": ZHANG.lower(), "姓名": "张四"}
    )
    assert wrong["result"] == "no_match" and "张三" not in json.dumps(wrong, ensure_ascii=False)
    missing = delivery.verify(
        sharing.db,
        sharing.store,
        sharing.actor("mz"),
        gid,
        {"公民身份号码": "110101199003070000", "姓名": "张三"},
    )
    assert missing["result"] == "not_found"
    with pytest.raises(HuitongError, match="does not fit the grant"):
        delivery.verify(
            sharing.db, sharing.store, sharing.actor("mz"), gid, {"公民身份号码": ZHANG, "住址": "x"}
        )


def test_batch_extract_has_a_manifest_with_checksum_and_signature(sharing, tmp_path):
    gid = sharing.granted(items=["公民身份号码", "姓名", "性别"])
    m = delivery.batch(sharing.db, sharing.store, sharing.actor("mz"), gid, tmp_path / "x", fmt="csv")
    path, d = delivery.open_extract(sharing.db, sharing.actor("mz"), m["delivery"], tmp_path / "x")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == m["sha256"] == d.checksum
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert m["rows"] == len(rows) == 4 and rows[0]["姓名"] == "张*"
    body = json.dumps(
        {k: v for k, v in m.items() if k != "signature"},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    sharing.db.ledger_keys.current.public_key.verify(base64.b64decode(m["signature"]["value"]), body)
    pm = delivery.batch(sharing.db, sharing.store, sharing.actor("mz"), gid, tmp_path / "x", fmt="parquet")
    table = pq.read_table(tmp_path / "x" / f"delivery-{pm['delivery']}.parquet")
    assert table.num_rows == 4 and table.column("性别").to_pylist()[0] == "1"


def test_revoking_a_grant_recalls_held_extracts_until_the_consumer_acknowledges(sharing, tmp_path):
    gid = sharing.granted()
    m = delivery.batch(sharing.db, sharing.store, sharing.actor("mz"), gid, tmp_path)
    with sharing.db.session() as s:
        grants.revoke(s, sharing.actor("op"), gid, "提供方数据有误，需召回")
    with sharing.db.session() as s:
        (recall,) = grants.recalls(s, sharing.actor("mz"), status="open")
        assert recall.batches == [m["delivery"]]
        with pytest.raises(Forbidden):
            grants.acknowledge_recall(s, sharing.actor("ga"), recall.id)  # only the consumer confirms
    with pytest.raises(Forbidden, match="revoked"):
        delivery.open_extract(sharing.db, sharing.actor("mz"), m["delivery"], tmp_path)
    with sharing.db.session() as s:
        grants.acknowledge_recall(s, sharing.actor("mz"), recall.id, "已删除本地副本")
    with sharing.db.session() as s:
        assert s.get(Recall, recall.id).status == "acknowledged"


def test_deliveries_are_evidence_and_answer_who_used_my_data(sharing):
    gid = sharing.granted(items=["公民身份号码", "姓名"])
    delivery.lookup(sharing.db, sharing.store, sharing.actor("mz"), gid, ZHANG)
    delivery.verify(
        sharing.db, sharing.store, sharing.actor("mz"), gid, {"公民身份号码": PEOPLE[2][0], "姓名": "李四"}
    )
    with sharing.db.session() as s:
        used = ledger.who_used(s, sharing.actor("aud"), ZHANG)
        assert [(e.action, e.department_id) for e in used] == [
            ("share.deliver.query", sharing.actor("mz").department_id)
        ]
        details = json.loads(used[0].details)
        assert details["purpose"] == "data_verification" and details["rows"] == 1 and details["grant"] == gid
        assert [e.action for e in ledger.who_used(s, sharing.actor("aud"), PEOPLE[2][0])] == [
            "share.deliver.verify"
        ]
        assert s.scalar(select(Delivery).where(Delivery.mode == "verify")).rows == 0


def test_a_stored_number_reads_the_same_in_every_delivery_mode(sharing, tmp_path):
    # the defect: grant queries and change sets said "1E+2" and "2.5E+3" where the rows API and the
    # batch CSV said 100.0000000000; one encoder now gives plain decimal notation everywhere
    from decimal import Decimal

    import pyarrow as pa

    from huitong.catalog.model import DataItem, DataType
    from huitong.encoding import table_rows
    from tests.share.conftest import ITEMS, _publish, people_table

    items = [*ITEMS, DataItem("补助金额", DataType.N)]
    code = _publish(sharing.world, name="低保补助信息", items=items)
    sharing.store.ensure_table(code, items)
    amounts = [Decimal(100), Decimal(2500), Decimal("0.0000001"), None]
    first = sharing.store.write(
        code, people_table().append_column("补助金额", pa.array(amounts, pa.decimal128(38, 10))), "full"
    )
    rid = sharing.apply(code=code)
    sharing.act(rid, "op", "comply")
    _, gid = sharing.act(rid, "ga", "approve")
    expected = ["100.0000000000", "2500.0000000000", "0.0000001000", None]

    page = delivery.query(sharing.db, sharing.store, sharing.actor("mzu"), gid)
    assert [r["补助金额"] for r in page["rows"]] == expected
    assert "1E+2" not in "".join(delivery.csv_text(page["rows"]))
    stored = sharing.store.read(code)
    assert [r["补助金额"] for r in table_rows(stored)] == expected  # what the rows API answers

    m = delivery.batch(sharing.db, sharing.store, sharing.actor("mzu"), gid, tmp_path, fmt="csv")
    path, _ = delivery.open_extract(sharing.db, sharing.actor("mzu"), m["delivery"], tmp_path)
    with open(path, encoding="utf-8") as f:
        assert [r["补助金额"] for r in csv.DictReader(f)] == [e or "" for e in expected]

    second = sharing.store.write(
        code,
        people_table().append_column("补助金额", pa.array([Decimal(200)] * 4, pa.decimal128(38, 10))),
        "full",
    )
    changes = delivery.changes(
        sharing.db, sharing.store, sharing.actor("mzu"), gid, first.snapshot_id, second.snapshot_id
    )
    assert sorted(r["补助金额"] for r in changes["changed"]) == ["200.0000000000"] * 4


def test_binary_values_are_hex_in_every_encoding():
    import pyarrow as pa

    from huitong.encoding import column_values, table_rows

    for t in (pa.binary(), pa.large_binary()):
        col = pa.array([b"\x00\xff", None], type=t)
        assert column_values(col) == ["00ff", None]
        assert table_rows(pa.table({"g": col})) == [{"g": "00ff"}, {"g": None}]
