"""The golden record (一数一源, 多源校核): one value per person (or entity) and field, taken from the
source the catalog names as authoritative for it (数源部门), else by the fusion's priority among its
inputs, then the newest version, then the value most sources agree on. Every value keeps where it
came from (source resource, record, version: field-level lineage), and a field whose sources
disagree after normalisation (two addresses, two birth dates) is a conflict, kept with every value
and its source so it can go back to the departments as an objection.

One DuckDB query over the long form (one row per record and field); no per-person Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

# field → (the value compared, the value shown): compared on the normalised form, so that 張偉/张伟 or
# 文三路１２３号/文三路123号 is no conflict; shown as the chosen source wrote it (normalised text)
FIELDS = {
    "person": {
        "name": ("name", "name"),
        "id_number": ("id_number", "id_number"),
        "birth_date": ("birth_date", "birth_date"),
        "gender": ("gender", "gender"),
        "address": ("address", "address_text"),
        "phone": ("phone", "phone"),
    },
    "entity": {
        "name": ("name", "name"),
        "credit_code": ("credit_code", "credit_code"),
        "org_code": ("org_code", "org_code"),
        "address": ("address", "address_text"),
    },
}


@dataclass(frozen=True)
class Golden:
    values: pa.Table  # base_id, field, value, source, record_key, snapshot_id, load_id, support, variants
    conflicts: pa.Table  # base_id, field, chosen, chosen_source, values (list of {value, source, record_key})


def golden(records: pa.Table, kind: str, authority: dict[str, list[str]]) -> Golden:
    """``records``: the prepared records with record_key, base_id, source (input resource code),
    priority (lower first), version_at (the version's commit time), snapshot_id and load_id (the
    load that made the version). ``authority``:
    field → the sources authoritative for it."""
    fields = {f: cols for f, cols in FIELDS[kind].items() if cols[0] in records.column_names}
    con = duckdb.connect()
    try:
        con.register("rec", records)
        auth_rows = [(f, s) for f, sources in authority.items() for s in sources]
        con.register(
            "auth",
            pa.table(
                {"field": [f for f, _ in auth_rows], "source": [s for _, s in auth_rows]},
                schema=pa.schema([("field", pa.string()), ("source", pa.string())]),
            ),
        )
        long = " UNION ALL ".join(
            f"""SELECT base_id, record_key, source, priority, version_at, snapshot_id, load_id, '{f}' AS field,
                       CAST("{cmp}" AS VARCHAR) AS cmp, CAST("{shown}" AS VARCHAR) AS shown
                FROM rec WHERE "{cmp}" IS NOT NULL"""
            for f, (cmp, shown) in fields.items()
        )
        con.execute(
            f"""CREATE TEMP TABLE cand AS
            WITH l AS ({long})
            SELECT l.*, (a.source IS NOT NULL) AS authoritative,
                   count(*) OVER (PARTITION BY l.base_id, l.field, l.cmp) AS support,
                   count(DISTINCT l.cmp) OVER (PARTITION BY l.base_id, l.field) AS variants
            FROM l LEFT JOIN auth a ON a.field = l.field AND a.source = l.source"""
        )
        values = (
            con.sql(
                """SELECT base_id, field, shown AS value, cmp, source, record_key, snapshot_id, load_id, support, variants
               FROM cand
               QUALIFY row_number() OVER (PARTITION BY base_id, field
                   ORDER BY authoritative DESC, priority, version_at DESC, support DESC, cmp, record_key) = 1
               ORDER BY base_id, field"""
            )
            .arrow()
            .read_all()
        )
        con.register("chosen_values", values)
        conflicts = (
            con.sql(
                """SELECT c.base_id, c.field, any_value(v.value) AS chosen, any_value(v.source) AS chosen_source,
                      list({'value': c.shown, 'source': c.source, 'record_key': c.record_key}
                           ORDER BY c.source, c.record_key) AS "values"
               FROM cand c JOIN chosen_values v ON v.base_id = c.base_id AND v.field = c.field
               WHERE c.variants > 1
               GROUP BY c.base_id, c.field ORDER BY c.base_id, c.field"""
            )
            .arrow()
            .read_all()
        )
    finally:
        con.close()
    return Golden(values, conflicts)


def wide(values: pa.Table, members: pa.Table, kind: str) -> pa.Table:
    """One row per base id: each field's chosen value, how many records it fuses, and the lineage of
    every field as JSON ({"name": {"source": ..., "snapshot": ..., "load": ...}}): the source resource,
    its version and load, never the record (a record id may be an ID number; the platform keeps which
    records a base id fuses in ``fusion_member``)."""
    con = duckdb.connect()
    try:
        con.register("v", values)
        con.register("m", members)
        cols = ", ".join(f"max(value) FILTER (WHERE field = '{f}') AS \"{f}\"" for f in FIELDS[kind])
        return (
            con.sql(
                f"""WITH g AS (
                  SELECT base_id, {cols},
                         to_json(map(list(field ORDER BY field),
                             list({{'source': source, 'snapshot': snapshot_id, 'load': load_id}} ORDER BY field)))::VARCHAR AS lineage
                  FROM v GROUP BY base_id),
                n AS (SELECT base_id, count(*) AS records FROM m GROUP BY base_id)
                SELECT n.base_id, g.* EXCLUDE (base_id), n.records
                FROM n LEFT JOIN g USING (base_id) ORDER BY n.base_id"""
            )
            .arrow()
            .read_all()
        )
    finally:
        con.close()
