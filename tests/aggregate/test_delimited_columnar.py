"""A CSV read for a load (plain stretches straight into Arrow columns) gives exactly the rows the
row-by-row reader gives: values, line numbers, reading problems, and the lines skipped."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong.aggregate.sources import ColumnBatch, delimited, open_source

HEADER = "身份证号,姓名,性别,住址"
HEADERS = [HEADER, '"身份证号","姓名","性别","住址"', '身份证号,"姓名\n(中文)",性别,住址']
plain = st.builds(
    lambda a, b, c, d: f"{a},{b},{c},{d}",
    st.sampled_from(["330106198001010012", "", " 11010119900307001X", "\u3000"]),
    st.sampled_from(["张三", "李四", "注意", "合计", "", "备注：无", "Ｊｏｈｎ"]),
    st.sampled_from(["男", "女", "", "1"]),
    st.sampled_from(["杭州市文三路1号", "", "说明", "\u200b西湖区"]),
)
odd = st.sampled_from(
    [
        "",
        ",,,",
        "  ,\t, , ",
        "注：本表由公安局提供",
        "合计,3,,",
        "制表人：张三,审核人：李四",
        "330106198001010012,张三",  # too short
        "330106198001010012,张三,男,杭州,多余",  # too wide
        '330106198001010012,"张,三",男,杭州',  # quoted delimiter
        '330106198001010012,"张\n三",男,杭州',  # a line break in quotes
        '330106198001010012,"张三,男,杭州',  # never closed
        "330106198001010012,张\r三,男,杭州",  # a lone carriage return
        "330106198001010012,张\x00三,男,杭州",
        "33010619800101001,王五,女,",
    ]
)
quoted = st.sampled_from(
    [
        '"330106198001010012","张三","男","杭州市文三路1号"',
        '"330106198001010012","张""三","男",""',
        '"","注：","男","杭州"',
        ' "330106198001010012",张三,男,杭州',  # a space before the quote
        '330106198001010012,张"三,男,杭州',  # a quote inside a bare value
        '330106198001010012,"张三"四,男,杭州',  # text after the closing quote
        '"330106198001010012","张\n三","男","杭州"',
    ]
)
lines = st.lists(st.one_of(plain, plain, plain, odd, quoted), max_size=25)


def _as_rows(batch) -> list:
    if isinstance(batch, ColumnBatch):
        return [batch.row(i) for i in range(len(batch))]
    return list(batch)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(["杭州市常住人口名单", "填报单位：公安局"]), max_size=2),
    lines,
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from(["utf-8", "gb18030"]),
    st.integers(1, 6),
    st.booleans(),
    st.sampled_from(HEADERS),
    st.sampled_from([delimited.READ_CHARS, 1, 2, 7]),
)
def test_load_batches_give_the_rows_batches_give(
    tmp_path_factory, title, body, newline, encoding, size, end, header, read
):
    """Also when the decoded text arrives a few characters at a time, so that reads end inside a
    line, a quoted value or a CR LF pair."""
    path = tmp_path_factory.mktemp("csv") / "人口.csv"
    text = newline.join([*title, header, *body]) + (newline if end else "")
    path.write_bytes(text.encode(encoding))
    reference_source = open_source("csv", path=str(path), delimiter=",", quotechar='"')
    reference = [r for b in reference_source.batches(size) for r in b]
    source = open_source("csv", path=str(path), delimiter=",", quotechar='"')
    default, delimited.READ_CHARS = delimited.READ_CHARS, read
    try:
        batches = list(source.load_batches(size))
    finally:
        delimited.READ_CHARS = default
    assert all(len(b) for b in batches)
    assert [r for b in batches for r in _as_rows(b)] == reference
    assert source.skipped == reference_source.skipped


def test_a_plain_file_is_read_as_columns(tmp_path):
    path = tmp_path / "人口.csv"
    rows = [f"3301061980010100{i:02d},张{i},男,杭州" for i in range(10)]
    path.write_bytes("\r\n".join(["人口名单", HEADERS[1], *rows, "", "注：测试"]).encode("gbk"))
    batches = list(open_source("csv", path=str(path)).load_batches(4))
    assert [type(b).__name__ for b in batches] == ["ColumnBatch", "ColumnBatch", "list"]
    assert batches[0].numbers.tolist() == [3, 4, 5, 6]
    assert batches[1].row(0).values == {
        "身份证号": "330106198001010004",
        "姓名": "张4",
        "性别": "男",
        "住址": "杭州",
    }


def test_a_file_with_every_value_quoted_is_read_as_columns_too(tmp_path):
    path = tmp_path / "人口.csv"
    rows = [f'"3301061980010100{i:02d}","张""{i}""","男",""' for i in range(6)]
    path.write_bytes("\n".join([HEADERS[1], *rows]).encode("utf-8"))
    batches = list(open_source("csv", path=str(path)).load_batches(3))
    assert [type(b).__name__ for b in batches] == ["ColumnBatch", "ColumnBatch"]
    assert batches[1].row(2).values == {
        "身份证号": "330106198001010005",
        "姓名": '张"5"',
        "性别": "男",
        "住址": None,
    }
    assert batches[1].row(2).row == 7
