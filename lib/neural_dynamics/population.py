"""A population rhythm of an E-I network, measured per population, and the rules that name it.

Chapter 5 compares the rhythm of chapter 3's network with a PING cycle (Borgers & Kopell 2003,
2005) and with the sparsely synchronised regime (Brunel & Hakim 1999; Brunel 2000; Brunel &
Wang 2003). One measure cannot tell them apart: excitatory cells that skip cycles are what the
sparse regime shows, but also a PING rhythm under noisy drive (Borgers & Kopell 2005). This
module measures what each regime requires of the same run - the rhythm and its significance,
the share of cycles on which an excitatory cell fires, its spikes per cycle and the irregularity
(ISI CV) of its firing, set against independently driven cells at the same rate - and how the
rhythm's frequency follows the inhibitory decay time; :func:`name_regime` names a regime only
when all the measures agree.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import signal

from . import checks, synchrony
from .noise import simulate_with_noise
from .params import Circuit, Neuron
from .presets import Protocol
from .regimes import mean_cv_isi

#: The excitatory cells count as irregular "as independent input makes them" when their mean ISI
#: CV is at least this fraction of the CV of uncoupled cells of the same neuron, under the same
#: noise, at the same rate (:func:`rate_matched_cv`). A choice: an absolute CV (a Poisson
#: train's 1) cannot be reached by cells with a refractory threshold under this noise.
IRREGULAR_CV_RATIO = 0.8
#: A rhythm counts as clearly slower than the excitatory cells, a slow co-modulation of the rate
#: rather than a cycle cells fire on or skip, when its frequency is below this fraction of their
#: mean rate (a cell would then fire at least twice per cycle on average). A choice.
SLOW_RHYTHM_FRACTION = 0.5
#: The excitatory cells count as firing on every cycle, as a PING cycle assumes, when a cell
#: fires on at least this fraction of the cycles on average (:func:`cycle_participation`).
EVERY_CYCLE_PARTICIPATION = 0.9
#: A network's rhythm counts as following the inhibitory decay time like a PING cycle when its
#: log-sensitivity d ln f / d ln tau_I is at least this fraction of the PING cycle's own.
SENSITIVITY_FRACTION = 0.5


class RhythmMeasures(NamedTuple):
    """One run's population rhythm and its excitatory cells (see :func:`rhythm_measures`)."""
    rhythm_hz: float  # frequency of the population rate's rhythm (NaN: none in the band)
    p_value: float  # against circularly shifted surrogates
    strength: float  # autocorrelation of the population rate at the rhythm's lag
    rate_e_hz: float  # mean rate of the excitatory cells
    rate_i_hz: float  # mean rate of the inhibitory cells (NaN without any)
    cv_e: float  # mean ISI CV of the excitatory cells (regimes.mean_cv_isi)
    e_spikes_per_cycle: float  # rate_e_hz / rhythm_hz
    e_participation: float  # share of the cycles on which an excitatory cell fires (mean)


