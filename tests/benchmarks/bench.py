"""Benchmarks of the book (``make bench``; not part of the tests).

Measured in one run, on the chapter's own workload:

1. the compiled kernel on excitability's sweep with ``current_step_na = 0.01`` (1051 currents,
   both neurons, 300 ms at 0.05 ms): neuron-steps per second, best of 3 after compilation, and
   per block of ``kernel.BLOCK`` members (the sweep's time over its blocks, and one call of a
   block of the fixed-threshold neuron: wall and CPU time, best of 50);
2. the plain-Python reference (tests/reference.py) on the same sweep, and the ratio;
3. the wall time of executing the chapter through papermill at its defaults, and with that
   sweep; their difference is the chapter's extra cost for the sweep.

4. the network kernel on chapter 3's network (400 neurons, noisy drive, strongest coupling):
   neuron-steps per second, and the ratio to the reference's per-step cost (the reference is
   timed on a short stretch of the same network: its cost per step does not depend on time);
5. the Jansen-Rit kernel: steps per second on chapter 4's 40-value coupling sweep (20 s each),
   the ratio to the reference (timed on one member and scaled: members are independent), and
   the neural-mass chapter's extra wall time through papermill with that 40-value
   ``coupling_sweep`` (with it minus at defaults);
6. the wall time of every chapter through papermill at its defaults;
7. the network kernel at scale (issue 13): chapter 3's kind of network (80 % excitatory,
   conductance synapses of 2 and 8 ms, OU drive of 2.5 +- 0.8 nA with tau 5 ms) of 400 and
   4,000 neurons at p = 0.2 for 2 s and of 10,000 neurons at p = 0.1 for 1 s, all at 0.1 ms, built
   with ``networks.sparse_ei_network`` and simulated with
   ``noise.simulate_with_streamed_noise`` (float64 draws, and float32 draws at 10,000: kept in
   single precision and read so by the kernel; the next chunk of draws is made in a second
   thread while the kernel runs, so the wall time can be below the CPU time, which is printed
   too). The
   weights are chapter 3's (0.01 and 0.1 uS) times 1000 / K for K = p (N - 1) connections per
   neuron, the same total conductance per neuron at every size. Each run is a subprocess:
   wall time of the simulation (after compilation; building is timed apart), neuron-steps/s,
   synaptic events/s (spikes x their targets), peak resident memory (ru_maxrss, which includes
   the interpreter, numba and the compiled code: the first row prints that baseline), and
   the ratio to a minimal loop doing the same work - the same Gaussian draws in the same
   chunks, the same exact neuron update and one add per synaptic event - in a numba function
   below (single-threaded: its draws are not overlapped). ``--only network`` runs this section
   alone. Brian2's numpy and cython targets on the same workload: ``brian2_compare.py`` (its own
   virtual environment; not run by ``make bench``).
8. the Dask sweep runner's throughput (issue 14): a part of the shipped Jansen-Rit atlas
   (``data/sweeps/jansen_rit_atlas.yaml``, 6 values of C x 8 of p, chunks of 3 points) in this
   process and on a ``LocalCluster`` of 1 and of 2 worker processes: grid points per second
   after a small warm-up sweep on the same workers (the cluster's start-up and the workers'
   loading of the compiled code are counted apart). ``--only sweep`` runs this section alone.

Targets (issues 3, 5 and 12): kernel >= 100x the reference; the chapter's extra time for the
sweep under a twentieth of the reference's time for the sweep's simulations; excitability at
defaults < 10 s; synchrony, neural mass and cross-scale < 60 s; the neural-mass chapter's extra
time for 40 couplings under a twentieth of the reference's time for the 40 simulations and
spectra. Pass ``--quick`` to time the excitability reference on every 10th current and scale
(an estimate). Targets of section 7 (issue 13) at 10,000 neurons: within 1.5x of the minimal
loop and under 1 GB of peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent / "tools"))

from neural_dynamics import networks, noise, presets, sweeps  # noqa: E402
from neural_dynamics import neural_mass as nm  # noqa: E402
from neural_dynamics.kernel import BLOCK, simulate  # noqa: E402
from neural_dynamics.params import Circuit, SynapseType  # noqa: E402
from neural_dynamics.presets import Protocol  # noqa: E402

import reference  # noqa: E402
import run_chapters  # noqa: E402

NEURONS = (presets.FIXED_THRESHOLD_NEURON, presets.DYNAMIC_THRESHOLD_NEURON)
PROTOCOL = presets.EXCITABILITY_PROTOCOL
FINE_STEP_NA = 0.01


# Wall-time targets of the chapters at their defaults, s (issues 5 and 12).
CHAPTER_TARGETS_S = {"excitability": 10.0, "synchrony": 60.0, "neural_mass": 60.0,
                     "cross_scale": 60.0}


def kernel_seconds(currents: np.ndarray, repeats: int = 3) -> float:
    def once():
        start = time.perf_counter()
        for neuron in NEURONS:
            simulate(Circuit.of(neuron), currents[:, None], PROTOCOL)
        return time.perf_counter() - start

    once()  # compile (or load the cache)
    return min(once() for _ in range(repeats))


def block_seconds(repeats: int = 50) -> tuple[float, float]:
    """Wall and CPU seconds of one call of ``BLOCK`` members of chapter 1's fixed-threshold
    neuron (one block of the kernel, currents spread over the sweep), best of ``repeats``."""
    circuit = Circuit.of(presets.FIXED_THRESHOLD_NEURON)
    currents = np.linspace(0.0, 10.5, BLOCK)[:, None]
    simulate(circuit, currents, PROTOCOL)  # compile (or load the cache)
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        simulate(circuit, currents, PROTOCOL)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def reference_seconds(currents: np.ndarray) -> float:
    start = time.perf_counter()
    for neuron in NEURONS:
        for current in currents:
            reference.simulate_circuit(
                Circuit.of(neuron), reference.constant([float(current)]),
                PROTOCOL.dt_ms, PROTOCOL.duration_ms,
            )
    return time.perf_counter() - start


def chapter_seconds(chapter: str = "excitability", **parameters) -> float:
    with tempfile.TemporaryDirectory() as folder:
        parameters["results_dir"] = str(Path(folder) / "results")
        start = time.perf_counter()
        run_chapters.execute(chapter, parameters, output=Path(folder) / "out.ipynb")
        return time.perf_counter() - start


def network_figures() -> tuple[float, float, int]:
    """Seconds per neuron-step of the compiled network kernel and of the reference."""
    net = networks.ei_network(
        presets.SYNCHRONY_NEURON, 320, 80, 0.2, SynapseType(0.0, 2.0, 0.2),
        SynapseType(-70.0, 8.0, 0.2), 0.3, 0.3, 3.0, 3.0, np.random.default_rng(0))
    protocol = Protocol(0.1, 2000.0)
    noise.simulate_with_noise(net, 2.5, Protocol(0.1, 10.0), 5.0, 0.8, [0])  # compile
    drive = 2.5 + noise.ou_current_na(np.random.default_rng(0), (400,), protocol.n_steps, 0.1,
                                      5.0, 0.8)
    start = time.perf_counter()
    result = simulate(net, drive[None], protocol)
    compiled = (time.perf_counter() - start) / (400 * protocol.n_steps)
    short_steps = 20
    start = time.perf_counter()
    reference.simulate_network(net, lambda k, n: float(drive[n, k]), 0.1, 0.1 * short_steps)
    plain = (time.perf_counter() - start) / (400 * short_steps)
    return compiled, plain, int(result.spike_steps.size)


def jansen_rit_figures(couplings: np.ndarray) -> tuple[float, float]:
    """Seconds for the 40-member sweep of 20 s: the compiled kernel (best of 3), the reference
    (one member, times 40), and the spectra of the 40 outputs (the same for both)."""
    xi = nm.noise_input(42, 200000)
    models = [nm.JansenRit(coupling_c=float(c)) for c in couplings]
    nm.simulate_mass(models, xi[:100], 1e-4, 0.01)  # compile, start the threads

    def once():
        start = time.perf_counter()
        run = nm.simulate_mass(models, xi, 1e-4, 20.0)
        return time.perf_counter() - start, run

    compiled, run = min((once() for _ in range(3)), key=lambda item: item[0])
    start = time.perf_counter()
    nm.eeg_spectrum(run.eeg_mv, 1e-4, 2.0, 4.0, 2.0)
    spectra = time.perf_counter() - start
    start = time.perf_counter()
    reference.jansen_rit(models[0], xi, 1e-4, 200000)
    plain = (time.perf_counter() - start) * couplings.size
    return compiled, plain, spectra


# Section 7: (neurons, connection probability, duration in ms, draw precision).
SCALE_WORKLOADS = ((400, 0.2, 2000.0, "float64"), (4000, 0.2, 2000.0, "float64"),
                   (10000, 0.1, 1000.0, "float64"), (10000, 0.1, 1000.0, "float32"))
SCALE_DT_MS, SCALE_MEAN_NA, SCALE_SIGMA_NA, SCALE_TAU_MS = 0.1, 2.5, 0.8, 5.0
SCALE_CHUNK_STEPS = 128
SCALE_TARGET_RATIO, SCALE_TARGET_BYTES = 1.5, 2**30


def scale_network(n_neurons: int, p_connect: float, draw: str = "matrix"):
    """Chapter 3's kind of network at any size (see the module's docstring, section 7);
    ``draw`` is ``sparse_ei_network``'s."""
    k = p_connect * (n_neurons - 1)
    n_exc = int(round(0.8 * n_neurons))
    w_exc, w_inh = 0.01 * 1000.0 / k, 0.1 * 1000.0 / k
    return networks.sparse_ei_network(
        presets.SYNCHRONY_NEURON, n_exc, n_neurons - n_exc, p_connect,
        SynapseType(0.0, 2.0, 0.2), SynapseType(-70.0, 8.0, 0.2), w_exc, w_exc, w_inh, w_inh,
        np.random.default_rng(0), draw=draw)


