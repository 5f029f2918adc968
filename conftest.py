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
