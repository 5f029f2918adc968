"""Helpers for the tests that read or execute the chapter notebooks."""

import ast
import sys

import nbformat

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import run_chapters  # noqa: E402

BOOK = ROOT / "book"


def read(chapter: str):
    return nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)


def parameters(chapter: str) -> dict:
    """The defaults of a chapter's papermill ``parameters`` cell, as Python values."""
    cell = next(c for c in read(chapter).cells if "parameters" in c.metadata.get("tags", []))
    values = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign):
            values[node.targets[0].id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.AnnAssign):
            values[node.target.id] = ast.literal_eval(node.value)
    return values


def execute(chapter: str, tmp_path, **params):
    """Execute a chapter with papermill into ``tmp_path``, with results there too."""
    params.setdefault("results_dir", str(tmp_path / "results"))
    return run_chapters.execute(chapter, params, output=tmp_path / f"{chapter}.ipynb")
