"""De-identification operators (去标识化技术, GB/T 37964-2019): the registry and the suppression family.

An operator is a name and parameters read from plain data.  It changes one whole column at once, as
one DuckDB SQL expression over the registered Arrow table; beside it sits a per-value Python
reference that the tests hold the SQL to.  User values (keys, seeds, bounds) are always bound as
parameters, never written into the SQL text; column names are quoted identifiers.

Families: 抑制 suppression (``mask``, ``suppress``, ``drop``, here), 假名化 pseudonyms
(:mod:`.pseudonym`), 泛化 generalisation (:mod:`.generalise`), 随机化 randomisation
(:mod:`.randomise`); table-level operators (抽样, 记录抑制) are in :mod:`.table_ops`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pyarrow as pa

from huitong.deid.params import Param, Spec, read_params
from huitong.errors import Problem
from huitong.standards import masking
from huitong.store.duck import quote

POSITION = "__huitong_deid_row"  # each row's place in the input: seeds noise and sampling, orders output
TEXT, INTEGER, FLOAT, DATE, TIMESTAMP, OTHER = "text", "integer", "float", "date", "timestamp", "other"
NUMERIC = frozenset({INTEGER, FLOAT})
ANY = frozenset({TEXT, INTEGER, FLOAT, DATE, TIMESTAMP, OTHER})


def kind_of(dtype: pa.DataType) -> str:
    """What an operator needs to know of an Arrow type."""
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype):
        return TEXT
    if pa.types.is_integer(dtype):
        return INTEGER
    if pa.types.is_floating(dtype):
        return FLOAT
    if pa.types.is_date(dtype):
        return DATE
    if pa.types.is_timestamp(dtype):
        return TIMESTAMP
    return OTHER


class Sql:
    """The query being built: bound parameters, and the CTE layers of values computed once."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self.layers: list[list[tuple[str, str]]] = []

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def let(self, layer: int, expr: str) -> str:
        while len(self.layers) <= layer:
            self.layers.append([])
        alias = f"__huitong_deid_{sum(map(len, self.layers))}"
        self.layers[layer].append((alias, expr))
        return alias


class Column:
    """One column as an operator sees it while writing its SQL."""

    def __init__(self, name: str, kind: str, sql: Sql, key: bytes | None = None):
        self.name, self.kind, self.key = name, kind, key
        self.ref = quote(name)
        self.position = POSITION
        self._sql = sql
        self._layer = 0

    def bind(self, value: Any) -> str:
        return self._sql.bind(value)

    def let(self, expr: str) -> str:
        """``expr`` computed once, in a CTE before this column's later ones: DuckDB recomputes a
        sub-expression wherever it appears, and window functions may not nest."""
        alias = self._sql.let(self._layer, expr)
        self._layer += 1
        return alias


class ColumnOperator(Spec):
    """An operator on one column.  Subclasses declare ``name``, ``family``, ``params`` and the column
    ``kinds`` they accept, and give :meth:`sql` and :meth:`one` (or :meth:`reference`)."""

    name: ClassVar[str]
    family: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    kinds: ClassVar[frozenset[str]] = ANY
    needs_key: ClassVar[bool] = False
    hides_identity: ClassVar[bool] = False  # enough on its own for a direct identifier (直接标识符)

    def check(self, kind: str) -> str | None:
        """Why this operator cannot apply to a column of ``kind`` (beyond ``kinds``), or None."""
        return None

    def sql(self, col: Column) -> str | None:
        """The column's released value as SQL; None drops the column."""
        raise NotImplementedError

    def one(self, value: Any, *, kind: str, key: bytes | None) -> Any:
        """The reference: what the SQL gives for one non-NULL value."""
        raise NotImplementedError

    def reference(self, values: Sequence[Any], *, column: str, kind: str, key: bytes | None = None) -> list:
        """The reference over a whole column, in row order (NULL stays NULL)."""
        return [None if v is None else self.one(v, kind=kind, key=key) for v in values]


