"""Plain files linked without the catalog: ``huitong fuse link`` and the service under it, on a small
labelled population (bench.fusion_data), and the refusals a person sees when an input is wrong."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from bench.fusion_data import generate, write
from huitong.cli.context import state
from huitong.cli.main import app
from huitong.fuse.accuracy import accuracy, read_truth
from huitong.fuse.files import link_files
from huitong.fuse.spec import read_spec

MIN_F1 = 0.95


@pytest.fixture(scope="module")
def people(tmp_path_factory) -> Path:
    """people.csv (every department, role names as columns), spec.json and truth.csv."""
    out = tmp_path_factory.mktemp("people")
    write(generate(people=300, seed=1), out, one_file=True)
    return out


@pytest.fixture(scope="module")
def departments(tmp_path_factory) -> tuple[list[Path], Path]:
    """The same records as one file per department in the role columns (卫健's in GBK, as it
    exports), and truth.csv."""
    gen = generate(people=300, seed=1)
    out = tmp_path_factory.mktemp("departments")
    combined = gen.combined()
    paths = []
    for dept in gen.tables:
        part = combined.filter(pc.equal(combined.column("source"), dept))
        path = out / f"{dept}.csv"
        pacsv.write_csv(part, path)
        if dept in gen.encodings:  # re-encoded as the department writes it
            path.write_bytes(path.read_text(encoding="utf-8").encode(gen.encodings[dept]))
        paths.append(path)
    write(gen, out / "labels", one_file=True)
    return paths, out / "labels"


def _read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def _input_ids(*paths: Path) -> list[str]:
    ids = []
    for path in paths:
        encoding = "gbk" if path.stem == "卫健" else "utf-8"  # as the departments fixture wrote them
        ids += [row["record_id"] for row in _read_csv(path, encoding)]
    return ids


def _f1(clusters, truth: Path) -> float:
    return accuracy(clusters, read_truth(truth)).f1


@pytest.fixture
def run(tmp_path, monkeypatch):
    """``huitong ...`` as a person types it, in tmp_path; a database that cannot be opened proves
    ``fuse link`` never touches one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUITONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUITONG_DATABASE_URL", f"sqlite:///{tmp_path}/no/such/dir/catalog.db")
    runner = CliRunner()

    def invoke(*args: str):
        state._settings = None
        state._db = None
        result = runner.invoke(app, ["fuse", "link", *args])
        assert state._db is None
        return result

    return invoke


def _refused(result) -> str:
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # a clear exit, not a crash
    assert "Traceback" not in result.output
    assert "error:" in result.output
    return result.output


# ---- linkage -----------------------------------------------------------------------------------


def test_link_files_clusters_every_record_once_and_finds_the_people(people):
    linked = link_files([people / "people.csv"], read_spec(people / "spec.json"))
    clustered = linked.clusters.column("unique_id").to_pylist()
    assert Counter(clustered) == Counter(_input_ids(people / "people.csv"))
    assert set(Counter(clustered).values()) == {1}
    assert linked.clusters.column("cluster_id").null_count == 0
    assert _f1(linked.clusters.rename_columns(["record_id", "cluster_id"]), people / "truth.csv") >= MIN_F1


def test_department_files_link_together_under_one_spec(departments):
    paths, labels = departments
    linked = link_files(paths, read_spec(labels / "spec.json"))
    assert sorted(linked.clusters.column("unique_id").to_pylist()) == sorted(_input_ids(*paths))
    assert _f1(linked.clusters.rename_columns(["record_id", "cluster_id"]), labels / "truth.csv") >= MIN_F1


