"""Review: DelimitedSource.load_batches must give exactly the rows batches() gives."""

from __future__ import annotations

from huitong.aggregate.sources import ColumnBatch, open_source


def _rows(batches) -> list:
    out = []
    for b in batches:
        out.extend([b.row(i) for i in range(len(b))] if isinstance(b, ColumnBatch) else b)
    return out


def _both(path, size=10, **options):
    reference = open_source("csv", path=str(path), **options)
    expected = _rows(reference.batches(size))
    source = open_source("csv", path=str(path), **options)
    return _rows(source.load_batches(size)), expected, source.skipped, reference.skipped


def test_a_header_spanning_lines_with_an_even_number_of_quotes_on_its_first_line(tmp_path):
    """尺寸(5") holds a bare inch mark, so line 1 has two quote characters (even) although the
    quoted 备注 label runs on to line 2: the head check reads only line 1 (data_start - 1 lines),
    finds no odd line, and parses line 2 -- the header's second line -- as a data row."""
    path = tmp_path / "规格.csv"
    path.write_text('尺寸(5"),"备注\n(选填)"\n1,2\n3,4\n', encoding="utf-8")
    got, expected, skipped, expected_skipped = _both(path)
    assert [r.row for r in expected] == [3, 4]
    assert got == expected  # got an extra row 2 {'尺寸(5")': '(选填)"'} with a width problem
    assert skipped == expected_skipped


def test_an_explicit_two_line_header_whose_second_record_runs_on(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\nx"y,"z\nw",q\n1,2\n', encoding="utf-8")
    got, expected, *_ = _both(path, header_rows=2)
    assert got == expected  # got a spurious row 3 ('w"', 'q')


def test_a_non_ascii_quote_character(tmp_path):
    """quotechar is only checked to be one character; Arrow's ParseOptions takes ASCII only, so a
    stretch holding the quote character raises ValueError instead of being read."""
    path = tmp_path / "t.csv"
    path.write_text("a,b\n§x,y§,y\n1,2\n", encoding="utf-8")
    got, expected, *_ = _both(path, delimiter=",", quotechar="§")
    assert got == expected  # ValueError: Expecting an ASCII character
