"""Regimes of the book's models at many parameter settings: measured, then named.

Two classifications, each from measured quantities with stated rules:

* the E-I network of chapter 3 (Brunel 2000's axes: relative inhibition g and external
  drive), named SR / SI / AR / AI (synchronous or asynchronous, regular or irregular) or
  quiescent from its rate, the CV of its interspike intervals, the synchrony index chi and
  the population-rate spectrum (:func:`network_regime`);
* the Jansen-Rit model of chapter 4, named by its attractors at a constant input
  (equilibrium, Hopf cycle, spike-like cycle, bistable), from runs started at several initial
  states and the equilibria's eigenvalues (:func:`jansen_rit_attractors`).

Each evaluator takes a whole batch of parameter settings (one chunk of a sweep, see
:mod:`neural_dynamics.sweep`) and returns one dict of metrics per setting, in order; a
setting's metrics depend only on its own parameters and seed.
"""

from __future__ import annotations

import math

import numpy as np

from . import cycles, networks, noise, spectra, synchrony
from .neural_mass import JansenRit
from .params import Circuit, Neuron, SynapseType
from .presets import Protocol
from .sweeps import spike_train_table

# --- the network (chapter 3) ---------------------------------------------------------------

#: Rate below which the network counts as quiescent, Hz.
QUIESCENT_HZ = 1.0
#: Synchrony index chi from which the network counts as synchronous (independent neurons give
#: about 1/sqrt(N) = 0.05 for the 400 neurons of chapter 3; Golomb & Rinzel 1993).
SYNCHRONOUS_CHI = 0.5
#: Mean CV of the interspike intervals below which the neurons count as regular (a Poisson
#: train has CV 1; Brunel 2000 calls CV well below 1 regular).
REGULAR_CV = 0.5
#: Bin of the population rate, ms, and the band of its spectral peak, Hz.
RATE_BIN_MS = 1.0
PEAK_BAND_HZ = (5.0, 200.0)
#: Welch segment of the population-rate spectrum, s.
SEGMENT_S = 0.25


def network_regime(rate_hz: float, cv_isi: float, chi: float) -> str:
    """Brunel's (2000) regime labels from measured statistics.

    Rules, applied in order: ``"quiescent"`` if rate_hz < :data:`QUIESCENT_HZ`; otherwise
    "S" (synchronous) if the membrane potentials co-vary (chi >= :data:`SYNCHRONOUS_CHI`),
    else "A" (asynchronous), followed by
    "R" (regular) if the mean CV of the interspike intervals < :data:`REGULAR_CV` else "I"
    (irregular; also when no neuron fires often enough for a CV, NaN).

    The population rate's rhythm (its autocorrelation at one period, or its spectral peak) is
    measured but does not decide synchrony: neurons that fire regularly make the population
    rate's autocorrelation peak at their period even when they fire independently, at any
    phase (a finite population's fluctuations recur one period later).
    """
    if not rate_hz >= QUIESCENT_HZ:
        return "quiescent"
    sync = "S" if chi >= SYNCHRONOUS_CHI else "A"
    return sync + ("R" if cv_isi < REGULAR_CV else "I")


def mean_cv_isi(trains) -> float:
    """Mean over neurons with at least 3 spikes of the CV (s.d. / mean) of their intervals;
    NaN when no neuron has 3 spikes."""
    cvs = [np.std(d) / np.mean(d) for d in (np.diff(t) for t in trains if len(t) >= 3)]
    return float(np.mean(cvs)) if cvs else math.nan