@numba.njit(cache=True)
def _minimal_chunk(v, theta, eta, g_exc, g_inh, s, par, indptr, targets, weights, n_exc, xi,
                   k0, fired):
    """The least a simulation of ``scale_network`` must do for a chunk of steps: the OU
    update, the exact exponential membrane update of a conductance-based neuron, the threshold
    relaxation, the synaptic decays, and one add per synaptic event; every neuron is
    conductance-gated (as in the library's networks). Returns the spikes."""
    (dt, e_leak, g_leak, c_m, theta_0, theta_spike, decay_theta, e_exc, e_inh, decay_exc,
     decay_inh, delta, a, kick, sigma, mean) = par
    n_neurons = v.size
    n_spikes = 0
    for kk in range(xi.shape[0]):
        n_fired = 0
        for n in range(n_neurons):
            if k0 + kk == 0:
                eta[n] = sigma * xi[0, n]
            else:
                eta[n] = kick * xi[kk, n] + a * eta[n]
            # the library's expressions, operation for operation, so the spikes are the same
            g_eq = g_leak + g_exc[n] + g_inh[n]
            g_e = g_leak * e_leak + g_exc[n] * e_exc + g_inh[n] * e_inh
            v_inf = g_e / g_eq + (mean + eta[n]) / g_eq
            v[n] = v_inf + (v[n] - v_inf) * np.exp(-dt / (c_m / g_eq))
            theta[n] = theta_0 + (theta[n] - theta_0) * decay_theta
            g_exc[n] *= decay_exc
            g_inh[n] *= decay_inh
            if v[n] >= theta[n]:
                v[n] = e_leak
                theta[n] = theta_spike
                fired[n_fired] = n
                n_fired += 1
        for n in range(n_neurons):
            s[n] *= decay_exc if n < n_exc else decay_inh
        for f in range(n_fired):
            n = fired[f]
            step = delta * (1.0 - s[n])
            s[n] += step
            g = g_exc if n < n_exc else g_inh
            for p in range(indptr[n], indptr[n + 1]):
                g[targets[p]] += weights[p] * step
        n_spikes += n_fired
    return n_spikes