REGISTRY: dict[str, type[ColumnOperator]] = {}  # filled as the family modules load (the package does that)


def register(cls: type[ColumnOperator]) -> type[ColumnOperator]:
    REGISTRY[cls.name] = cls
    return cls


def parse_operator(raw: Any, *, column: str) -> tuple[ColumnOperator | None, list[Problem]]:
    """``"drop"`` or ``{"op": "mask", "keep_prefix": 1}`` as an operator, or the problems with it."""
    field = f"columns.{column}"
    if isinstance(raw, str):
        raw = {"op": raw}
    if not isinstance(raw, Mapping) or not isinstance(raw.get("op"), str):
        return None, [
            Problem(
                f"give an operator name, or a mapping with 'op' and its parameters (got {raw!r})",
                column=column,
                field=field,
            )
        ]
    cls = REGISTRY.get(raw["op"])
    if cls is None:
        return None, [
            Problem(
                f"unknown operator {raw['op']!r} (known: {', '.join(sorted(REGISTRY))})",
                column=column,
                field=f"{field}.op",
            )
        ]
    args, problems = read_params(
        cls.name, cls.params, {k: v for k, v in raw.items() if k != "op"}, column=column, field=field
    )
    return (None, problems) if problems else (cls(args), [])


def mask_text(text: str, keep_prefix: int, keep_suffix: int, char: str = masking.MASK_CHAR) -> str:
    """:func:`huitong.standards.masking.keep` (the display rule: a value too short to hide anything
    is starred whole), with any mask character."""
    shown = masking.keep(text, keep_prefix, keep_suffix)
    if char == masking.MASK_CHAR:
        return shown
    n = len(text)
    start, hidden = (0, n) if n <= keep_prefix + keep_suffix else (keep_prefix, n - keep_prefix - keep_suffix)
    return shown[:start] + char * hidden + shown[start + hidden :]


@register
class Mask(ColumnOperator):
    """屏蔽: keep ``keep_prefix`` leading and ``keep_suffix`` trailing characters (not bytes: DuckDB's
    ``length``/``left``/``right`` count code points, as Python does) and replace the rest."""

    name, family = "mask", "suppression"
    params = (
        Param("keep_prefix", "int", 0, low=0),
        Param("keep_suffix", "int", 0, low=0),
        Param("char", "char", masking.MASK_CHAR),
    )
    kinds = frozenset({TEXT, INTEGER})
    hides_identity = True

    def sql(self, col: Column) -> str:
        p, s = col.bind(self.args["keep_prefix"]), col.bind(self.args["keep_suffix"])
        v = col.ref if col.kind == TEXT else f"CAST({col.ref} AS VARCHAR)"
        char, n = col.bind(self.args["char"]), f"length({v})"
        return (
            f"(CASE WHEN {n} <= {p} + {s} THEN repeat({char}, {n}) "
            f"ELSE left({v}, {p}) || repeat({char}, {n} - {p} - {s}) || right({v}, {s}) END)"
        )

    def one(self, value: Any, *, kind: str, key: bytes | None) -> str:
        return mask_text(str(value), self.args["keep_prefix"], self.args["keep_suffix"], self.args["char"])


@register
class Suppress(ColumnOperator):
    """局部抑制: every cell NULL; the column stays, with its type, so the release keeps its shape."""

    name, family = "suppress", "suppression"
    hides_identity = True

    def sql(self, col: Column) -> str:
        return f"(CASE WHEN false THEN {col.ref} END)"

    def one(self, value: Any, *, kind: str, key: bytes | None) -> None:
        return None


@register
class Drop(ColumnOperator):
    """The column is not released at all."""

    name, family = "drop", "suppression"
    hides_identity = True

    def sql(self, col: Column) -> None:
        return None

    def one(self, value: Any, *, kind: str, key: bytes | None) -> None:
        return None
