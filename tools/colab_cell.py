"""Write the guarded Colab set-up cell into the chapters.

Colab opens a chapter straight from GitHub on its own Python: the book's library (``lib/``), its
data (``data/``) and ``myst_nb`` (for ``glue``) are not there. Each chapter therefore starts with
one code cell that, in Colab only, clones the repository named in ``_config.yml``
(``repository.url`` and ``repository.branch``, the one setting a fork changes), puts its ``lib/``
first on ``sys.path`` (an installed copy would not find ``data/``; an editable install is not seen
by a running kernel), installs the packages Colab lacks and makes the clone's ``book/`` the working
folder. Anywhere else the cell does nothing. It is tagged ``remove-cell`` (not shown in the HTML
book) and ``colab-setup`` (how this tool finds it again).

Usage::

    python tools/colab_cell.py                 # every book/*.ipynb (after editing _config.yml)
    python tools/colab_cell.py book/X.ipynb    # one notebook
    python tools/colab_cell.py --check         # exit 1 if a notebook's cell is missing or stale

The cell goes just before the chapter's ``parameters`` cell. Writing it changes the execution
counts of the cells below, so re-execute the chapters afterwards (``make book``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
TAG = "colab-setup"
TAGS = ["remove-cell", TAG]
#: Where Colab keeps the clone; each notebook of a session reuses it.
COLAB_ROOT = "/content"
#: What a chapter imports that Colab's Python does not have, pinned as in requirements.txt.
MISSING_IN_COLAB = ("myst-nb",)

TEMPLATE = '''\
# In Google Colab only: fetch the book's repository, put its library first on the path and install
# what Colab lacks; anywhere else this cell does nothing. Written by tools/colab_cell.py from
# _config.yml (repository.url, repository.branch): do not edit it by hand.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    repository = {url}
    checkout = {checkout}
    if not os.path.isdir(checkout):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", {branch},
                        repository, checkout], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", {packages}], check=True)
    sys.path.insert(0, os.path.join(checkout, "lib"))
    os.chdir(os.path.join(checkout, "book"))'''


def repository(config_path: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """``(url, branch)`` of ``repository`` in the book's ``_config.yml``."""
    config = yaml.safe_load(config_path.read_text())
    section = config.get("repository") or {}
    url, branch = section.get("url"), section.get("branch", "main")
    if not url:
        raise ValueError(f"{config_path}: repository.url is not set")
    return str(url), str(branch)


def pinned(package: str, requirements: Path = ROOT / "requirements.txt") -> str:
    """``package==version`` as pinned in requirements.txt (error when it is not pinned there)."""
    pattern = re.compile(rf"^{re.escape(package)}==([^\s#]+)", re.IGNORECASE | re.MULTILINE)
    match = pattern.search(requirements.read_text())
    if match is None:
        raise ValueError(f"{requirements}: {package} is not pinned with ==")
    return f"{package}=={match.group(1)}"


def cell_source(url: str, branch: str, colab_root: str = COLAB_ROOT,
                packages: tuple[str, ...] | None = None) -> str:
    """The set-up cell's code: clone ``url`` (``branch``) into ``colab_root``, use it."""
    if packages is None:
        packages = tuple(pinned(name) for name in MISSING_IN_COLAB)
    name = url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
    checkout = f"{colab_root.rstrip('/')}/{name}"
    return TEMPLATE.format(checkout=json.dumps(checkout), branch=json.dumps(branch),
                           url=json.dumps(url), packages=", ".join(json.dumps(p) for p in packages))


def _setup_index(nb) -> int | None:
    found = [i for i, cell in enumerate(nb.cells) if TAG in cell.metadata.get("tags", [])]
    if len(found) > 1:
        raise ValueError(f"{len(found)} cells are tagged {TAG!r}; expected at most one")
    return found[0] if found else None


def _parameters_index(nb, path: Path) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            return i
    raise ValueError(f"{path}: no cell tagged 'parameters'")


def write(path: Path, source: str) -> bool:
    """Insert or update the set-up cell of the notebook at ``path``; True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    index = _setup_index(nb)
    if index is None:
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(TAGS)})
        cell["id"] = TAG  # a fixed id: writing the cell twice gives the same file
        nb.cells.insert(_parameters_index(nb, path), cell)
    elif nb.cells[index].source == source:
        return False
    else:
        nb.cells[index].source = source
    nbformat.write(nb, path)
    return True


def is_current(path: Path, source: str) -> bool:
    """True when the notebook has one set-up cell, with ``source``, before its parameters."""
    nb = nbformat.read(path, as_version=4)
    index = _setup_index(nb)
    return (index is not None and nb.cells[index].source == source
            and index < _parameters_index(nb, path))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to update (default: every book/*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook's cell is missing or stale")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    source = cell_source(*repository())
    if args.check:
        stale = [str(p) for p in paths if not is_current(p, source)]
        for p in stale:
            print(f"{p}: the Colab set-up cell is missing or stale; run python tools/colab_cell.py")
        return 1 if stale else 0
    for p in paths:
        print(f"{p}: {'updated' if write(p, source) else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