def minimal_run(net, protocol: Protocol, draw_dtype: str) -> int:
    """Run ``_minimal_chunk`` over the protocol with the same draws as the library; spikes."""
    neuron, (exc, inh) = net.neurons[0], net.synapse_types
    n_neurons = len(net.neurons)
    dt = protocol.dt_ms
    a = np.exp(-dt / SCALE_TAU_MS)
    par = (dt, neuron.e_leak_mv, neuron.g_leak_us, neuron.c_nf, neuron.theta_0_mv,
           neuron.theta_spike_mv, np.exp(-dt / neuron.tau_theta_ms), exc.e_rev_mv, inh.e_rev_mv,
           np.exp(-dt / exc.tau_ms), np.exp(-dt / inh.tau_ms), exc.delta, a,
           SCALE_SIGMA_NA * np.sqrt(1.0 - a * a), SCALE_SIGMA_NA, SCALE_MEAN_NA)
    v = np.full(n_neurons, neuron.e_leak_mv)
    theta = np.full(n_neurons, neuron.theta_0_mv)
    eta, g_exc, g_inh, s = (np.zeros(n_neurons) for _ in range(4))
    fired = np.empty(n_neurons, dtype=np.int64)
    n_exc = int(np.sum(np.asarray(net.gate_types) == 0))
    rng = np.random.default_rng(1)
    spikes = 0
    for k0 in range(0, protocol.n_steps, SCALE_CHUNK_STEPS):
        n_chunk = min(SCALE_CHUNK_STEPS, protocol.n_steps - k0)
        xi = rng.standard_normal((n_chunk, n_neurons), dtype=np.dtype(draw_dtype))
        spikes += _minimal_chunk(v, theta, eta, g_exc, g_inh, s, par, net.target_indptr,
                                 net.target_indices, net.weights_us, n_exc, xi, k0, fired)
    return spikes


