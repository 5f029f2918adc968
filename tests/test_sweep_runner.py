"""The sweep runner on Dask: configuration checks, real worker processes, failures, resuming,
and the committed results of the shipped sweeps (neural_dynamics.sweep, sweep_config)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from neural_dynamics import limits, sweep, sweep_config

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SHIPPED = ROOT / "data" / "sweeps"

# A tiny Jansen-Rit sweep: deterministic, about 0.1-0.3 s per point, 8 chunks of one point.
TINY = {"name": "tiny", "model": "jansen_rit",
        "grid": {"coupling_c": [100.0, 135.0], "input_p": {"start": 80.0, "stop": 320.0,
                                                           "num": 4}},
        "metrics": ["attractor", "frequency_hz", "amplitude_mv", "n_cycles"],
        "chunk_size": 1}


def _quiet():
    return io.StringIO()


def _csv(path) -> str:
    return Path(path).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tiny():
    return sweep_config.validate(TINY)


@pytest.fixture(scope="module")
def reference(tiny, tmp_path_factory):
    """The tiny sweep computed in this process."""
    out = tmp_path_factory.mktemp("in_process")
    result = sweep.run_sweep(tiny, out, stream=_quiet())
    return _csv(result["csv"])


# --- the configuration ----------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"model": "hodgkin"}, "model = 'hodgkin': must be one of jansen_rit, network, neuron"),
    ({"grid": {"coupling_k": [1.0]}}, "grid.coupling_k: unknown parameter of model jansen_rit"),
    ({"metrics": ["attractor", "lyapunov"]}, "metrics: 'lyapunov' is not a metric"),
    ({"grid": {"coupling_c": [100.0, -5.0]}}, "grid.coupling_c[1] = -5.0: must be a finite "
     "number > 0"),
    ({"grid": {"coupling_c": {"start": 1, "stop": 2}}}, "must have exactly the keys start"),
    ({"chunk_size": 0}, "chunk_size = 0: must be an integer >= 1"),
    ({"seeds": [1, 1]}, "seeds = [1, 1]: must be a non-empty list of distinct integers"),
    ({"fixed": {"settle_s": "long"}}, "fixed.settle_s = 'long': must be a finite number > 0"),
    ({"grid": {"settle_s": [1.0, 2.0]}}, "grid.settle_s: cannot be swept"),
    ({"fixed": {"window_s": 9.0}}, "fixed.window_s = 9.0: must be <= settle_s"),
    ({"colour": "red"}, "colour = 'red': unknown key"),
])
def test_bad_configurations_fail_naming_key_and_value(change, message):
    with pytest.raises(ValueError) as error:
        sweep_config.validate({**TINY, **change})
    assert message in str(error.value)


def test_too_big_a_grid_fails_before_anything_is_allocated():
    big = {**TINY, "grid": {"coupling_c": {"start": 1.0, "stop": 2.0, "num": 10**9}}}
    with pytest.raises(limits.WorkTooLarge, match="more than max_points = 10,000"):
        sweep_config.validate(big)
    with pytest.raises(limits.WorkTooLarge, match="max_points = 5"):
        sweep_config.validate({**TINY, "max_points": 5})


def test_the_command_line_reports_a_bad_config(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**TINY, "metrics": ["nothing"]}))
    run = subprocess.run([sys.executable, "-m", "neural_dynamics.sweep", str(path), "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "metrics: 'nothing' is not a metric of model jansen_rit" in run.stderr
    assert not (tmp_path / "out").exists()


def test_shipped_configurations_are_valid():
    for path in sorted(SHIPPED.glob("*.yaml")):
        config = sweep_config.load(path)
        assert config.name == path.stem


# --- running ----------------------------------------------------------------------------------

def test_results_do_not_depend_on_the_chunking(tiny, reference, tmp_path):
    again = sweep_config.validate({**TINY, "chunk_size": 3})
    assert _csv(sweep.run_sweep(again, tmp_path, stream=_quiet())["csv"]) == reference
    rows = list(csv.reader(io.StringIO(reference)))
    assert rows[0] == ["coupling_c", "input_p", "seed", "attractor", "frequency_hz",
                       "amplitude_mv", "n_cycles"]
    assert len(rows) == 1 + 8


def test_a_local_cluster_gives_the_in_process_results(tiny, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        result = sweep.run_sweep(tiny, tmp_path, client, stream=_quiet())
    assert result["computed"] == 8
    assert _csv(result["csv"]) == reference
    manifest = json.loads((tmp_path / "tiny.manifest.json").read_text())
    assert manifest["config_sha256"] == tiny.digest()
    assert len(manifest["chunks"]) == 8 and manifest["packages"]["distributed"]


def test_an_interrupted_sweep_resumes_and_a_finished_one_recomputes_nothing(tiny, reference,
                                                                             tmp_path):
    first = sweep.run_sweep(tiny, tmp_path, stream=_quiet(), stop_after=3)
    assert first == {"computed": 3, "reused": 0, "csv": None}
    done = sorted((tmp_path / "chunks").iterdir())
    stamps = {p: p.stat().st_mtime_ns for p in done}
    second = sweep.run_sweep(tiny, tmp_path, stream=_quiet())
    assert (second["computed"], second["reused"]) == (5, 3)
    assert all(p.stat().st_mtime_ns == stamps[p] for p in done)  # reused, not rewritten
    assert _csv(second["csv"]) == reference
    third = sweep.run_sweep(tiny, tmp_path, stream=_quiet())
    assert (third["computed"], third["reused"]) == (0, 8)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two workers started as separate processes over TCP on localhost."""
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", str(file)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 30
        while not file.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)
        address = json.loads(file.read_text())["address"]
        workers = [subprocess.Popen([str(BIN / "dask"), "worker", "--scheduler-file", str(file),
                                     "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                     "--name", f"w{k}"], env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL) for k in range(2)]
        procs += workers
        from distributed import Client  # noqa: PLC0415

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=30)
        yield address, workers
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=3)  # a dask worker can ignore SIGTERM for long
            except subprocess.TimeoutExpired:
                proc.kill()


def test_separate_scheduler_and_workers_and_a_worker_killed_mid_sweep(cluster, reference,
                                                                       tmp_path):
    address, workers = cluster
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    command = [sys.executable, "-m", "neural_dynamics.sweep", str(config), "--scheduler", address]
    run = subprocess.run(command + ["--out", str(tmp_path / "a")], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert _csv(tmp_path / "a" / "tiny.csv") == reference
    assert "chunks 8/8 done" in run.stderr

    # the same sweep again (new folder, driven from a thread here), one worker killed with
    # SIGKILL once the first chunk is in: its tasks are rerun on the other worker
    from distributed import Client  # noqa: PLC0415

    out = tmp_path / "b"
    with Client(address, timeout=30) as client:
        done = {}
        driver = threading.Thread(target=lambda: done.update(sweep.run_sweep(
            sweep_config.validate(TINY), out, client, stream=_quiet())))
        driver.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(out.glob("chunks/*.json")):
            time.sleep(0.01)
        assert len(list(out.glob("chunks/*.json"))) < 8, "the sweep finished before the kill"
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        driver.join(timeout=120)
    assert done["computed"] == 8
    assert _csv(out / "tiny.csv") == reference


# --- the shipped sweeps -----------------------------------------------------------------------

def _committed(name):
    with open(SHIPPED / "results" / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("name, picks", [
    ("jansen_rit_atlas", {"coupling_c": [2, 7], "input_p": [3, 8]}),  # bistable, Hopf cycle
    ("network_regimes", {"relative_inhibition_g": [-1], "current_na": [0]}),  # the cheapest
])
def test_a_reduced_shipped_sweep_reproduces_the_committed_rows(name, picks, tmp_path):
    """Some grid values of the shipped config, run here, give the committed rows there."""
    raw = yaml.safe_load((SHIPPED / f"{name}.yaml").read_text())
    full = sweep_config.validate(raw)
    raw["grid"] = {key: [full.grid[key][i] for i in picks[key]] for key in full.grid}
    raw["seeds"] = list(full.seeds[:1])
    reduced = sweep_config.validate(raw)
    result = sweep.run_sweep(reduced, tmp_path, stream=_quiet())
    rows = list(csv.reader(io.StringIO(_csv(result["csv"]))))
    committed = _committed(name)
    assert rows[0] == committed[0]
    width = len(reduced.columns)
    by_point = {tuple(r[:width]): r for r in committed[1:]}
    assert len(rows) > 1
    for row in rows[1:]:
        assert by_point[tuple(row[:width])] == row
