"""A data row is told from a note by its first character without reading the whole row; the
answer is the full rules' answer, which a row with a blank first cell always gets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.aggregate.sources.tabular import note_like

cells = st.lists(
    st.one_of(
        st.text(max_size=6),
        st.sampled_from(
            ["注：本表", "合计", "合 计：", "制表人：张三", "审核：李四", "\u200b注", " 备注", "张三"]
        ),
        st.none(),
        st.integers(),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=500)
@given(cells)
def test_note_like_answers_as_the_full_rules_do(row):
    assert note_like(row) == note_like(["", *row])