def scale_worker(n_neurons: int, p_connect: float, duration_ms: float, draw_dtype: str,
                 minimal: bool, draw: str = "matrix") -> dict:
    """One run of section 7 (in its own process, for its peak memory)."""
    start = time.perf_counter()
    net = scale_network(n_neurons, p_connect, draw)
    build = time.perf_counter() - start
    protocol = Protocol(SCALE_DT_MS, duration_ms)
    warm = Protocol(SCALE_DT_MS, 1.0)
    if minimal:
        minimal_run(net, warm, draw_dtype)  # compile (or load the cache)
    else:
        noise.simulate_with_streamed_noise(net, SCALE_MEAN_NA, warm, SCALE_TAU_MS,
                                           SCALE_SIGMA_NA, [1], draw_dtype=draw_dtype)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0
    start, cpu = time.perf_counter(), time.process_time()
    if minimal:
        n_spikes, events = minimal_run(net, protocol, draw_dtype), np.nan
    else:
        run = noise.simulate_with_streamed_noise(
            net, SCALE_MEAN_NA, protocol, SCALE_TAU_MS, SCALE_SIGMA_NA, [1],
            draw_dtype=draw_dtype, chunk_steps=SCALE_CHUNK_STEPS)
        n_spikes = int(run.spike_steps.size)
        events = float(np.diff(run.offsets) @ np.diff(net.target_indptr))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_s": cpu, "build_s": build, "spikes": n_spikes,
            "events": events, "connections": net.n_connections, "baseline_bytes": baseline,
            "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0}