def test_cli_writes_every_record_once_and_reports_accuracy_as_json(people, run, tmp_path):
    out = tmp_path / "results" / "clusters.csv"
    out.parent.mkdir()
    out.write_text("record_id,cluster_id\nstale,stale\n", encoding="utf-8")  # an earlier run's answer
    result = run(
        str(people / "people.csv"),
        "--spec",
        str(people / "spec.json"),
        "--out",
        str(out),
        "--truth",
        str(people / "truth.csv"),
        "--json",
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    rows = _read_csv(out)
    ids = _input_ids(people / "people.csv")
    assert Counter(r["record_id"] for r in rows) == Counter(ids)  # replaced, not appended to
    assert all(r["cluster_id"] for r in rows)
    assert figures["records"] == len(ids) and figures["out"] == str(out)
    assert figures["clusters"] == len({r["cluster_id"] for r in rows})
    acc = figures["accuracy"]
    assert acc["records"] == len(ids)
    assert acc["f1"] >= MIN_F1 and acc["precision"] >= MIN_F1 and acc["recall"] >= MIN_F1
    assert acc["bcubed_f1"] >= MIN_F1
    assert sorted(p.name for p in out.parent.iterdir()) == ["clusters.csv"]  # no .partial left behind


def test_cli_prints_precision_recall_and_f1_with_truth(people, run, tmp_path):
    result = run(
        str(people / "people.csv"), "--spec", str(people / "spec.json"), "--truth", str(people / "truth.csv")
    )
    assert result.exit_code == 0, result.output
    records = len(_input_ids(people / "people.csv"))
    assert f"{records} records in" in result.output and "clusters.csv" in result.output
    for measure in ("pairs", "B-cubed"):
        (line,) = [ln for ln in result.output.splitlines() if ln.strip("│┃ ").startswith(f"{measure} ")]
        precision, recall, f1 = (float(x) for x in re.findall(r"\d\.\d{4}", line))
        assert min(precision, recall, f1) >= MIN_F1, line
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["clusters.csv"]


# ---- refusals ----------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path) -> Path:
    (tmp_path / "a.csv").write_text("编号,姓名,身份证号\nA1,张伟,\nA2,李娜,\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("编号,姓名,身份证号\nA2,李娜,\nB1,王芳,\n", encoding="utf-8")
    (tmp_path / "spec.json").write_text(
        json.dumps({"record_id": "编号", "name": "姓名", "id_number": "身份证号"}), encoding="utf-8"
    )
    return tmp_path


def test_a_spec_naming_a_column_the_file_lacks_is_refused(files, run):
    (files / "typo.json").write_text(json.dumps({"record_id": "编号", "name": "XM"}), encoding="utf-8")
    out = _refused(run("a.csv", "--spec", "typo.json"))
    assert "a.csv" in out and "role 'name'" in out and "'XM'" in out


def test_record_ids_repeated_across_files_are_refused(files, run):
    out = _refused(run("a.csv", "b.csv", "--spec", "spec.json"))
    assert "unique" in out and "'A2'" in out and "a.csv" in out and "b.csv" in out


def test_a_spec_that_is_not_json_is_refused_naming_the_line(files, run):
    (files / "broken.json").write_text(
        '{\n  "record_id": "编号",\n  "name": "姓名"\n  "x": 1\n}\n', encoding="utf-8"
    )
    out = _refused(run("a.csv", "--spec", "broken.json"))
    assert "broken.json" in out and "line 4" in out


def test_an_unknown_role_is_refused(files, run):
    (files / "role.json").write_text(json.dumps({"record_id": "编号", "nickname": "姓名"}), encoding="utf-8")
    out = _refused(run("a.csv", "--spec", "role.json"))
    assert "unknown role 'nickname'" in out


@pytest.mark.parametrize("missing", ["input", "spec"])
def test_a_missing_file_is_refused(files, run, missing):
    args = ["nope.csv", "--spec", "spec.json"] if missing == "input" else ["a.csv", "--spec", "nope.json"]
    out = _refused(run(*args))
    assert ("nope.csv" if missing == "input" else "nope.json") in out and "does not exist" in out


def test_a_refused_run_leaves_the_earlier_output_alone(files, run):
    previous = "record_id,cluster_id\nA1,A1\nA2,A2\n"
    (files / "clusters.csv").write_text(previous, encoding="utf-8")
    _refused(run("a.csv", "b.csv", "--spec", "spec.json"))
    assert (files / "clusters.csv").read_text(encoding="utf-8") == previous
    assert not list(files.glob("*.partial"))


def test_a_record_without_record_id_is_refused_naming_file_and_row(files, run):
    (files / "c.csv").write_text("编号,姓名,身份证号\nC1,张伟,\n,李娜,\nC3,王芳,\n", encoding="utf-8")
    out = _refused(run("c.csv", "--spec", "spec.json"))
    assert "c.csv, row 3, column 编号" in out
