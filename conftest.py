"""Set-up shared by every test, the notebook tests (``book/``) included.

- The chapters re-executed by nbval write their results tables to a temporary folder
  (``NEURAL_DYNAMICS_RESULTS_DIR``), never into the repository's ``data/results/``.
- The tests hold the checkout's book lock (shared), so a ``make book`` started while they run
  refuses to rewrite the notebooks under them, and the tests refuse to start while a
  ``make book`` is executing the chapters (``tools/run_chapters.py`` holds it exclusively).
"""

import os
import sys
import tempfile
from pathlib import Path

import pytest

from neural_dynamics.results import RESULTS_DIR_VARIABLE

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
import book_lock  # noqa: E402

os.environ.setdefault(RESULTS_DIR_VARIABLE, tempfile.mkdtemp(prefix="nd-test-results-"))
_LOCK = []


def pytest_configure(config):
    try:
        _LOCK.append(book_lock.acquire(ROOT, shared=True, holder="the tests (pytest)"))
    except book_lock.BookBusy as busy:
        pytest.exit(str(busy), returncode=3)


# The longest units of work first. pytest-xdist (--dist loadscope --no-loadscope-reorder) hands
# whole modules, classes and notebooks to the two workers in collection order; by default it
# would order them by their number of tests, which puts the parameter sets (a few tests of
# minutes each) last, where one worker runs them alone while the other idles. Longest first
# (the longest-processing-time rule) keeps both workers busy to the end. Measured with
# `pytest --durations=0` (summed per unit; a fresh clone, 2026-11-27); a unit missing here runs
# after these, in collection order.
LONGEST_FIRST = [
    "tests/test_parameter_sets.py::TestShiftedSweeps",
    "book/cross_scale.ipynb",
    "book/synchrony.ipynb",
    "tests/test_faults.py",
    "tests/test_parameter_sets.py::TestEdgeCases",
    "book/neural_mass.ipynb",
    "tests/test_publishing.py",
    "tests/test_adaptation_chapter.py",
    "tests/test_sweep_runner.py",
    "tests/test_cycles.py",
    "tests/test_synchrony_chapter.py",
    "tests/test_browser.py",
    "tests/test_neural_mass_chapter.py",
    "tests/test_cross_scale_chapter.py",
    "tests/test_excitability_chapter.py",
    "book/adaptation.ipynb",
    "tests/test_meanfield.py",
    "tests/test_papermill_cli.py",
    "tests/test_parameter_sets.py::TestFineGrid",
    "book/excitability.ipynb",
    "book/regime_maps.ipynb",
]


def _rank(nodeid: str) -> int:
    for rank, unit in enumerate(LONGEST_FIRST):
        if nodeid == unit or nodeid.startswith(unit + "::"):
            return rank
    return len(LONGEST_FIRST)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: _rank(item.nodeid))  # stable: a unit's own order is kept
