"""Execute the book's chapters with papermill; install the results only if every chapter succeeded.

    python tools/run_chapters.py                      # every chapter, default parameters
    python tools/run_chapters.py --params edge_cases  # every chapter under a parameter set
    python tools/run_chapters.py excitability         # one chapter

With ``--params SET``, ``data/params/SET/<chapter>.yaml`` (when present) overrides the chapter's
``parameters`` cell, as ``papermill -f`` would.

All or nothing: the chapters execute into a staging area (``.staging/`` of the checkout; their
results tables go there too, through ``NEURAL_DYNAMICS_RESULTS_DIR``). Only when every chapter of
the run succeeded are the notebooks, the results tables, ``manifest.json`` (which records the
parameter set of every chapter) and the landing page's note on the parameter set
(``book/_parameter_set.md``) moved into place, one rename per file, with SIGINT and SIGTERM held
back while they move. A failure names the chapter, the cell and the error (the chapters' input
checks name the parameter at fault) and leaves the book byte for byte as it was; so does an
interrupt (SIGINT, SIGTERM), after the kernel is stopped. A SIGKILL can leave only a stale
staging area, which the next run removes. One run per checkout: the run holds ``.book.lock``
(``tools/book_lock.py``) and a second run, or a test run, refuses with a message.

Papermill writes timestamps, durations and paths into the notebook on every run; they are removed,
so that re-executing unchanged code leaves ``git diff`` empty. The kernel is the venv's
``python3`` kernel spec, which the set-up points at an encrypted local provisioner
(``lib/book_kernel``), so no kernel warning is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
from pathlib import Path

import nbformat
import papermill
import psutil
import yaml

from neural_dynamics.results import RESULTS_DIR_VARIABLE, read_manifest, write_manifest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import book_lock  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PARAMS = ROOT / "data" / "params"
RESULTS = ROOT / "data" / "results"
STAGING = ROOT / ".staging"
NOTE = BOOK / "_parameter_set.md"
CHAPTERS = ("excitability", "adaptation", "synchrony", "neural_mass", "cross_scale",
            "regime_maps")
INJECTED = "injected-parameters"
DEFAULTS = "defaults"


class ChapterFailed(RuntimeError):
    """A chapter raised while executing; the message names the chapter, cell and error."""


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


def without_injected_cells(source: Path, target: Path) -> Path:
    """Write ``source`` to ``target`` without the parameters a previous run injected."""
    notebook = nbformat.read(source, as_version=4)
    notebook.cells = [c for c in notebook.cells if INJECTED not in c.metadata.get("tags", [])]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target


def execute(chapter: str, parameters: dict | None = None, *, output: Path,
            source: Path | None = None, kernel_manager=None) -> Path:
    """Execute ``book/<chapter>.ipynb`` into ``output`` (never in place) and strip it.

    ``kernel_manager``: a started ``jupyter_client`` kernel to execute in, left running, instead
    of a new kernel per chapter (the tests reuse one per process; resetting its namespace
    between chapters is the caller's job).

    Raises
    ------
    papermill.PapermillExecutionError
        If a cell raises (:func:`run_book` turns it into :class:`ChapterFailed`).
    """
    source = source or BOOK / f"{chapter}.ipynb"
    output = Path(output)
    if output.resolve() == (BOOK / f"{chapter}.ipynb").resolve():
        raise ValueError(f"output = {output}: the chapters are installed by run_book(), "
                         "never executed in place")
    clean = without_injected_cells(source, output.with_name(f".{chapter}.input.ipynb"))
    try:
        reuse = {} if kernel_manager is None else {"km": kernel_manager}
        papermill.execute_notebook(str(clean), str(output), parameters=parameters or {},
                                   kernel_name="python3", cwd=str(BOOK), progress_bar=False,
                                   **reuse)
    finally:
        clean.unlink(missing_ok=True)
    strip_run_metadata(output)
    return output


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


def parameter_set_note(manifest: dict) -> str:
    """The landing page's note: which chapters run under a parameter set other than defaults."""
    header = "% Written by tools/run_chapters.py: the parameter set of each chapter.\n"
    others = {chapter: entry.get("parameter_set", DEFAULTS)
              for chapter, entry in sorted(manifest.items())}
    others = {chapter: name for chapter, name in others.items() if name != DEFAULTS}
    if not others:
        return header
    listed = ", ".join(f"[{chapter}]({chapter}.ipynb) with `{name}`"
                       for chapter, name in others.items())
    return header + (
        ":::{important}\n"
        "This build does not show the defaults: it executed " + listed + " (the parameter "
        "files are in `data/params/`), and the results below come from those runs. "
        "`make book` executes every chapter with its defaults again.\n:::\n"
    )


def _stop_kernels() -> None:
    """Terminate this process's children (the chapters' kernels), then kill what is left."""
    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _install(stage: Path, chapters: list[str]) -> None:
    """Move the staged notebooks, tables, manifest and note into place, signals held back."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        RESULTS.mkdir(parents=True, exist_ok=True)
        for chapter in chapters:
            os.replace(stage / "book" / f"{chapter}.ipynb", BOOK / f"{chapter}.ipynb")
            table = stage / "results" / f"{chapter}.csv"
            if table.is_file():  # a page that only reads results writes no table
                os.replace(table, RESULTS / f"{chapter}.csv")
        os.replace(stage / "results" / "manifest.json", RESULTS / "manifest.json")
        os.replace(stage / "note.md", NOTE)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)


def _stage(chapters: list[str], params: str) -> Path:
    """Execute ``chapters`` into a fresh staging area; return it once all succeeded."""
    shutil.rmtree(STAGING, ignore_errors=True)  # a SIGKILLed run's leftovers
    (STAGING / "results").mkdir(parents=True)
    if (RESULTS / "manifest.json").is_file():
        shutil.copy2(RESULTS / "manifest.json", STAGING / "results" / "manifest.json")
    os.environ[RESULTS_DIR_VARIABLE] = str(STAGING / "results")
    for chapter in chapters:
        print(f"executing book/{chapter}.ipynb" + (f" with {params}" if params else ""),
              flush=True)
        parameters = load_parameter_set(params, chapter)
        try:
            execute(chapter, parameters, output=STAGING / "book" / f"{chapter}.ipynb")
        except papermill.PapermillExecutionError as error:
            raise ChapterFailed(
                f"book/{chapter}.ipynb failed in cell {error.cell_index} (execution count "
                f"{error.exec_count}) with {error.ename}: {error.evalue}"
                + (f"; parameters set: {parameters}" if parameters else "")
            ) from None
    manifest = read_manifest(STAGING / "results")
    for chapter in chapters:
        if chapter in manifest:
            manifest[chapter]["parameter_set"] = params or DEFAULTS
    write_manifest(STAGING / "results", manifest)
    (STAGING / "note.md").write_text(parameter_set_note(manifest))
    return STAGING


def run_book(chapters: list[str], params: str = "") -> None:
    """Execute ``chapters`` (with parameter set ``params``) and install them all, or nothing."""
    with book_lock.acquire(ROOT, holder="tools/run_chapters.py (make book)"):
        previous = {s: signal.signal(s, _raise_interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
        results_dir = os.environ.get(RESULTS_DIR_VARIABLE)
        try:
            _install(_stage(chapters, params), chapters)
        except BaseException:
            _stop_kernels()
            raise
        finally:
            shutil.rmtree(STAGING, ignore_errors=True)
            if results_dir is None:
                os.environ.pop(RESULTS_DIR_VARIABLE, None)
            else:
                os.environ[RESULTS_DIR_VARIABLE] = results_dir
            for s, handler in previous.items():
                signal.signal(s, handler)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help=f"any of {', '.join(CHAPTERS)} (default: all)")
    parser.add_argument("--params", default="", help="a parameter set under data/params/")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.chapters) - set(CHAPTERS))
    if unknown:
        parser.error(f"unknown chapter(s) {unknown}: choose from {', '.join(CHAPTERS)}")
    chapters = args.chapters or [c for c in CHAPTERS if (BOOK / f"{c}.ipynb").is_file()]
    try:
        run_book(chapters, args.params)
    except book_lock.BookBusy as busy:
        print(f"run_chapters: {busy}", file=sys.stderr)
        return 3
    except ChapterFailed as failure:
        print(f"run_chapters: {failure}.\nNothing was installed: the notebooks, "
              "data/results/ and the manifest are as they were.", file=sys.stderr)
        return 1
    except KeyboardInterrupt as interrupt:
        print(f"run_chapters: interrupted ({interrupt or 'SIGINT'}); the kernels were stopped "
              "and nothing was installed: the book is as it was.", file=sys.stderr)
        return 130
    print(f"installed {', '.join(chapters)}" + (f" (parameter set {args.params})"
                                                  if args.params else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
