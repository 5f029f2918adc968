"""Faults lose nothing: interrupted, failed and concurrent runs leave the book whole.

Each test works on a copy of the checkout's book (``book/``, ``data/``, ``tools/``, the
configuration), so ``tools/run_chapters.py`` there treats the copy as its checkout. Faults are
real: a failing parameter set, SIGINT to the run's process group (what Ctrl-C sends), SIGKILL,
and a second run started beside the first. After each, the notebooks, the results tables and
the manifest are byte-identical to before and no kernel process is left.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from neural_dynamics.results import RESULTS_DIR_VARIABLE

from conftest import ROOT

PYTHON = sys.executable
PAPERMILL = str(Path(sys.executable).parent / "papermill")
COPIED = ["book", "data", "tools", "_config.yml", "_toc.yml"]
RNG = np.random.default_rng(16)  # the random points at which the faults strike


def book_state(root: Path) -> dict[str, str]:
    """SHA-256 of every notebook, results table, the manifest and the parameter-set note."""
    files = [*sorted((root / "book").glob("*.ipynb")),
             *sorted((root / "data" / "results").iterdir()), root / "book" / "_parameter_set.md"]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture
def checkout(tmp_path) -> Path:
    for name in COPIED:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    shutil.rmtree(tmp_path / "data" / "params", ignore_errors=True)
    (tmp_path / "data" / "params").mkdir()
    return tmp_path


def parameter_set(root: Path, name: str, chapters: dict[str, str]) -> str:
    folder = root / "data" / "params" / name
    folder.mkdir(parents=True)
    for chapter, text in chapters.items():
        (folder / f"{chapter}.yaml").write_text(text)
    return name


def start(root: Path, *args) -> subprocess.Popen:
    """``python tools/run_chapters.py ARGS`` in ``root``, in its own process group."""
    env = {k: v for k, v in os.environ.items() if k != RESULTS_DIR_VARIABLE}
    return subprocess.Popen([PYTHON, str(root / "tools" / "run_chapters.py"), *args], cwd=root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def watch_kernels(run: subprocess.Popen, until: float) -> set[int]:
    """PIDs of the run's child processes (its kernels) seen until ``until`` or its end."""
    seen, parent = set(), psutil.Process(run.pid)
    while time.monotonic() < until and run.poll() is None:
        try:
            seen |= {child.pid for child in parent.children(recursive=True)}
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    return seen


def assert_gone(pids: set[int], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {p for p in alive if psutil.pid_exists(p)
                 and psutil.Process(p).status() != psutil.STATUS_ZOMBIE}
        time.sleep(0.1)
    assert not alive, f"kernel processes left: {sorted(alive)}"


def test_a_chapter_failing_mid_run_installs_nothing(checkout):
    """The first chapter succeeds under the set, the second fails: neither is installed."""
    before = book_state(checkout)
    name = parameter_set(checkout, "half_bad", {"excitability": "probe_current_na: 6.0\n",
                                                "adaptation": "tau_a_ms: -5.0\n"})
    run = start(checkout, "--params", name, "excitability", "adaptation")
    out, err = run.communicate(timeout=300)
    assert run.returncode == 1, out + err
    assert "book/adaptation.ipynb failed in cell" in err and "tau_a_ms = -5.0" in err, err
    assert "Nothing was installed" in err
    assert book_state(checkout) == before
    assert not (checkout / ".staging").exists()


def test_a_successful_run_records_its_parameter_set_and_says_so_on_the_landing_page(checkout):
    name = parameter_set(checkout, "fast", {"excitability": "current_step_na: 1.5\n"})
    run = start(checkout, "--params", name, "excitability")
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, out + err
    manifest = (checkout / "data" / "results" / "manifest.json").read_text()
    assert '"parameter_set": "fast"' in manifest
    note = (checkout / "book" / "_parameter_set.md").read_text()
    assert "[excitability](excitability.ipynb) with `fast`" in note
    assert "{include} _parameter_set.md" in (checkout / "book" / "intro.md").read_text()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_stops_the_kernel_and_leaves_the_book_as_it_was(checkout, signum):
    before = book_state(checkout)
    run = start(checkout, "excitability")
    delay = float(RNG.uniform(2.0, 6.0))
    kernels = watch_kernels(run, time.monotonic() + delay)
    assert run.poll() is None, "the run ended before the interrupt; make the chapter longer"
    os.killpg(run.pid, signum)  # Ctrl-C signals the whole foreground process group
    out, err = run.communicate(timeout=60)
    assert run.returncode in (1, 130), out + err
    assert "nothing was installed" in err.lower(), err
    assert book_state(checkout) == before
    assert not (checkout / ".staging").exists()
    assert_gone(kernels)


def test_a_killed_run_leaves_a_stale_staging_area_that_the_next_run_removes(checkout):
    before = book_state(checkout)
    run = start(checkout, "excitability")
    kernels = watch_kernels(run, time.monotonic() + float(RNG.uniform(2.0, 6.0)))
    assert run.poll() is None
    run.kill()  # SIGKILL: no handler runs
    run.communicate(timeout=60)
    assert book_state(checkout) == before
    assert_gone(kernels)  # the kernel notices that its parent is gone and exits
    name = parameter_set(checkout, "bad", {"excitability": "dt_ms: 0.0\n"})
    rerun = start(checkout, "--params", name, "excitability")
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 1 and "dt_ms = 0.0" in err, out + err
    assert not (checkout / ".staging").exists()
    assert book_state(checkout) == before


def test_a_second_run_in_the_same_checkout_refuses(checkout):
    before = book_state(checkout)
    first = start(checkout, "excitability")
    lock = checkout / ".book.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "run_chapters" not in (
            lock.read_text() if lock.is_file() else ""):
        time.sleep(0.05)
    second = start(checkout, "excitability")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 3, out + err
    assert "is busy: tools/run_chapters.py (make book)" in err and f"pid {first.pid}" in err
    os.killpg(first.pid, signal.SIGTERM)
    first.communicate(timeout=60)
    assert book_state(checkout) == before


def test_a_run_refuses_while_tests_read_the_book_and_the_tests_refuse_during_a_run(checkout):
    sys.path.insert(0, str(ROOT / "tools"))
    import book_lock

    with book_lock.acquire(checkout, shared=True, holder="tests"):
        run = start(checkout, "excitability")
        out, err = run.communicate(timeout=120)
        assert run.returncode == 3 and "is busy" in err, out + err
    with book_lock.acquire(checkout, holder="tools/run_chapters.py (make book)"):
        with pytest.raises(book_lock.BookBusy, match="run_chapters.py"):
            book_lock.acquire(checkout, shared=True)


def test_papermill_into_another_folder_never_touches_the_repository_results(tmp_path):
    """The README's papermill command, with ``results_dir`` set, writes only there."""
    before = {p.name: p.read_bytes() for p in (ROOT / "data" / "results").iterdir()}
    env = {k: v for k, v in os.environ.items() if k != RESULTS_DIR_VARIABLE}
    run = subprocess.run([PAPERMILL, str(ROOT / "book" / "excitability.ipynb"),
                          str(tmp_path / "out.ipynb"), "-p", "results_dir", str(tmp_path / "res"),
                          "-p", "current_step_na", "1.5", "--no-progress-bar"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "res" / "excitability.csv").is_file()
    assert {p.name: p.read_bytes() for p in (ROOT / "data" / "results").iterdir()} == before