def scale_figures() -> list[tuple[str, str]]:
    """Rows of section 7, each run in a subprocess (``--scale-worker``)."""
    rows, met = [], True

    def worker(*arguments):
        out = subprocess.run([sys.executable, __file__, "--scale-worker", *map(str, arguments)],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    for n_neurons, p_connect, duration_ms, dtype in SCALE_WORKLOADS:
        lib = worker(n_neurons, p_connect, duration_ms, dtype, 0)
        low = worker(n_neurons, p_connect, duration_ms, dtype, 1)
        steps = n_neurons * round(duration_ms / SCALE_DT_MS)
        ratio = lib["seconds"] / low["seconds"]
        if n_neurons == 10000:
            met &= ratio <= SCALE_TARGET_RATIO and lib["peak_bytes"] < SCALE_TARGET_BYTES
        if not rows:
            rows.append(("network at scale: process baseline",
                         f"{lib['baseline_bytes'] / 2**20:.0f} MB resident after import and "
                         "compilation (included in the peaks below)"))
        rows.append((
            f"network {n_neurons} neurons, p = {p_connect}, {duration_ms / 1000:g} s ({dtype})",
            f"{lib['seconds']:.2f} s (CPU {lib['cpu_s']:.2f} s; build {lib['build_s']:.2f} s), "
            f"{steps / lib['seconds']:.3g} neuron-steps/s, "
            f"{lib['events'] / lib['seconds']:.3g} synaptic events/s, {lib['spikes']} spikes, "
            f"peak {lib['peak_bytes'] / 2**20:.0f} MB; minimal loop {low['seconds']:.2f} s "
            f"(CPU {low['cpu_s']:.2f} s, "
            f"{low['spikes']} spikes), ratio {ratio:.2f}"
            + (f"   (target <= {SCALE_TARGET_RATIO}, < 1 GB)" if n_neurons == 10000 else "")))
    rows.append(("network at scale targets", "met" if met else "MISSED"))
    return rows


def sweep_figures() -> list[tuple[str, str]]:
    """Grid points per second of the sweep runner in-process and on 1 and 2 Dask workers."""
    import os  # noqa: PLC0415

    import yaml  # noqa: PLC0415
    from distributed import Client, LocalCluster  # noqa: PLC0415

    from neural_dynamics import sweep, sweep_config  # noqa: PLC0415

    raw = yaml.safe_load((TESTS.parent / "data" / "sweeps" / "jansen_rit_atlas.yaml").read_text())
    raw["chunk_size"] = 3
    raw["grid"] = {"coupling_c": [100.0, 135.0], "input_p": [60.0, 120.0, 180.0]}
    warm = sweep_config.validate(raw)  # loads the compiled code in each worker first
    raw["grid"] = {"coupling_c": [100.0, 120.0, 135.0, 145.0, 160.0, 240.0],
                   "input_p": [60.0, 100.0, 140.0, 180.0, 220.0, 260.0, 300.0, 360.0]}
    config = sweep_config.validate(raw)
    quiet = open(os.devnull, "w")  # noqa: SIM115
    rows = [("sweep workload", f"{config.n_points} Jansen-Rit points (attractor search each), "
                               f"chunks of {raw['chunk_size']}")]
    with tempfile.TemporaryDirectory() as folder:
        sweep.run_sweep(warm, Path(folder) / "warm", stream=quiet)  # compile, warm caches
        started = time.perf_counter()
        sweep.run_sweep(config, Path(folder) / "in_process", stream=quiet)
        single = time.perf_counter() - started
        rows.append(("sweep in this process", f"{single:.1f} s, "
                                              f"{config.n_points / single:.2f} points/s"))
        sweep._single_threaded_env()
        for workers in (1, 2):
            started = time.perf_counter()
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=":0") as cluster, Client(cluster) as client:
                up = time.perf_counter() - started
                sweep.run_sweep(warm, Path(folder) / f"warm_{workers}", client, stream=quiet)
                started = time.perf_counter()
                sweep.run_sweep(config, Path(folder) / f"workers_{workers}", client,
                                stream=quiet)
                seconds = time.perf_counter() - started
            rows.append((f"sweep on {workers} Dask worker(s)",
                         f"{seconds:.1f} s, {config.n_points / seconds:.2f} points/s, "
                         f"{single / seconds:.2f}x in-process (cluster start {up:.1f} s)"))
    quiet.close()
    return rows


