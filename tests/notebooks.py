"""Helpers for the tests that read or execute the chapter notebooks."""

import ast
import atexit
import fcntl
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager

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


# A papermill run starts a kernel and imports the scientific stack and the compiled kernels
# again (about five seconds of some 20-40 executions per test run). The tests' executions run
# in one kernel per test process instead, with its namespace, figures and working directory
# reset before each: what a chapter leaves in the kernel is gone, what it imported stays
# imported. The nbval notebook tests still run each chapter in a kernel of its own.
RESET = f"""get_ipython().reset()
import os as _os, matplotlib.pyplot as _plt
_plt.close("all")
_os.chdir({str(BOOK)!r})
del _os, _plt
"""
_WARM: list = []


def warm_kernel():
    """This process's reused kernel (started on first use, restarted if it died), reset."""
    if _WARM and not _WARM[0].is_alive():
        _WARM.pop().shutdown_kernel(now=True)
    if not _WARM:
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel(cwd=str(BOOK))
        atexit.register(manager.shutdown_kernel, now=True)
        _WARM.append(manager)
    client = _WARM[0].client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        reply = client.execute_interactive(RESET, timeout=60, output_hook=lambda message: None)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
    return _WARM[0]


def execute_chapter(chapter: str, parameters: dict, output: Path) -> Path:
    """:func:`run_chapters.execute` in this process's reused kernel (:func:`warm_kernel`)."""
    return run_chapters.execute(chapter, parameters, output=output,
                                kernel_manager=warm_kernel())


def execute(chapter: str, tmp_path, **params):
    """Execute a chapter with papermill into ``tmp_path``, with results there too."""
    params.setdefault("results_dir", str(tmp_path / "results"))
    return execute_chapter(chapter, params, tmp_path / f"{chapter}.ipynb")


GLUE_REFERENCE = re.compile(r"\{glue(?::[a-z]+)?\}`(?P<ref>[^`]+)`")
NOT_A_NUMBER = re.compile(r"\b(nan|inf|infinity)\b", re.I)
BOOK_SOURCES = ["_config.yml", "_toc.yml", "book"]


def glued(notebook) -> dict[str, str]:
    """Every value a notebook glued, as the text a page would show (markdown, else plain)."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                data = output["data"]
                prefix = "application/papermill.record/"
                values[name] = data.get(prefix + "text/markdown", data.get(prefix + "text/plain"))
    return values


def glue_references(markdown: str):
    """``(page, key)`` of every ``{glue...}`` role in a markdown text (page None: this page)."""
    for match in GLUE_REFERENCE.finditer(markdown):
        ref = match.group("ref")
        page, _, rest = ref.rpartition("::")
        yield (page.removesuffix(".ipynb") or None), rest.split(":")[0]


def unresolved_or_not_a_number(book: Path) -> list[str]:
    """Problems of a book folder's glue: references to missing keys, glued nan or inf."""
    values = {p.stem: glued(nbformat.read(p, as_version=4)) for p in book.glob("*.ipynb")}
    pages = {p.stem: "\n".join(c.source for c in nbformat.read(p, as_version=4).cells
                               if c.cell_type == "markdown") for p in book.glob("*.ipynb")}
    pages["intro"] = (book / "intro.md").read_text()
    problems = []
    for page, text in pages.items():
        for source, key in glue_references(text):
            chapter = source or page
            value = values.get(chapter, {}).get(key)
            if value is None:
                problems.append(f"{page}: {{glue}} {chapter}::{key} is never glued")
            elif NOT_A_NUMBER.search(str(value)):
                problems.append(f"{page}: {chapter}::{key} reads {value!r}")
    return problems


def copy_book(target: Path) -> Path:
    """Copy the book's sources (config, table of contents, book/) into ``target``."""
    for name in BOOK_SOURCES:
        path = ROOT / name
        (shutil.copytree if path.is_dir() else shutil.copy)(path, target / name)
    return target


def build_book(source: Path) -> Path:
    """Build a copy of the book with -W (warnings are errors) and -n; return the HTML folder."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    run = subprocess.run(
        [str(jupyter_book), "build", str(source), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "WARNING" not in run.stdout + run.stderr, run.stdout[-4000:] + run.stderr[-4000:]
    return source / "_build" / "html"


def shared_build(tmp_path_factory) -> Path:
    """The book built once per test session (see :func:`build_book`), shared by its modules.

    ``tests/test_book.py`` and ``tests/test_browser.py`` read the same build. Under
    pytest-xdist the workers share the session's temporary root: the first worker to ask
    builds there under a file lock, the others wait for it and reuse the HTML.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        root = tmp_path_factory.getbasetemp()
    else:
        root = tmp_path_factory.getbasetemp().parent  # one per session, shared by the workers
    html, failed = root / "shared-book" / "_build" / "html", root / "shared-book.failed"
    with open(root / "shared-book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.exists():  # another module or worker tried already: fail alike, fast
            raise AssertionError(failed.read_text())
        if not (root / "shared-book.done").exists():
            source = root / "shared-book"
            shutil.rmtree(source, ignore_errors=True)
            source.mkdir()
            try:
                build_book(copy_book(source))
            except AssertionError as error:
                failed.write_text(str(error))
                raise
            (root / "shared-book.done").touch()
    return html
