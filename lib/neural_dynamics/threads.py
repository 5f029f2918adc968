"""Independent computations in threads, results in order: the one pattern the library uses
wherever numba-compiled loops or FFTs release the GIL (``sweeps``, ``spectra``)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor


def in_threads(function, items, workers: int | None = None) -> list:
    """``[function(item) for item in items]``, computed in up to ``workers`` threads.

    The simulations release the GIL (the kernel is compiled ``nogil``), and so do scipy's FFTs,
    so independent runs - network seeds, noise levels, blocks of rows of a spectrum - share the
    machine's cores (``workers`` defaults to their number). The results come in the order of
    ``items`` and equal the serial list's as long as each call draws only from its own random
    streams: a ``Generator`` shared between calls would be drawn from in an order that depends
    on timing. Each call checks its own work against ``neural_dynamics.limits``; up to
    ``workers`` of them hold their memory at once. The first error raised by a call is raised
    here.
    """
    items = list(items)
    n_workers = min(workers or os.cpu_count() or 1, len(items))
    if n_workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(n_workers) as pool:
        return list(pool.map(function, items))
