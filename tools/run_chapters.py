"""Execute the book's chapters in place with papermill, then strip run-specific metadata.

    python tools/run_chapters.py                      # every chapter, default parameters
    python tools/run_chapters.py --params fast_threshold
    python tools/run_chapters.py excitability         # one chapter

With ``--params SET``, ``data/params/SET/<chapter>.yaml`` (when present) overrides the chapter's
``parameters`` cell, as ``papermill -f`` would. Papermill writes timestamps, durations and paths
into the notebook on every run; they are removed here so that re-executing unchanged code
leaves ``git diff`` empty. The kernel is the venv's ``python3`` kernel spec, which the set-up
points at an encrypted local provisioner (``lib/book_kernel``), so no kernel warning is printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import papermill
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PARAMS = ROOT / "data" / "params"
CHAPTERS = ("excitability", "adaptation", "synchrony", "neural_mass", "cross_scale")
INJECTED = "injected-parameters"


def strip_run_metadata(path: Path) -> None:
    """Remove papermill's and Jupyter's per-run metadata; hide an injected-parameters cell."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        tags = cell.metadata.get("tags", [])
        if INJECTED in tags and "hide-cell" not in tags:
            cell.metadata["tags"] = [*tags, "hide-cell"]
    nbformat.write(notebook, path)


def drop_injected_cells(path: Path) -> None:
    """Remove the parameters a previous papermill run injected, so defaults apply again."""
    notebook = nbformat.read(path, as_version=4)
    cells = [c for c in notebook.cells if INJECTED not in c.metadata.get("tags", [])]
    if len(cells) != len(notebook.cells):
        notebook.cells = cells
        nbformat.write(notebook, path)


def execute(chapter: str, parameters: dict | None = None, output: Path | None = None) -> Path:
    """Execute ``book/<chapter>.ipynb`` (in place unless ``output`` is given) and strip it."""
    source = BOOK / f"{chapter}.ipynb"
    target = output or source
    if target == source:
        drop_injected_cells(source)
    papermill.execute_notebook(
        str(source),
        str(target),
        parameters=parameters or {},
        kernel_name="python3",
        cwd=str(BOOK),
        progress_bar=False,
    )
    strip_run_metadata(target)
    return target


def load_parameter_set(name: str | None, chapter: str) -> dict:
    """Parameters of ``data/params/<name>/<chapter>.yaml``; empty without a set or a file."""
    if not name:
        return {}
    folder = PARAMS / name
    if not folder.is_dir():
        known = sorted(p.name for p in PARAMS.iterdir() if p.is_dir())
        raise SystemExit(f"PARAMS = {name!r}: no folder data/params/{name}/ (known: {known})")
    path = folder / f"{chapter}.yaml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help=f"any of {', '.join(CHAPTERS)} (default: all)")
    parser.add_argument("--params", default="", help="a parameter set under data/params/")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.chapters) - set(CHAPTERS))
    if unknown:
        parser.error(f"unknown chapter(s) {unknown}: choose from {', '.join(CHAPTERS)}")
    chapters = args.chapters or [c for c in CHAPTERS if (BOOK / f"{c}.ipynb").is_file()]
    for chapter in chapters:
        print(f"executing book/{chapter}.ipynb", flush=True)
        execute(chapter, load_parameter_set(args.params, chapter))
    return 0


if __name__ == "__main__":
    sys.exit(main())