def cycle_participation(trains, rhythm_hz: float, span_ms: float, bin_ms: float = 1.0,
                        cycle_trains=None) -> float:
    """The share of the rhythm's cycles on which a cell fires, averaged over the cells.

    A rhythm of frequency f has f T cycles in a window of length T, and that is the number of
    cycles counted here. The cycles are placed by the population rate of ``cycle_trains``
    (default ``trains``; bins of ``bin_ms``, smoothed over 3 bins): its peaks at least 0.6 of
    the rhythm's period apart (``scipy.signal.find_peaks``), each cycle running from the
    midpoint before its peak to the midpoint after it (the first and the last to the window's
    ends). A cell's participation is the number of these cycles that hold at least one of its
    spikes over f T, at most 1, so doublets do not raise it: 1 is a cell on every cycle
    (Borgers & Kopell 2003), 1/2 a cell on every other cycle.

    Why f T and not the number of peaks: where the rate's modulation is weak next to its
    counting noise, the noise adds peaks (up to one per 0.6 period), so counting peaks as
    cycles makes cells locked to the rhythm, one spike per cycle, appear to skip cycles; the
    peaks only place the cycles, and a cell spiking once per cycle still spikes in as many
    of them as there are cycles. f comes from the rhythm's measurement (e.g. the peak lag of
    the autocorrelation in whole bins, :func:`synchrony.rhythm_test`), so the count carries
    that measurement's rounding: a locked cell reads 1 minus that relative error at worst
    (about 3 % at 60 Hz in 1 ms bins). NaN without a finite rhythm, with fewer than 4 cycles
    (f T < 4) or without a peak.
    """
    span = checks.positive("span_ms", span_ms)
    if not (np.isfinite(rhythm_hz) and rhythm_hz > 0) or not len(trains):
        return math.nan
    n_cycles = rhythm_hz * span / 1000.0
    if n_cycles < 4:
        return math.nan
    reference = trains if cycle_trains is None else cycle_trains
    edges = np.arange(0.0, span + bin_ms, bin_ms)
    pooled = [np.asarray(t, float) for t in reference]
    rate = np.histogram(np.concatenate(pooled) if pooled else np.empty(0), edges)[0]
    smooth = np.convolve(rate, np.ones(3) / 3.0, mode="same")
    peaks = signal.find_peaks(smooth, distance=max(1, int(0.6 * 1000.0 / rhythm_hz / bin_ms)))[0]
    if peaks.size < 1:
        return math.nan
    centres = (peaks + 0.5) * bin_ms
    bounds = np.concatenate([[0.0], 0.5 * (centres[1:] + centres[:-1]), [span]])
    hits = np.array([np.count_nonzero(np.histogram(t, bounds)[0]) for t in trains], dtype=float)
    return float(np.mean(np.minimum(hits / n_cycles, 1.0)))


def rhythm_measures(trains, n_exc: int, span_ms: float, n_surrogates: int,
                    rng: np.random.Generator, bin_ms: float = 1.0) -> RhythmMeasures:
    """The population rhythm of one run and what its excitatory cells do.

    Parameters
    ----------
    trains : sequence of arrays
        Spike times (ms) of every neuron in [0, span_ms), excitatory neurons first.
    n_exc : int
        Number of excitatory neurons (the first ``n_exc`` trains).
    span_ms : float
        Length of the analysed window, ms.
    n_surrogates : int
        Circular-shift surrogates of ``synchrony.rhythm_test``.
    rng : numpy.random.Generator
        Draws the surrogates.
    bin_ms : float
        Bin of the population rate, ms.

    Returns
    -------
    RhythmMeasures
        The rhythm (``synchrony.rhythm_test`` of all trains), the populations' mean rates, the
        excitatory cells' mean ISI CV (cells with at least 3 spikes) and their spikes per cycle
        of the rhythm, rate_e / f, and the share of cycles on which they fire
        (:func:`cycle_participation` of the excitatory trains).
    """
    n_exc = checks.integer("n_exc", n_exc, 1)
    if n_exc > len(trains):
        raise ValueError(f"n_exc = {n_exc}: must not exceed the number of trains, {len(trains)}")
    span = checks.positive("span_ms", span_ms)
    test = synchrony.rhythm_test(trains, span, bin_ms, n_surrogates, rng)
    counts = np.array([len(t) for t in trains], dtype=float) / (span / 1000.0)
    rate_e = float(counts[:n_exc].mean())
    f = test.rhythm.frequency_hz
    return RhythmMeasures(f, test.p_value, test.rhythm.strength, rate_e,
                          float(counts[n_exc:].mean()) if len(trains) > n_exc else math.nan,
                          mean_cv_isi(trains[:n_exc]),
                          rate_e / f if np.isfinite(f) and f > 0 else math.nan,
                          cycle_participation(trains[:n_exc], f, span, bin_ms))


