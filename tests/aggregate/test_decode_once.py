"""A load decodes a GBK export once: the encoding is taken from the first megabyte and checked by the
load's own strict read, not by a whole-file pass before it. A file that goes bad further on still
fails with the whole-file check's message, and nothing is stored."""

from __future__ import annotations

import numpy as np
import pytest

from huitong.aggregate.pipeline import run_load
from huitong.aggregate.sources import open_source
from huitong.aggregate.sources.encoding import CHUNK, detect_encoding, detect_for_reading
from huitong.errors import HuitongError
from tests.aggregate.flow import make_flow, person_id


@pytest.fixture
def flow(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path, good=3)
    yield f
    f.store.close()


def _export(path, rows: int, tail: bytes = b"") -> None:
    lines = ["身份证号,姓名,性别"] + [
        f"{person_id(n)},居民{n},{'男' if n % 2 else '女'}" for n in range(rows)
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk") + tail)


def test_a_gbk_file_is_taken_as_gb18030_from_its_start_and_read_once(tmp_path):
    path = tmp_path / "人口.csv"
    _export(path, 40_000)  # over a megabyte
    assert path.stat().st_size > CHUNK
    quick = detect_for_reading(path)
    assert (quick.encoding, quick.verified) == ("gb18030", False)
    assert detect_encoding(path).encoding == "gb18030"  # the whole-file answer is the same
    lazy = open_source("csv", path=str(path))
    lazy.for_load = True
    rows = [
        r
        for b in lazy.load_batches(5000)
        for r in (b.rows_at(np.arange(len(b))) if hasattr(b, "rows_at") else b)
    ]
    assert len(rows) == 40_000 and rows[-1].values["姓名"] == "居民39999"


@pytest.mark.parametrize(
    "tail, fragment",
    [
        (b"\xff\xff,bad,\xff\n", "cannot tell the text encoding"),  # neither UTF-8 nor GB18030
    ],
)
def test_a_file_that_goes_bad_after_its_first_megabyte_fails_as_the_whole_file_check_says(
    flow, tail, fragment
):
    ga = flow.world.actor("ga")
    assert run_load(flow.world.db, flow.store, ga, "hj").status == "loaded"
    _export(flow.export, 40_000, tail)
    with pytest.raises(HuitongError) as lazy:
        run_load(flow.world.db, flow.store, ga, "hj")
    with pytest.raises(HuitongError) as whole:
        open_source("csv", path=str(flow.export)).describe()
    assert fragment in lazy.value.message and lazy.value.message == whole.value.message
    assert "line 40002" in lazy.value.message  # where the bad bytes are
    assert flow.store.read(flow.code).num_rows == 3  # the version before stays whole


def test_a_file_ascii_at_first_and_gbk_later_is_still_checked_whole(tmp_path):
    path = tmp_path / "混合.csv"
    ascii_part = "\n".join(f"{person_id(n)},A{n},1" for n in range(60_000))
    path.write_bytes(f"id,name,sex\n{ascii_part}\n".encode() + "330106198001010012,张三,男\n".encode("gbk"))
    decoding = detect_for_reading(path)
    assert (decoding.encoding, decoding.verified) == ("gb18030", True)
