"""The network at scale in Brian2 2.9, beside this library (``make bench`` does not run it).

Run ``.venv/bin/python tests/benchmarks/brian2_compare.py [--sizes 400 4000 10000]``. Brian2 2.9
needs numpy < 2.3, so it lives in a virtual environment of its own, ``.bench-venv-brian2`` at the
top of the repository (created on first use with ``python3 -m venv`` and ``pip install``
of ``BRIAN2_REQUIREMENTS``; reused afterwards; ignored by git). Never part of the tests.

The workload is section 7 of ``bench.py`` (issue 13): chapter 3's kind of network - 80 %
excitatory leaky integrate-and-fire neurons with the relaxing threshold of
``presets.SYNCHRONY_NEURON``, conductance synapses (0 mV, 2 ms and -70 mV, 8 ms, saturating
gates s <- s + 0.2 (1 - s) per spike), Erdos-Renyi connections with probability p (no
self-connections), weights 0.01 and 0.1 uS times 1000 / K for K = p (N - 1), and an
Ornstein-Uhlenbeck current of 2.5 +- 0.8 nA with tau 5 ms on every neuron - simulated for the
bench's duration at 0.1 ms. In Brian2 a spike of neuron j adds w delta (1 - s_j) to the
conductance of its targets (``on_pre``, before the reset increments s_j), which is the
library's update; the membrane and the noise are integrated with Brian2's ``euler`` method (the
conductance-coupled membrane has no ``exact`` solution in Brian2), so the spikes are not the
library's, only their statistics (the spike counts are printed to compare).

Each run is a subprocess. Times are the wall time of ``run(duration)`` after a warm-up
``run(1 ms)`` of the same network in the same process (code generated, and for cython compiled
or loaded from the cache; the cython target is warmed by one run of each size beforehand), with
the process's CPU time beside it (on a shared machine the wall time varies with the load); peak
resident memory is ``ru_maxrss`` of the worker. This library's time is ``bench.py``'s worker
(float32 draws, ``sparse_ei_network(draw="per_source")``: the same statistics).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".bench-venv-brian2"
BRIAN2_REQUIREMENTS = ("brian2==2.9.0", "numpy<2.3", "cython", "setuptools")
# (neurons, connection probability, duration in ms): bench.py's SCALE_WORKLOADS.
WORKLOADS = {400: (0.2, 2000.0), 4000: (0.2, 2000.0), 10000: (0.1, 1000.0)}
NEURON = {"e_leak_mv": -65.0, "r_mohm": 10.0, "tau_m_ms": 30.0, "theta_0_mv": -55.0,
          "theta_spike_mv": 50.0, "tau_theta_ms": 5.0}
SYNAPSES = {"e_exc_mv": 0.0, "tau_exc_ms": 2.0, "e_inh_mv": -70.0, "tau_inh_ms": 8.0,
            "delta": 0.2}
DRIVE = {"mean_na": 2.5, "sigma_na": 0.8, "tau_noise_ms": 5.0, "dt_ms": 0.1}


def venv_python() -> Path:
    """The Brian2 environment's interpreter, created with pip on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import brian2, Cython"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *BRIAN2_REQUIREMENTS],
                       check=True)
    return python


