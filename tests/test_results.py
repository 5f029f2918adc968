"""The results writer: the spec's CSV contract, 10 significant digits, atomic manifest."""

import csv
import hashlib
import json
import math

import pytest

from neural_dynamics import results

ROWS = [
    ("rate_hz", 70.67137809187279, "Hz", "a rate"),
    ("count", 7, "spikes", "a count"),
    ("latency_ms", math.nan, "ms", "no spike"),
]


def test_table_and_manifest(tmp_path):
    path = results.write_results("demo", ROWS, tmp_path, parameters={"dt_ms": 0.05})
    with open(path, newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["metric", "value", "unit", "description"]
    assert table[0]["value"] == "70.67137809"  # 10 significant digits, the same on every machine
    assert table[2]["value"] == "nan"
    assert results.read_results("demo", tmp_path)["count"] == 7.0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["demo"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["demo"]["parameters"] == {"dt_ms": 0.05}
    results.write_results("other", ROWS[:1], tmp_path)
    assert set(json.loads((tmp_path / "manifest.json").read_text())) == {"demo", "other"}
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_significant_rounds_floats_and_keeps_integers():
    assert results.significant(70.67137809187279) == 70.67137809
    assert results.significant(0.03217125411380915) == 0.03217125411
    assert results.significant(-7.223189290092609e-5) == -7.22318929e-5
    assert results.significant(44.44444444444444) == 44.44444444
    assert results.significant(7) == 7 and isinstance(results.significant(7), int)
    assert math.isnan(results.significant(math.nan))
    assert results.significant(math.inf) == math.inf
    # last-digit noise of another CPU does not reach the stored digits
    assert results.significant(315.69642806881865) == results.significant(315.69642806882007)
    with pytest.raises(ValueError, match="value = 'x': must be a real number"):
        results.significant("x")


@pytest.mark.parametrize(
    ("chapter", "rows", "message"),
    [
        ("demo", [("a", 1.0, "", ""), ("a", 2.0, "", "")], "metric = 'a': names must be"),
        ("demo", [("a", "fast", "", "")], "value of a = 'fast': must be a number"),
        ("../x", [("a", 1.0, "", "")], "chapter = '../x'"),
    ],
)
def test_bad_rows(tmp_path, chapter, rows, message):
    with pytest.raises(ValueError, match=message):
        results.write_results(chapter, rows, tmp_path)


def test_default_results_dir_is_the_repository_data_results(root, monkeypatch):
    monkeypatch.delenv(results.RESULTS_DIR_VARIABLE, raising=False)
    assert results.data_dir() == root / "data"
    assert results.default_results_dir() == root / "data" / "results"


def test_the_environment_redirects_the_default_results_dir(tmp_path, monkeypatch):
    """run_chapters stages a run's tables, and the tests keep them out of the repository."""
    monkeypatch.setenv(results.RESULTS_DIR_VARIABLE, str(tmp_path / "staged"))
    csv_path = results.write_results("chapter", [("rate_hz", 1.5, "Hz", "a rate")])
    assert csv_path == tmp_path / "staged" / "chapter.csv"
    assert (tmp_path / "staged" / "manifest.json").is_file()
    assert results.data_dir().name == "data"  # literature values are still read from data/


def test_atomic_write_replaces_whole_and_leaves_nothing_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "sub" / "table.csv"
    results.atomic_write(target, "a,b\r\n1,2\n")
    assert target.read_bytes() == b"a,b\r\n1,2\n"  # folder made, newlines kept as given

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(results.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        results.atomic_write(target, "new")
    assert target.read_bytes() == b"a,b\r\n1,2\n"
    assert [p.name for p in target.parent.iterdir()] == ["table.csv"]