def is_fast(rhythm_hz, rate_e_hz):
    """True where the rhythm is not clearly slower than the excitatory cells' mean rate:
    f >= :data:`SLOW_RHYTHM_FRACTION` x rate_e.

    A population "rhythm" much slower than the rate of its cells (each cell firing twice or more
    per cycle on average) is a slow co-modulation of the rate, not a cycle that cells fire on or
    skip; neither PING nor the sparse regime describes it. A PING rhythm, one spike per cell per
    cycle (f = rate_e) or a little less with doublets, passes. NaN gives False.
    """
    f, r = np.asarray(rhythm_hz, dtype=float), np.asarray(rate_e_hz, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(f) & np.isfinite(r) & (f >= SLOW_RHYTHM_FRACTION * r)


class RateMatchedCV(NamedTuple):
    """Uncoupled, independently driven cells over a range of mean currents (see
    :func:`rate_matched_cv`)."""
    currents_na: np.ndarray  # (currents,) mean input
    rates_hz: np.ndarray  # (currents,) their mean rate
    cv: np.ndarray  # (currents,) their mean ISI CV
    cv_at_rates: np.ndarray  # (targets,) CV interpolated at the target rates (NaN outside)


def rate_matched_cv(neuron: Neuron, target_rates_hz, currents_na, sigma_na: float,
                    tau_s_ms: float, n_neurons: int, protocol: Protocol,
                    seed: int) -> RateMatchedCV:
    """The ISI CV that independent noise alone gives cells of this neuron at given rates.

    ``n_neurons`` uncoupled copies of ``neuron`` per mean current, each with its own OU noise
    (``noise.simulate_with_noise``; current k seeded by the k-th state of
    ``SeedSequence(seed)``), give the rate and the mean ISI CV (``regimes.mean_cv_isi``, cells
    with at least 3 spikes after the transient) as functions of the current; the CV at each
    target rate is interpolated linearly in the rate, over the currents whose rate rises
    monotonically from the first one that fires. This is the reference for a network's
    irregularity: coupled cells that fire as irregularly as these at their own rate are as
    irregular as independent inputs make them (cf. Brunel 2000, where irregularity is judged
    against Poisson firing well below 1/tau_ref).

    Raises
    ------
    ValueError
        For bad currents, population size, seed or noise (naming it).
    """
    currents = np.sort(checks.finite_array("currents_na", currents_na).reshape(-1))
    if currents.size < 2:
        raise ValueError(f"currents_na = {currents_na!r}: needs at least 2 currents")
    n = checks.integer("n_neurons", n_neurons, 3)
    seed = checks.integer("seed", seed, 0)
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol = {protocol!r}: must be a Protocol")
    targets = np.asarray(target_rates_hz, dtype=float).reshape(-1)
    seeds = np.random.SeedSequence(seed).generate_state(currents.size).tolist()
    mean = np.repeat(currents[:, None], n, axis=1)
    result = simulate_with_noise(Circuit(tuple([neuron] * n)), mean, protocol, tau_s_ms,
                                 sigma_na, seeds)
    window_s = (protocol.duration_ms - protocol.transient_ms) / 1000.0
    rates, cvs = np.empty(currents.size), np.empty(currents.size)
    for k in range(currents.size):
        trains = [t[t > protocol.transient_ms] for t in
                  (result.spike_times(k, i) for i in range(n))]
        rates[k] = np.mean([t.size for t in trains]) / window_s
        cvs[k] = mean_cv_isi(trains)
    # the monotone stretch of rate against current, from the first current with a CV
    usable = np.flatnonzero(np.isfinite(cvs) & (rates > 0))
    at = np.full(targets.shape, math.nan)
    if usable.size >= 2:
        first = usable[0]
        stop = first + 1
        while stop < currents.size and np.isfinite(cvs[stop]) and rates[stop] > rates[stop - 1]:
            stop += 1
        r, c = rates[first:stop], cvs[first:stop]
        if r.size >= 2:
            inside = np.isfinite(targets) & (targets >= r[0]) & (targets <= r[-1])
            at[inside] = np.interp(targets[inside], r, c)
    return RateMatchedCV(currents, rates, cvs, at)


def clearly_rhythmic_index(strength, rhythmic, after: int | None = None):
    """The first point after ``after`` whose significant rhythm is at least half as strong as
    the strongest significant one.

    Parameters
    ----------
    strength : array_like
        The rhythm's strength at each point of a sweep (e.g. the autocorrelation at its lag).
    rhythmic : array_like of bool
        Which points count (e.g. significant, and faster than the cells' rate).
    after : int or None
        Only points with a larger index are candidates (e.g. the onset); None: all.

    Returns
    -------
    int or None
        The index, or None if no candidate qualifies. The threshold, half the maximum over the
        rhythmic points, is a rule of this module, not a property of the network.
    """
    s, mask = np.asarray(strength, dtype=float), np.asarray(rhythmic, dtype=bool)
    if s.shape != mask.shape:
        raise ValueError(f"strength and rhythmic: shapes {s.shape} and {mask.shape} differ")
    ok = mask & np.isfinite(s)
    if not ok.any():
        return None
    candidates = ok & (s >= 0.5 * s[ok].max())
    if after is not None:
        candidates &= np.arange(s.size) > after
    hits = np.flatnonzero(candidates)
    return int(hits[0]) if hits.size else None


def log_sensitivity(values, scales) -> float:
    """Least-squares slope of ln(value) on ln(scale): d ln f / d ln tau for f = c tau^s.

    Non-finite or non-positive values are left out; NaN with fewer than two left (or only one
    distinct scale). A power law f = c tau^s returns s exactly.
    """
    v, x = np.asarray(values, dtype=float), np.asarray(scales, dtype=float)
    if v.shape != x.shape:
        raise ValueError(f"values and scales: shapes {v.shape} and {x.shape} differ")
    if np.any(~np.isfinite(x) | (x <= 0)):
        raise ValueError(f"scales = {scales!r}: each must be a finite number > 0")
    keep = np.isfinite(v) & (v > 0)
    if keep.sum() < 2 or np.unique(x[keep]).size < 2:
        return math.nan
    lx, lv = np.log(x[keep]), np.log(v[keep])
    lx = lx - lx.mean()
    return float(np.sum(lx * (lv - lv.mean())) / np.sum(lx * lx))


class RegimeVerdict(NamedTuple):
    """What each measure says, and the regime named only when they agree (see
    :func:`name_regime`). None: the measure is not available."""
    skips_cycles: bool | None  # participation < EVERY_CYCLE_PARTICIPATION at every rhythm
    fires_every_cycle: bool | None  # participation >= EVERY_CYCLE_PARTICIPATION at every rhythm
    irregular: bool | None  # CV / rate-matched CV >= IRREGULAR_CV_RATIO at every rhythm
    follows_tau_inh: bool | None  # |sensitivity| >= SENSITIVITY_FRACTION |PING's|
    name: str  # "sparse", "PING" or "" (measures disagree or are missing)


def name_regime(e_participation, cv_ratio, network_sensitivity: float,
                ping_sensitivity: float, ping_frequency_agrees: bool) -> RegimeVerdict:
    """Name a network's rhythm only when the measures agree.

    Parameters
    ----------
    e_participation, cv_ratio : array_like
        At each rhythmic coupling (not clearly slow rhythms only, see :func:`is_fast`): the
        share of cycles on which an excitatory cell fires (:func:`cycle_participation`), and
        the excitatory cells' mean ISI CV over that of rate-matched independent cells
        (:func:`rate_matched_cv`).
    network_sensitivity, ping_sensitivity : float
        d ln f / d ln tau_I of the network's rhythm and of the PING cycle (NaN: not measured).
    ping_frequency_agrees : bool
        Whether the PING cycle's frequency matches the network's at every rhythmic coupling.

    Returns
    -------
    RegimeVerdict
        "sparse" (Brunel & Hakim 1999; Brunel 2000) when the cells skip cycles at every
        coupling, fire as irregularly as independent inputs make them (CV ratio >=
        :data:`IRREGULAR_CV_RATIO`) and, if measured, the rhythm follows tau_I much less than a
        PING cycle would; "PING" (Borgers & Kopell 2003) when the cells fire on every cycle
        (participation >= :data:`EVERY_CYCLE_PARTICIPATION`), are more regular than
        independent inputs make them (if measured), the PING frequency agrees and, if
        measured, the rhythm follows tau_I like the PING cycle; "" otherwise.
    """
    cycles = np.asarray(e_participation, dtype=float)
    cv = np.asarray(cv_ratio, dtype=float)
    cycles, cv_known = cycles[np.isfinite(cycles)], cv[np.isfinite(cv)]
    skips = bool(np.all(cycles < EVERY_CYCLE_PARTICIPATION)) if cycles.size else None
    every = bool(np.all(cycles >= EVERY_CYCLE_PARTICIPATION)) if cycles.size else None
    irregular = bool(np.all(cv_known >= IRREGULAR_CV_RATIO)) if cv_known.size else None
    follows = (None if not (np.isfinite(network_sensitivity) and np.isfinite(ping_sensitivity)
                            and ping_sensitivity != 0) else
               bool(abs(network_sensitivity) >= SENSITIVITY_FRACTION * abs(ping_sensitivity)))
    name = ""
    if skips and irregular and follows is not True:
        name = "sparse"
    elif every and irregular is not True and ping_frequency_agrees and follows is not False:
        name = "PING"
    return RegimeVerdict(skips, every, irregular, follows, name)
