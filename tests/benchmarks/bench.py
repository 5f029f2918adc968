"""Benchmarks of the book (``make bench``; not part of the tests).

Measured in one run, on the chapter's own workload:

1. the compiled kernel on excitability's sweep with ``current_step_na = 0.01`` (1051 currents,
   both neurons, 300 ms at 0.05 ms): neuron-steps per second, best of 3 after compilation;
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
6. the wall time of every chapter through papermill at its defaults.

Targets (issues 3, 5 and 12): kernel >= 100x the reference; the chapter's extra time for the
sweep under a twentieth of the reference's time for the sweep's simulations; excitability at
defaults < 10 s; synchrony, neural mass and cross-scale < 60 s; the neural-mass chapter's extra
time for 40 couplings under a twentieth of the reference's time for the 40 simulations and
spectra. Pass ``--quick`` to time the excitability reference on every 10th current and scale
(an estimate).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent / "tools"))

from neural_dynamics import networks, noise, presets, sweeps  # noqa: E402
from neural_dynamics import neural_mass as nm  # noqa: E402
from neural_dynamics.kernel import simulate  # noqa: E402
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


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmarks of the book's kernels and chapters.")
    parser.add_argument("--quick", action="store_true", help="estimate the reference from 1/10")
    args = parser.parse_args()

    currents = sweeps.current_grid_na(0.0, 10.5, FINE_STEP_NA)
    neuron_steps = len(NEURONS) * currents.size * PROTOCOL.n_steps
    compiled = kernel_seconds(currents)
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
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    met = (plain / compiled >= 100 and default < 10 and extra < plain / 20
           and net_plain / net_compiled >= 100
           and all(chapters.get(name, 0) < target for name, target in CHAPTER_TARGETS_S.items())
           and jr_plain / jr_compiled >= 100
           and mass_sweep - mass_default < (jr_plain + jr_spectra) / 20)
    print("all targets met" if met else "SOME TARGETS MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
