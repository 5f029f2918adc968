"""Run a large parameter sweep from a YAML configuration, in chunks, on Dask.

Command line::

    python -m neural_dynamics.sweep CONFIG.yaml --out DIR [--scheduler ADDRESS] [--workers N]

The grid of the configuration (:mod:`neural_dynamics.sweep_config`) is cut into chunks of
``chunk_size`` points; each chunk is one task, one batched library call
(``sweep_config.MODELS[model].evaluate``). Without ``--scheduler`` the tasks run on a
``dask.distributed.LocalCluster`` of N worker processes with one thread each (and
``NUMBA_NUM_THREADS=1``); with ``--scheduler tcp://host:port`` on a running cluster; with
``--workers 0`` in this process. The driver writes every finished chunk atomically
(temporary file, then ``os.replace``) to ``DIR/chunks/``, so an interrupted sweep resumes with
the chunks still missing and a finished one recomputes nothing. The chunks merge into
``DIR/<name>.csv`` (one row per grid point and seed: parameter columns, then metric columns, in
the grid's order, numbers rounded by ``results.significant``) and ``DIR/<name>.manifest.json``
(config hash, package versions, chunks). A point's metrics depend only on its parameters and
seed, not on the chunking or the worker (see the evaluators in :mod:`neural_dynamics.regimes`).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import os
import sys
import time
from importlib import metadata
from pathlib import Path

from . import results, sweep_config
from .results import atomic_write

CHUNK_FORMAT = 1
PACKAGES = ("numpy", "scipy", "numba", "pandas", "PyYAML", "dask", "distributed")


def _clean(value):
    """A metric or parameter as stored: str as is, int as int, real numbers rounded."""
    if isinstance(value, str):
        return value
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number = results.significant(value)
    return None if math.isnan(number) else number  # JSON has no NaN: null


def run_chunk(model: str, points: list, metrics: tuple, columns: list) -> list:
    """Evaluate one chunk (one batched call) and return its rows: parameters, then metrics.

    Runs on a worker; imports nothing but the library, so any Dask worker with the book's
    environment can run it.
    """
    values = sweep_config.MODELS[model].evaluate(points)
    return [[_clean(p[c]) for c in columns] + [_clean(v[m]) for m in metrics]
            for p, v in zip(points, values, strict=True)]


class Chunk:
    """One chunk of a sweep: its points and the file that holds its rows once computed."""

    def __init__(self, config, index: int, points: list, folder: Path):
        self.index = index
        self.points = points
        key = json.dumps({"config": config.digest(), "format": CHUNK_FORMAT,
                          "points": [[p[c] for c in config.columns] for p in points]},
                         sort_keys=True)
        self.key = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.path = folder / f"{config.name}-{index:05d}-{self.key}.json"

    def done(self) -> bool:
        return self.path.is_file()

    def write(self, rows) -> None:
        atomic_write(self.path, json.dumps({"key": self.key, "rows": rows}) + "\n")

    def rows(self) -> list:
        return json.loads(self.path.read_text(encoding="utf-8"))["rows"]


def chunks_of(config, out_dir, chunk_dir=None) -> list[Chunk]:
    """The chunks of a sweep, in order (``chunk_size`` consecutive points each), kept in
    ``chunk_dir`` (``out_dir/chunks`` by default)."""
    points = config.points()
    folder = Path(chunk_dir) if chunk_dir is not None else Path(out_dir) / "chunks"
    size = config.chunk_size
    return [Chunk(config, k, points[start:start + size], folder)
            for k, start in enumerate(range(0, len(points), size))]


def _progress(done: int, total: int, started: float, stream) -> None:
    elapsed = time.monotonic() - started
    print(f"\r  chunks {done}/{total} done, {elapsed:.0f} s", end="", file=stream, flush=True)


def run_sweep(config, out_dir, client=None, stream=None, stop_after: int | None = None,
              chunk_dir=None) -> dict:
    """Compute every missing chunk of ``config`` and merge all chunks into the results.

    Parameters
    ----------
    config : SweepConfig
    out_dir : path-like
        DIR: ``DIR/chunks/`` holds the chunks, ``DIR/<name>.csv`` and ``.manifest.json``
        the merged results.
    client : dask.distributed.Client or None
        Where the chunks run; None: in this process, one after the other.
    stream : file or None
        Progress lines (``sys.stderr`` by default).
    stop_after : int or None
        Stop after this many newly computed chunks, without merging (an interruption, for
        tests).
    chunk_dir : path-like or None
        Where the chunks are kept (``DIR/chunks`` by default).

    Returns
    -------
    dict
        ``computed`` and ``reused`` chunk counts, and the ``csv`` path (None when stopped).
    """
    stream = sys.stderr if stream is None else stream
    out = Path(out_dir)
    chunks = chunks_of(config, out, chunk_dir)
    todo = [c for c in chunks if not c.done()]
    reused = len(chunks) - len(todo)
    print(f"sweep {config.name}: {config.n_points} points in {len(chunks)} chunks, "
          f"{reused} already done", file=stream)
    started = time.monotonic()
    computed = 0
    args = (config.model, config.metrics, config.columns)
    if client is None:
        for chunk in todo:
            if stop_after is not None and computed >= stop_after:
                break
            chunk.write(run_chunk(args[0], chunk.points, *args[1:]))
            computed += 1
            _progress(reused + computed, len(chunks), started, stream)
    else:
        from distributed import as_completed  # noqa: PLC0415

        futures = {client.submit(run_chunk, args[0], c.points, *args[1:],
                                 key=f"{config.name}-chunk-{c.key}", pure=False,
                                 retries=2): c for c in todo}
        pending = as_completed(futures)
        for future in pending:
            futures[future].write(future.result())
            computed += 1
            _progress(reused + computed, len(chunks), started, stream)
            if stop_after is not None and computed >= stop_after:
                client.cancel(list(futures))
                break
    print(file=stream)
    if len(todo) > computed:
        return {"computed": computed, "reused": reused, "csv": None}
    path = merge(config, out, chunks)
    print(f"wrote {path}", file=stream)
    return {"computed": computed, "reused": reused, "csv": path}


def merge(config, out: Path, chunks) -> Path:
    """Write ``<name>.csv`` (rows in the grid's order) and ``<name>.manifest.json``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(config.columns + list(config.metrics))
    entries = []
    for chunk in chunks:
        text = chunk.path.read_bytes()
        for row in chunk.rows():
            writer.writerow(["nan" if v is None else repr(v) if isinstance(v, float) else v
                             for v in row])
        entries.append({"file": chunk.path.name, "points": len(chunk.points),
                        "sha256": hashlib.sha256(text).hexdigest()})
    text = buffer.getvalue()
    path = out / f"{config.name}.csv"
    atomic_write(path, text)
    manifest = {"name": config.name, "config": config.as_dict(),
                "config_sha256": config.digest(), "csv_sha256":
                hashlib.sha256(text.encode()).hexdigest(), "points": config.n_points,
                "packages": _versions(), "chunks": entries}
    atomic_write(out / f"{config.name}.manifest.json",
                  json.dumps(manifest, indent=2) + "\n")  # the grid's order kept
    return path


def _versions() -> dict:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _single_threaded_env() -> None:
    """One numba/BLAS thread per worker process (set before the workers start)."""
    for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                 "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neural_dynamics.sweep",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="the sweep's YAML file")
    parser.add_argument("--out", required=True, help="output folder DIR")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler, "
                        "e.g. tcp://host:8786 (default: start a LocalCluster)")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the LocalCluster (0: run in this process)")
    parser.add_argument("--chunks", help="folder of the finished chunks (default: DIR/chunks)")
    parser.add_argument("--dashboard", action="store_true",
                        help="serve the Dask dashboard of the LocalCluster (port 8787)")
    args = parser.parse_args(argv)
    try:
        config = sweep_config.load(args.config)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.workers < 0:
        print(f"error: --workers = {args.workers}: must be >= 0", file=sys.stderr)
        return 2
    if args.scheduler is None and args.workers == 0:
        run_sweep(config, args.out, chunk_dir=args.chunks)
        return 0
    _single_threaded_env()
    from distributed import Client, LocalCluster  # noqa: PLC0415

    if args.scheduler:
        with Client(args.scheduler) as client:
            run_sweep(config, args.out, client, chunk_dir=args.chunks)
        return 0
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=":8787" if args.dashboard else ":0") as cluster, \
            Client(cluster) as client:
        if args.dashboard:
            print(f"dashboard: {client.dashboard_link}", file=sys.stderr)
        run_sweep(config, args.out, client, chunk_dir=args.chunks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