def print_rows(rows) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmarks of the book's kernels and chapters.")
    parser.add_argument("--quick", action="store_true", help="estimate the reference from 1/10")
    parser.add_argument("--only", choices=["network", "sweep"],
                        help="run one section alone: 'network' is the network kernel at scale, "
                             "'sweep' the Dask sweep runner's throughput")
    parser.add_argument("--scale-worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_worker:
        n, p, duration, dtype, minimal, *draw = args.scale_worker
        print(json.dumps(scale_worker(int(n), float(p), float(duration), dtype,
                                      bool(int(minimal)), *draw)))
        return 0
    if args.only == "network":
        print_rows(scale_figures())
        return 0
    if args.only == "sweep":
        print_rows(sweep_figures())
        return 0

    currents = sweeps.current_grid_na(0.0, 10.5, FINE_STEP_NA)
    neuron_steps = len(NEURONS) * currents.size * PROTOCOL.n_steps
    compiled = kernel_seconds(currents)
    n_blocks = len(NEURONS) * -(-currents.size // BLOCK)
    block_wall, block_cpu = block_seconds()
    if args.quick:
        plain = reference_seconds(currents[::10]) * currents.size / currents[::10].size
    else:
        plain = reference_seconds(currents)
    chapter_seconds()  # warm the numba cache and the kernel start-up
    default = min(chapter_seconds() for _ in range(3))
    fine = min(chapter_seconds(current_step_na=FINE_STEP_NA) for _ in range(3))
    extra = fine - default
    net_compiled, net_plain, net_spikes = network_figures()
    couplings = np.linspace(100.0, 200.0, 40)
    jr_compiled, jr_plain, jr_spectra = jansen_rit_figures(couplings)
    mass_default = min(chapter_seconds("neural_mass") for _ in range(3))
    mass_sweep = min(chapter_seconds("neural_mass", coupling_sweep=[float(c) for c in couplings])
                     for _ in range(3))
    chapters = {name: chapter_seconds(name) for name in run_chapters.CHAPTERS
                if (run_chapters.BOOK / f"{name}.ipynb").is_file()}

    rows = [
        ("workload", f"{currents.size} currents x {len(NEURONS)} neurons x "
                     f"{PROTOCOL.n_steps} steps = {neuron_steps:.3g} neuron-steps"),
        ("kernel", f"{compiled:.3f} s, {neuron_steps / compiled:.3g} neuron-steps/s"),
        (f"kernel per block of {BLOCK} members",
         f"{1e3 * compiled / n_blocks:.2f} ms in the sweep; one call of {BLOCK} members "
         f"{1e3 * block_wall:.2f} ms (CPU {1e3 * block_cpu:.2f} ms)"),
        ("reference" + (" (estimated from 1/10)" if args.quick else ""),
         f"{plain:.1f} s, {neuron_steps / plain:.3g} neuron-steps/s"),
        ("kernel / reference speed", f"{plain / compiled:.0f}x   (target >= 100x)"),
        ("chapter at defaults (papermill)", f"{default:.2f} s   (target < 10 s)"),
        ("chapter with current_step_na=0.01", f"{fine:.2f} s"),
        ("extra time for the sweep",
         f"{extra:.2f} s   (target < reference/20 = {plain / 20:.2f} s)"),
        ("network kernel (400 neurons, 2 s)",
         f"{1 / net_compiled:.3g} neuron-steps/s ({net_spikes} spikes)"),
        ("network reference (20 steps)", f"{1 / net_plain:.3g} neuron-steps/s"),
        ("network kernel / reference", f"{net_plain / net_compiled:.0f}x   (target >= 100x)"),
        ("Jansen-Rit kernel (40 x 200000 steps)",
         f"{jr_compiled:.3f} s, {40 * 200000 / jr_compiled:.3g} steps/s"),
        ("Jansen-Rit reference (1 member, x 40)", f"{jr_plain:.1f} s"),
        ("Jansen-Rit kernel / reference", f"{jr_plain / jr_compiled:.0f}x   (target >= 100x)"),
        ("Welch spectra of the 40 outputs", f"{jr_spectra:.2f} s"),
        ("neural_mass with a 40-value coupling_sweep", f"{mass_sweep:.2f} s"),
        ("extra time for the 40 couplings",
         f"{mass_sweep - mass_default:.2f} s   (target < (reference + spectra)/20 = "
         f"{(jr_plain + jr_spectra) / 20:.2f} s)"),
        *[(f"chapter {name} (papermill, defaults)",
           f"{seconds:.1f} s" + (f"   (target < {CHAPTER_TARGETS_S[name]:.0f} s)"
                                 if name in CHAPTER_TARGETS_S else ""))
          for name, seconds in chapters.items()],
        *scale_figures(),
        *sweep_figures(),
    ]
    print_rows(rows)
    met = (plain / compiled >= 100 and default < 10 and extra < plain / 20
           and net_plain / net_compiled >= 100
           and all(chapters.get(name, 0) < target for name, target in CHAPTER_TARGETS_S.items())
           and jr_plain / jr_compiled >= 100
           and mass_sweep - mass_default < (jr_plain + jr_spectra) / 20)
    print("all targets met" if met else "SOME TARGETS MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
