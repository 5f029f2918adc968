"""Write a chapter's metrics table and its manifest entry, atomically.

The table is the book's public interface (spec "The book's interface"):
``<results_dir>/<chapter>.csv`` with columns ``metric,value,unit,description``, one row per
metric. ``manifest.json`` beside it records, per chapter, the file's SHA-256 and the parameters
it was computed with. Nothing here knows about notebooks.

Values are stored rounded to :data:`SIGNIFICANT_DIGITS` significant digits
(:func:`significant`). The computations determine them far better than that, while their last
binary digits depend on the CPU and BLAS (numba and OpenBLAS pick other instructions on another
machine); rounding makes the stored and glued numbers identical on every machine.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import tempfile
from pathlib import Path

COLUMNS = ("metric", "value", "unit", "description")
SIGNIFICANT_DIGITS = 10


def significant(value, digits: int = SIGNIFICANT_DIGITS):
    """``value`` rounded to ``digits`` significant digits, as a plain Python number.

    Integers (and bools) come back unchanged, NaN and infinities as they are, any other real
    number as the float nearest to its decimal rounding, so ``repr`` prints at most ``digits``
    digits. This is what the chapters store and glue: the same on every machine, as long as
    the computation is accurate to well beyond ``digits`` digits.

    Raises
    ------
    ValueError
        For a value that is not a real number.
    """
    if isinstance(value, (bool, int)):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"value = {value!r}: must be a real number") from None
    if not math.isfinite(number):
        return number
    return float(f"{number:.{digits}g}")


RESULTS_DIR_VARIABLE = "NEURAL_DYNAMICS_RESULTS_DIR"


def data_dir() -> Path:
    """The repository's ``data/`` when the library runs from a checkout.

    Outside a checkout (an installed copy of the library), ``./data`` of the working directory.
    It holds the results tables (``results/``) and the digitised literature values
    (``literature/``).
    """
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir():
        return root / "data"
    return Path.cwd() / "data"


def default_results_dir() -> Path:
    """Where a chapter run with ``results_dir = None`` writes its table.

    The folder named by the environment variable ``NEURAL_DYNAMICS_RESULTS_DIR`` when it is set
    (``tools/run_chapters.py`` points it at its staging area, so that the repository's tables
    change only when every chapter of a run succeeded; the tests point it at a temporary
    folder), otherwise ``results/`` of :func:`data_dir`.
    """
    override = os.environ.get(RESULTS_DIR_VARIABLE)
    if override:
        return Path(override)
    return data_dir() / "results"


def _format_value(name: str, value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"value of {name} = {value!r}: must be a number") from None
    if isinstance(value, int):
        return str(value)
    return "nan" if math.isnan(value) else repr(significant(value))


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` all at once or not at all.

    The text goes to a temporary file in the same folder, which then replaces ``path``
    (``os.replace``, atomic on POSIX): a reader sees the old file or the new one, never a part,
    and an interrupted write leaves no temporary file behind. Used for the results tables, the
    manifest and the sweeps' chunks.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_results(chapter: str, rows, results_dir=None, parameters: dict | None = None) -> Path:
    """Write ``<results_dir>/<chapter>.csv`` and update ``manifest.json``; return the CSV's path.

    Parameters
    ----------
    chapter : str
        Chapter name, e.g. ``"excitability"``; the file stem.
    rows : iterable of (metric, value, unit, description)
        One row per metric; metric names must be unique and must not be empty.
    results_dir : str or path-like or None
        Folder of the tables; ``None`` means :func:`default_results_dir`.
    parameters : dict or None
        JSON-serialisable parameters the chapter ran with, recorded in the manifest.

    Raises
    ------
    ValueError
        For an empty or duplicate metric name, a non-numeric value, or an invalid chapter name.
    """
    if not chapter or not chapter.replace("_", "").isalnum():
        raise ValueError(f"chapter = {chapter!r}: must be a non-empty name of letters, digits, _")
    folder = Path(results_dir) if results_dir is not None else default_results_dir()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    seen = set()
    for metric, value, unit, description in rows:
        if not metric or metric in seen:
            raise ValueError(f"metric = {metric!r}: names must be non-empty and unique")
        seen.add(metric)
        writer.writerow((metric, _format_value(metric, value), unit, description))
    text = buffer.getvalue()
    csv_path = folder / f"{chapter}.csv"
    atomic_write(csv_path, text)
    manifest = read_manifest(folder)
    manifest[chapter] = {
        "file": csv_path.name,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "metrics": len(seen),
        "parameters": parameters or {},
    }
    write_manifest(folder, manifest)
    return csv_path


def read_manifest(results_dir) -> dict:
    """``<results_dir>/manifest.json`` as a dict (``{}`` when there is none)."""
    path = Path(results_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def write_manifest(results_dir, manifest: dict) -> Path:
    """Write ``<results_dir>/manifest.json`` atomically, keys sorted (the file's one format)."""
    path = Path(results_dir) / "manifest.json"
    atomic_write(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def read_results(chapter: str, results_dir=None) -> dict[str, float]:
    """Read a chapter's table back as ``{metric: value}``."""
    folder = Path(results_dir) if results_dir is not None else default_results_dir()
    with open(folder / f"{chapter}.csv", encoding="utf-8", newline="") as handle:
        return {row["metric"]: float(row["value"]) for row in csv.DictReader(handle)}