def _network_members(points):
    """One network per point (connections drawn from the point's seed) and the mean currents."""
    members, means = [], []
    for p in points:
        neuron = Neuron(p["e_leak_mv"], p["r_mohm"], p["tau_m_ms"], p["theta_0_mv"],
                        p["theta_spike_mv"], p["tau_theta_ms"])
        excitatory = SynapseType(p["e_exc_mv"], p["tau_exc_ms"], p["delta_syn"])
        inhibitory = SynapseType(p["e_inh_mv"], p["tau_inh_ms"], p["delta_syn"])
        w_e = p["w_exc_us"] * p["coupling"]
        w_i = p["relative_inhibition_g"] * w_e
        connect, _, start = np.random.SeedSequence([p["seed"]]).spawn(3)
        net = networks.ei_network(neuron, p["n_exc"], p["n_inh"], p["p_connect"], excitatory,
                                  inhibitory, w_e, w_e, w_i, w_i, np.random.default_rng(connect))
        n = p["n_exc"] + p["n_inh"]
        v_start = np.random.default_rng(start).uniform(p["e_leak_mv"], p["theta_0_mv"], n)
        members.append(networks.with_initial_potentials(net, v_start))
        means.append(np.full(n, p["current_na"]))
    return members, np.array(means)


def noise_seed(seed: int) -> int:
    """The integer seed of a point's input noise: the second child of SeedSequence([seed])."""
    return int(np.random.SeedSequence([seed]).spawn(3)[1].generate_state(1)[0])


def evaluate_network(points) -> list[dict]:
    """Simulate the E-I network at every point in one batched call; measure and name each.

    Every point (a dict of the parameters of ``sweep_config.MODELS["network"]``) gets its own
    network: n_exc + n_inh neurons, connections with probability p_connect, excitatory weight
    w_exc_us x coupling and inhibitory weight g times that (g = ``relative_inhibition_g``,
    Brunel 2000's relative strength of inhibition), every neuron driven by ``current_na`` plus
    its own Ornstein-Uhlenbeck noise (``noise.simulate_with_noise``). The connections, the
    starting potentials (uniform between rest and threshold) and the noise are drawn from
    ``numpy.random.SeedSequence([seed])`` alone, so the points of one seed share them (common
    random numbers) and a point's result does not depend on the batch.

    Returns, per point: ``rate_hz`` (mean rate after the transient), ``cv_isi``
    (:func:`mean_cv_isi`), ``chi`` (``synchrony.synchrony_chi`` of the membrane potentials
    after the transient), ``peak_hz`` and ``peak_ratio`` (frequency of the largest value of
    the population rate's Welch spectrum in :data:`PEAK_BAND_HZ`, and that value over the
    band's median), ``rhythm_hz`` and ``rhythmicity`` (``synchrony.rhythm`` of the population
    rate: first autocorrelation peak), and ``regime`` (:func:`network_regime`).
    """
    first = points[0]
    protocol = Protocol(first["dt_ms"], first["duration_ms"], first["transient_ms"])
    members, means = _network_members(points)
    run = noise.simulate_with_noise(members, means, protocol, first["noise_tau_ms"],
                                    first["sigma_na"], [noise_seed(p["seed"]) for p in points],
                                    record=True)
    skip = int(round(protocol.transient_ms / protocol.dt_ms))
    span_ms = protocol.duration_ms - protocol.transient_ms
    rows = []
    for b in range(len(points)):
        trains = [t[t >= protocol.transient_ms] - protocol.transient_ms
                  for t in run.circuit_trains(b)]
        rate_hz = float(np.mean([t.size for t in trains]) / (span_ms / 1000.0))
        cv = mean_cv_isi(trains)
        chi = synchrony.synchrony_chi(run.v_mv[b][:, skip:])
        population = synchrony.population_rate_hz(trains, span_ms, RATE_BIN_MS)
        rhythm = synchrony.rhythm(population, RATE_BIN_MS, *PEAK_BAND_HZ)
        spectrum = spectra.welch(population, 1000.0 / RATE_BIN_MS, SEGMENT_S)
        band = ((spectrum.frequencies_hz >= PEAK_BAND_HZ[0])
                & (spectrum.frequencies_hz <= PEAK_BAND_HZ[1]))
        peak = spectra.dominant_peak(spectrum, *PEAK_BAND_HZ)
        median = float(np.median(spectrum.power[band]))
        rows.append({"rate_hz": rate_hz, "cv_isi": cv, "chi": chi, "peak_hz": peak.frequency_hz,
                     "peak_ratio": peak.power / median if median > 0 else math.nan,
                     "rhythm_hz": rhythm.frequency_hz, "rhythmicity": rhythm.strength,
                     "regime": network_regime(rate_hz, cv, chi)})
    return rows


