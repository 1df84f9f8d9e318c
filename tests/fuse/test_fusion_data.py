"""The fusion benchmark generator: deterministic, fully labelled, every noise kind present, files that read back."""

import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from bench import fusion_data, fusion_entities
from bench.fusion_data import generate, generate_entities, write

# person or entity tags every record of them carries, and the prefix depth (drawn, not a rate)
PERSON_TAGS = {"floating", "moved", "old_region_id", "twin", "lookalike", "duplicate_in_department"}
ENTITY_TAGS = {"branch", "lookalike", "pre2015", "duplicate_in_department"}
DEPTH = {"address_short_prefix"}


@pytest.fixture(scope="module")
def people():
    return generate(3000, seed=5)


@pytest.fixture(scope="module")
def entities():
    return generate_entities(1500, seed=5)


def _record_ids(gen):
    return [
        rid for dept, t in gen.tables.items() for rid in t.column(gen.specs[dept]["record_id"]).to_pylist()
    ]


def test_same_seed_same_data_other_seed_other_data(people):
    again = generate(3000, seed=5)
    assert all(again.tables[d].equals(t) for d, t in people.tables.items())
    assert again.truth.equals(people.truth) and again.errors.equals(people.errors)
    assert not generate(3000, seed=6).tables["公安"].equals(people.tables["公安"])


@pytest.mark.parametrize("which", ["people", "entities"])
def test_record_ids_unique_and_truth_covers_every_record(which, request):
    gen = request.getfixturevalue(which)
    ids = _record_ids(gen)
    assert len(ids) == len(set(ids))
    assert sorted(gen.truth.column("record_id").to_pylist()) == sorted(ids)
    assert gen.truth.column("person_id").null_count == 0
    assert gen.errors.column("record_id").to_pylist() == gen.truth.column("record_id").to_pylist()


def test_about_four_in_five_records_carry_an_id(people):
    held = sum(
        t.num_rows - t.column(people.specs[d]["id_number"]).null_count for d, t in people.tables.items()
    )
    assert held / people.truth.num_rows == pytest.approx(0.8, abs=0.04)
    gongan = people.tables["公安"]
    assert gongan.column("公民身份号码").null_count == 0


def test_departments_hold_people_unevenly(people):
    rows = {d: t.num_rows for d, t in people.tables.items()}
    assert rows["公安"] > rows["人社"] > rows["民政"]
    departments = {}
    owner = dict(
        zip(
            people.truth.column("record_id").to_pylist(),
            people.truth.column("person_id").to_pylist(),
            strict=True,
        )
    )
    for dept, t in people.tables.items():
        for rid in t.column(people.specs[dept]["record_id"]).to_pylist():
            departments.setdefault(owner[rid], set()).add(dept)
    sizes = {len(s) for s in departments.values()}
    assert sizes == {1, 2, 3, 4}
    assert any("公安" not in s for s in departments.values())  # 流动人口


def test_every_noise_kind_occurs(people, entities):
    assert set(people.error_counts()) >= set(fusion_data.RATES) | PERSON_TAGS | DEPTH
    assert set(entities.error_counts()) >= set(fusion_entities.RATES) | ENTITY_TAGS | DEPTH


@pytest.mark.parametrize("which", ["people", "entities"])
def test_specs_name_existing_columns(which, request):
    gen = request.getfixturevalue(which)
    assert set(gen.tables) == set(gen.specs)
    for dept, spec in gen.specs.items():
        assert "record_id" in spec and set(spec) <= set(gen.roles)
        assert set(spec.values()) <= set(gen.tables[dept].column_names)


def _read(path, encoding="utf-8"):
    with open(path, encoding=encoding) as f:
        header = f.readline().strip().replace('"', "").split(",")
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


def test_written_files_read_back(tmp_path):
    gen = generate(400, seed=1)
    one = write(gen, tmp_path / "one")
    assert {p.name for p in one} == {"people.csv", "spec.json", "truth.csv", "errors.csv"}
    spec = json.loads((tmp_path / "one" / "spec.json").read_text(encoding="utf-8"))
    assert list(spec) == list(gen.roles)
    combined = _read(tmp_path / "one" / "people.csv")
    assert combined.num_rows == gen.truth.num_rows and combined.column_names == list(gen.roles)
    assert _read(tmp_path / "one" / "truth.csv").equals(gen.truth)

    write(gen, tmp_path / "split", one_file=False)
    for dept, table in gen.tables.items():
        encoding = gen.encodings.get(dept, "utf-8")
        path = tmp_path / "split" / f"{dept}.csv"
        assert _read(path, encoding).equals(table), dept
        spec = json.loads((tmp_path / "split" / f"spec-{dept}.json").read_text(encoding="utf-8"))
        assert spec == gen.specs[dept]
    with pytest.raises(UnicodeDecodeError):  # 卫健's file really is GBK
        (tmp_path / "split" / "卫健.csv").read_bytes().decode("utf-8")