def brian2_worker(n_neurons: int, target: str, seed: int = 1) -> dict:
    """One Brian2 run (inside the Brian2 environment)."""
    import brian2 as b2

    b2.prefs.codegen.target = target
    b2.seed(seed)
    p_connect, duration_ms = WORKLOADS[n_neurons]
    k = p_connect * (n_neurons - 1)
    n_exc = int(round(0.8 * n_neurons))
    nrn, syn, drive = NEURON, SYNAPSES, DRIVE
    b2.defaultclock.dt = drive["dt_ms"] * b2.ms
    namespace = {
        "e_leak": nrn["e_leak_mv"] * b2.mV, "g_leak": 1.0 / nrn["r_mohm"] * b2.usiemens,
        "c_m": nrn["tau_m_ms"] / nrn["r_mohm"] * b2.nfarad,
        "theta_0": nrn["theta_0_mv"] * b2.mV, "theta_spike": nrn["theta_spike_mv"] * b2.mV,
        "tau_theta": nrn["tau_theta_ms"] * b2.ms,
        "e_exc": syn["e_exc_mv"] * b2.mV, "tau_exc": syn["tau_exc_ms"] * b2.ms,
        "e_inh": syn["e_inh_mv"] * b2.mV, "tau_inh": syn["tau_inh_ms"] * b2.ms,
        "delta": syn["delta"], "mu": drive["mean_na"] * b2.nA,
        "sigma": drive["sigma_na"] * b2.nA, "tau_n": drive["tau_noise_ms"] * b2.ms,
    }
    equations = b2.Equations("""
        dv/dt = (g_leak*(e_leak - v) + g_e*(e_exc - v) + g_i*(e_inh - v) + mu + eta) / c_m : volt
        dtheta/dt = (theta_0 - theta) / tau_theta : volt
        deta/dt = -eta/tau_n + sigma*sqrt(2/tau_n)*xi : amp
        dg_e/dt = -g_e/tau_exc : siemens
        dg_i/dt = -g_i/tau_inh : siemens
        ds/dt = -s/tau_s : 1
        tau_s : second (constant)
    """)
    group = b2.NeuronGroup(n_neurons, equations, threshold="v >= theta",
                           reset="v = e_leak; theta = theta_spike; s += delta*(1 - s)",
                           method="euler", namespace=namespace)
    group.v = namespace["e_leak"]
    group.theta = namespace["theta_0"]
    group.eta = "sigma*randn()"
    group.tau_s = namespace["tau_exc"]
    group.tau_s[n_exc:] = namespace["tau_inh"]
    start = time.perf_counter()
    pathways = []
    for sources, post, scale in ((group[:n_exc], "g_e", 0.01), (group[n_exc:], "g_i", 0.1)):
        synapses = b2.Synapses(sources, group, "w : siemens (constant)",
                               on_pre=f"{post}_post += w*delta*(1 - s_pre)",
                               namespace=namespace)
        offset = 0 if post == "g_e" else n_exc
        synapses.connect(condition=f"i + {offset} != j", p=p_connect)
        synapses.w = scale * 1000.0 / k * b2.usiemens
        pathways.append(synapses)
    monitor = b2.SpikeMonitor(group, record=False)
    network = b2.Network(group, *pathways, monitor)
    network.run(1.0 * b2.ms, namespace=namespace)  # generate (and compile) the code
    build = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    network.run(duration_ms * b2.ms, namespace=namespace)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_s": cpu, "build_s": build, "spikes": int(monitor.num_spikes),
            "connections": int(sum(len(s) for s in pathways)),
            "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0}


def run_brian2(python: Path, n_neurons: int, target: str) -> dict:
    out = subprocess.run([str(python), __file__, "--brian2-worker", str(n_neurons), target],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_library(n_neurons: int) -> dict:
    """bench.py's worker for this size, float32 draws, per-source connections."""
    p_connect, duration_ms = WORKLOADS[n_neurons]
    out = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), str(Path(__file__).with_name("bench.py")),
         "--scale-worker", str(n_neurons), str(p_connect), str(duration_ms), "float32", "0",
         "per_source"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=sorted(WORKLOADS),
                        choices=sorted(WORKLOADS))
    parser.add_argument("--brian2-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.brian2_worker:
        print(json.dumps(brian2_worker(int(args.brian2_worker[0]), args.brian2_worker[1])))
        return 0
    python = venv_python()
    print(f"{'neurons':>8} {'this library':>32} {'Brian2 numpy':>32} {'Brian2 cython':>32}")
    for n_neurons in args.sizes:
        run_brian2(python, n_neurons, "cython")  # compile, or load the cache
        lib = run_library(n_neurons)
        numpy_run = run_brian2(python, n_neurons, "numpy")
        cython_run = run_brian2(python, n_neurons, "cython")
        cells = [f"{r['seconds']:.2f} s ({r['cpu_s']:.2f} s CPU) {r['peak_bytes'] / 2**20:.0f} MB "
                 f"{r['spikes']} sp" for r in (lib, numpy_run, cython_run)]
        print(f"{n_neurons:>8} " + " ".join(f"{c:>32}" for c in cells))
    print("times: wall (and CPU) time of the simulation after a warm-up in the same process; "
          "MB: peak resident memory of the process; sp: spikes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