# --- the Jansen-Rit model (chapter 4) --------------------------------------------------------

#: Extra initial states (y_p, y_e, y_i, z_p, z_e, z_i) of the attractor search besides rest and
#: the unstable equilibria: a large excitatory and a large inhibitory kick.
JR_STARTS = ((0.0, 30.0, 0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 30.0, 0.0, 0.0, 0.0),
             (0.1, 15.0, 5.0, 0.0, 0.0, 0.0))


def evaluate_jansen_rit(points) -> list[dict]:
    """The attractors of the Jansen-Rit model at every point (C, constant input p).

    Per point: ``cycles.attractors`` of ``JansenRit(coupling_c=C, ...)`` at input
    xi = p / 0.8 (the textbook input p = 0.8 xi; spec), with runs of ``settle_s`` from rest,
    from :data:`JR_STARTS` and from every unstable equilibrium, and the equilibria with their
    eigenvalues from ``neural_mass.equilibria``. Returns ``attractor`` (the regime's name:
    "equilibrium", "Hopf cycle", "spike-like cycle", "bistable", "multistable"),
    ``n_stable_equilibria``, ``n_cycles``, ``frequency_hz`` (of the largest stable cycle; NaN
    without one), ``amplitude_mv`` (its peak-to-peak u_p), ``small_frequency_hz`` (of the
    smallest cycle) and ``eeg_mv`` (u_p at the lowest stable equilibrium; NaN without one).
    """
    rows = []
    for p in points:
        model = JansenRit(p["a_per_s"], p["b_per_s"], p["a_mv"], p["b_mv"], p["coupling_c"],
                          p["e_max_per_s"], p["v0_mv"], p["r_per_mv"])
        regime = cycles.attractors(model, p["input_p"] / 0.8, starts=JR_STARTS,
                                   settle_s=p["settle_s"], window_s=p["window_s"])
        stable = regime.stable_equilibria
        big = regime.cycles[-1] if regime.cycles else None
        small = regime.cycles[0] if regime.cycles else None
        rows.append({
            "attractor": regime.name(cycles.SPIKE_LIKE_MV, "Hopf cycle"),
            "n_stable_equilibria": len(stable),
            "n_cycles": len(regime.cycles),
            "frequency_hz": big.frequency_hz if big else math.nan,
            "amplitude_mv": big.amplitude_mv if big else math.nan,
            "small_frequency_hz": small.frequency_hz if small else math.nan,
            "eeg_mv": stable[0].eeg_mv if stable else math.nan,
        })
    return rows


# --- a single neuron (chapter 1) --------------------------------------------------------------

def evaluate_neuron(points) -> list[dict]:
    """One batched simulation of a neuron at every point under a constant current.

    Returns ``sweeps.spike_train_table``'s metrics per point (spike_count, first_spike_ms,
    mean_rate_hz, steady_rate_hz, initial_rate_hz, adaptation_index).
    """
    from .kernel import simulate  # noqa: PLC0415

    first = points[0]
    protocol = Protocol(first["dt_ms"], first["duration_ms"], first["transient_ms"])
    circuits = [Circuit.of(Neuron(p["e_leak_mv"], p["r_mohm"], p["tau_m_ms"], p["theta_0_mv"],
                                  p["theta_spike_mv"], p["tau_theta_ms"])) for p in points]
    currents = np.array([[p["current_na"]] for p in points])
    table = spike_train_table(simulate(circuits, currents, protocol))
    return table.to_dict("records")
