"""The table builder: windows, re-use and successors from synthetic yearly lists."""

from huitong.standards.data.build_divisions import build
from huitong.standards.divisions import DivisionTable


def write(tmp_path, stem, rows):
    lines = ["Source\tRevision\tCode\tName"] + [f"mca\t{stem}\t{c}\t{n}" for c, n in rows]
    (tmp_path / f"{stem}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_build_windows_reuse_and_successors(tmp_path):
    base = [("330000", "浙江省"), ("330100", "杭州市"), ("330101", "市辖区")]
    write(tmp_path, "200012", base + [("330181", "萧山市"), ("330199", "甲县")])
    write(tmp_path, "200106", base + [("330181", "萧山市")])  # not December: ignored for 2001
    write(tmp_path, "200112", base + [("330109", "萧山区")])
    write(tmp_path, "200212", base + [("330109", "萧山区"), ("330199", "乙县")])
    text = build(tmp_path)
    assert text.startswith("# vintage: 2002-12\n")
    assert "200112" in text and "200106" not in text
    rows = [line.split("\t") for line in text.splitlines() if line[:1].isdigit()]
    by_code = {}
    for row in rows:
        by_code.setdefault(row[0], []).append(row)
    assert "330101" not in by_code  # placeholder rows are dropped
    assert by_code["330181"] == [["330181", "萧山市", "2000-01-01", "2000-12-31", "330109"]]
    assert by_code["330109"] == [["330109", "萧山区", "2001-01-01", "", ""]]
    assert by_code["330199"] == [
        ["330199", "甲县", "2000-01-01", "2000-12-31", ""],
        ["330199", "乙县", "2002-01-01", "", ""],
    ]
    table = DivisionTable.from_tsv(text)
    assert table.vintage == "2002-12"
    assert table.successors("330181") == ["330109"]
