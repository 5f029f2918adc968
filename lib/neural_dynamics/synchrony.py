"""Synchrony measures between spike trains and across a population (pure functions, times in ms).

The original analysis's measures (nearest-spike lag, coincidence fraction, membrane correlation)
and chance-corrected ones: the spike time tiling coefficient (Cutts & Eglen 2014), a coincidence
count against interval-jitter surrogates (Amarasingham et al. 2012), phase locking, and the
population synchrony index chi (Golomb & Rinzel 1993).
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations
from typing import NamedTuple

import numpy as np
from scipy import ndimage, signal, stats

from . import checks


def nearest_spike_lags_ms(times_1_ms, times_2_ms) -> np.ndarray:
    """Signed lag t2 - t1 from each spike of train 1 to the nearest spike of train 2, ms.

    Ties (two spikes of train 2 equally near) go to the earlier one. Empty if either train is.
    Positive lags mean that train 1 leads.
    """
    t1 = checks.sorted_times("times_1_ms", times_1_ms)
    t2 = checks.sorted_times("times_2_ms", times_2_ms)
    if t1.size == 0 or t2.size == 0:
        return np.empty(0)
    after = np.clip(np.searchsorted(t2, t1), 1, t2.size - 1) if t2.size > 1 else np.zeros(
        t1.size, dtype=int)
    before = np.maximum(after - 1, 0)
    lag_before, lag_after = t2[before] - t1, t2[after] - t1
    return np.where(np.abs(lag_after) < np.abs(lag_before), lag_after, lag_before)


class LagSummary(NamedTuple):
    """Nearest-spike statistics of train 1 relative to train 2."""

    coincidence_fraction: float  # fraction of train-1 spikes with |lag| <= window
    mean_abs_lag_ms: float
    mean_signed_lag_ms: float
    n_spikes: int  # spikes of train 1: the fraction moves in steps of 1 / n_spikes


def lag_summary(times_1_ms, times_2_ms, window_ms: float = 2.0) -> LagSummary:
    """Coincidence fraction and mean nearest-spike lags (the original analysis's measures).

    With no spike in train 1 every statistic is NaN; with spikes in train 1 but none in train 2
    the coincidence fraction is 0 and the lags NaN.
    """
    window = checks.positive("window_ms", window_ms)
    lags = nearest_spike_lags_ms(times_1_ms, times_2_ms)
    n_spikes = int(np.asarray(times_1_ms).size)
    if n_spikes == 0:
        return LagSummary(math.nan, math.nan, math.nan, 0)
    if lags.size == 0:
        return LagSummary(0.0, math.nan, math.nan, n_spikes)
    return LagSummary(
        float(np.mean(np.abs(lags) <= window)),
        float(np.mean(np.abs(lags))),
        float(np.mean(lags)),
        n_spikes,
    )


def membrane_correlation(v_1_mv, v_2_mv) -> float:
    """Pearson correlation of two membrane-potential traces (NaN if either is constant)."""
    v1 = checks.finite_array("v_1_mv", v_1_mv)
    v2 = checks.finite_array("v_2_mv", v_2_mv)
    if v1.shape != v2.shape or v1.ndim != 1 or v1.size < 2:
        raise ValueError(f"v_1_mv {v1.shape} and v_2_mv {v2.shape}: need two equal 1-D traces")
    if np.ptp(v1) == 0 or np.ptp(v2) == 0:
        return math.nan
    return float(np.corrcoef(v1, v2)[0, 1])


def _tiled_fraction(times, dt, t_start, t_stop):
    """Fraction of [t_start, t_stop] within +-dt of a spike (union of tiles)."""
    covered = np.minimum(np.diff(times), 2 * dt).sum()
    covered += min(times[0] - t_start, dt) + min(t_stop - times[-1], dt)
    return covered / (t_stop - t_start)


def _fraction_near(times, others, dt):
    """Fraction of ``times`` within +-dt of some spike of ``others``."""
    lags = nearest_spike_lags_ms(times, others)
    return float(np.mean(np.abs(lags) <= dt))


def sttc(times_1_ms, times_2_ms, dt_ms: float, t_start_ms: float, t_stop_ms: float) -> float:
    """Spike time tiling coefficient of two trains (Cutts & Eglen 2014).

    STTC = 1/2 [(P_A - T_B) / (1 - P_A T_B) + (P_B - T_A) / (1 - P_B T_A)], with T_A the
    fraction of the recording within +-dt of a spike of A and P_A the fraction of A's spikes
    within +-dt of a spike of B. 1 for identical trains, near 0 for independent ones whatever
    their rates, -1 for trains that avoid each other. NaN if a train is empty. A term whose
    denominator vanishes (every spike tiled, all time tiled) is set to 1, as elephant does.

    Parameters
    ----------
    times_1_ms, times_2_ms : array_like
        Sorted spike times within [t_start_ms, t_stop_ms].
    dt_ms : float
        Coincidence window, ms (> 0).
    t_start_ms, t_stop_ms : float
        The recording, ms.
    """
    t1 = checks.sorted_times("times_1_ms", times_1_ms)
    t2 = checks.sorted_times("times_2_ms", times_2_ms)
    dt = checks.positive("dt_ms", dt_ms)
    start = checks.finite("t_start_ms", t_start_ms)
    stop = checks.greater_than("t_stop_ms", t_stop_ms, "t_start_ms", start)
    if t1.size == 0 or t2.size == 0:
        return math.nan
    if t1[0] < start or t2[0] < start or t1[-1] > stop or t2[-1] > stop:
        raise ValueError("times_1_ms, times_2_ms: spikes must lie within [t_start_ms, t_stop_ms]")
    t_a, t_b = _tiled_fraction(t1, dt, start, stop), _tiled_fraction(t2, dt, start, stop)
    p_a, p_b = _fraction_near(t1, t2, dt), _fraction_near(t2, t1, dt)

    def term(p, t):
        return 1.0 if p * t == 1 else (p - t) / (1 - p * t)

    return 0.5 * term(p_a, t_b) + 0.5 * term(p_b, t_a)


def coincidence_count(times_1_ms, times_2_ms, window_ms: float) -> int:
    """Number of spike pairs (one from each train) at most ``window_ms`` apart."""
    t1 = checks.sorted_times("times_1_ms", times_1_ms)
    t2 = checks.sorted_times("times_2_ms", times_2_ms)
    window = checks.positive("window_ms", window_ms)
    upper = np.searchsorted(t2, t1 + window, side="right")
    lower = np.searchsorted(t2, t1 - window, side="left")
    return int(np.sum(upper - lower))


def interval_jitter(times_ms, jitter_ms: float, rng: np.random.Generator) -> np.ndarray:
    """Interval-jitter surrogate: each spike redrawn uniformly within its own jitter window.

    Time is cut into windows [k J, (k + 1) J); every spike keeps its window and gets a uniform
    random position in it (Amarasingham et al. 2012). This preserves the spike count of every
    window — the train's slow rate modulations — and destroys timing finer than J.
    """
    times = checks.sorted_times("times_ms", times_ms)
    jitter = checks.positive("jitter_ms", jitter_ms)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator")
    windows = np.floor(times / jitter)
    return np.sort((windows + rng.random(times.size)) * jitter)


class JitterTest(NamedTuple):
    """Observed coincidences against their distribution under interval jitter."""

    observed: int
    surrogate_mean: float
    surrogate_sd: float
    excess: float  # observed / surrogate mean - 1 (NaN when the mean is 0)
    p_value: float  # (1 + #surrogates >= observed) / (1 + n): one-sided, never 0


def _against_jitter(statistic, times_2_ms, jitter_ms: float, n_surrogates: int,
                    rng: np.random.Generator):
    """A statistic of train 2 and of ``n_surrogates`` interval-jitter surrogates of it.

    Parameters
    ----------
    statistic : callable
        Maps a sorted train 2 (ms) to a number or an array (train 1 is bound in it).
    times_2_ms : array_like
        Sorted spike times of train 2, ms.
    jitter_ms : float
        Width of the jitter windows (:func:`interval_jitter`), ms.
    n_surrogates : int
        Number of surrogates, >= 1; they are drawn one after another from ``rng``.
    rng : numpy.random.Generator

    Returns
    -------
    observed, numpy.ndarray
        The statistic of the data, and those of the surrogates stacked along axis 0.
    """
    if not isinstance(n_surrogates, int) or n_surrogates < 1:
        raise ValueError(f"n_surrogates = {n_surrogates!r}: must be an int >= 1")
    observed = statistic(times_2_ms)
    surrogates = np.array([statistic(interval_jitter(times_2_ms, jitter_ms, rng))
                           for _ in range(n_surrogates)])
    return observed, surrogates


def jitter_test(times_1_ms, times_2_ms, window_ms: float, jitter_ms: float,
                n_surrogates: int, rng: np.random.Generator) -> JitterTest:
    """Coincidence count of two trains against interval-jitter surrogates of train 2.

    A synchrony beyond chance at the jitter scale shows as a small p-value and a positive excess
    (Amarasingham et al. 2012); co-modulation slower than ``jitter_ms`` is kept in every
    surrogate and so does not count.
    """
    observed, counts = _against_jitter(
        lambda t2: coincidence_count(times_1_ms, t2, window_ms), times_2_ms, jitter_ms,
        n_surrogates, rng)
    mean = float(counts.mean())
    return JitterTest(
        observed,
        mean,
        float(counts.std(ddof=1)) if n_surrogates > 1 else 0.0,
        observed / mean - 1.0 if mean > 0 else math.nan,
        float((1 + np.sum(counts >= observed)) / (1 + n_surrogates)),
    )


class Locking(NamedTuple):
    """Firing-rate ratio of two neurons and the nearest simple p:q pattern."""

    rate_ratio: float  # rate of neuron 2 / rate of neuron 1
    p: int  # spikes of neuron 2 ...
    q: int  # ... per q spikes of neuron 1


def locking_ratio(times_1_ms, times_2_ms, max_denominator: int = 6) -> Locking:
    """Rate ratio from the mean inter-spike intervals, and the nearest p:q with q <= max.

    For two periodic neurons locked p:q, neuron 2 fires p spikes for every q of neuron 1 and the
    ratio of their mean intervals is exactly q/p; the p:q label is the closest fraction with a
    small denominator, so it is only meaningful together with a check that the ratio is close.
    NaN ratio (and 0:0) when either train has fewer than two spikes.
    """
    if not isinstance(max_denominator, int) or max_denominator < 1:
        raise ValueError(f"max_denominator = {max_denominator!r}: must be an int >= 1")
    isi_1 = np.diff(checks.sorted_times("times_1_ms", times_1_ms))
    isi_2 = np.diff(checks.sorted_times("times_2_ms", times_2_ms))
    if isi_1.size == 0 or isi_2.size == 0:
        return Locking(math.nan, 0, 0)
    ratio = float(isi_1.mean() / isi_2.mean())
    fraction = Fraction(ratio).limit_denominator(max_denominator)
    return Locking(ratio, fraction.numerator, fraction.denominator)


def synchrony_chi(v_mv) -> float:
    """Population synchrony index chi of Golomb & Rinzel (1993).

    chi^2 = Var_t(mean_i V_i) / mean_i Var_t(V_i) for traces ``v_mv`` of shape
    (neurons, samples): 1 for identical traces, about 1/sqrt(N) for N independent ones.
    """
    v = checks.finite_array("v_mv", v_mv)
    if v.ndim != 2 or v.shape[0] < 2 or v.shape[1] < 2:
        raise ValueError(f"v_mv has shape {v.shape}: must be (neurons >= 2, samples >= 2)")
    individual = v.var(axis=1).mean()
    if individual == 0:
        return math.nan
    return float(np.sqrt(v.mean(axis=0).var() / individual))


def population_rate_hz(spike_trains_ms, duration_ms: float, bin_ms: float) -> np.ndarray:
    """Population rate: spikes of all trains per bin, divided by neurons and bin width, Hz.

    Bins [k b, (k + 1) b) for k = 0 .. floor(T / b) - 1.
    """
    duration = checks.positive("duration_ms", duration_ms)
    width = checks.positive("bin_ms", bin_ms)
    trains = list(spike_trains_ms)
    if not trains:
        raise ValueError("spike_trains_ms: need at least one train")
    n_bins = int(duration // width)
    edges = np.arange(n_bins + 1) * width
    pooled = np.concatenate([np.asarray(t, dtype=float).ravel() for t in trains])
    counts = np.histogram(pooled, edges)[0]  # the same bins as one histogram per train, summed
    return counts / len(trains) / (width / 1000.0)


def stroboscopic_phases(times_1_ms, times_2_ms) -> np.ndarray:
    """Phase of neuron 2's cycle at each spike of neuron 1, in [0, 1).

    For a spike of neuron 1 at t between spikes of neuron 2 at a < t <= b, the phase is
    (t - a) / (b - a). Spikes of neuron 1 before the second or after the last spike of neuron 2
    have no phase and are left out. A p:q locked pair gives a sequence of phases that repeats
    every q spikes of neuron 1; an unlocked (quasi-periodic) pair gives phases that drift and
    never repeat (Pikovsky, Rosenblum & Kurths 2001, ch. 7).
    """
    t1 = checks.sorted_times("times_1_ms", times_1_ms)
    t2 = checks.sorted_times("times_2_ms", times_2_ms)
    if t2.size < 2:
        return np.empty(0)
    index = np.searchsorted(t2, t1, side="left")
    inside = (index >= 1) & (index < t2.size)
    a, b = t2[index[inside] - 1], t2[index[inside]]
    return (t1[inside] - a) / (b - a)


def locking_order(phases, max_order: int = 6, tolerance: float = 0.02) -> int:
    """Smallest q <= ``max_order`` such that the phase sequence repeats every q entries.

    Repeating means every circular difference |phi_{k+q} - phi_k| is below ``tolerance``;
    0 when no such q exists (not locked at low order) or there are too few phases (fewer than
    3 q). With the rate ratio, q gives the locking pattern p:q.
    """
    phi = checks.finite_array("phases", phases)
    if not isinstance(max_order, int) or max_order < 1:
        raise ValueError(f"max_order = {max_order!r}: must be an int >= 1")
    tol = checks.positive("tolerance", tolerance)
    for q in range(1, max_order + 1):
        if phi.size < 3 * q:
            return 0
        step = np.abs(phi[q:] - phi[:-q])
        if np.all(np.minimum(step, 1.0 - step) < tol):
            return q
    return 0


class Rhythm(NamedTuple):
    """The dominant period of a signal from its autocorrelation."""

    frequency_hz: float  # 1 / lag of the autocorrelation's first peak (NaN without a peak)
    strength: float  # autocorrelation at that lag: ~0 for noise, near 1 for a clean rhythm


def rhythm(x, bin_ms: float, min_hz: float = 5.0, max_hz: float = 200.0) -> Rhythm:
    """Frequency and strength of the dominant rhythm of a binned signal (e.g. a population rate).

    The autocorrelation of the centred signal (normalised to 1 at lag 0, not corrected for the
    shrinking overlap, so later periods weigh less) is searched for its highest value at lags
    after its first zero crossing and within [1/max_hz, 1/min_hz]. Unlike the largest spectral
    peak, this picks the fundamental period of a spiky rhythm rather than one of its harmonics.
    """
    values = checks.finite_array("x", x)
    width = checks.positive("bin_ms", bin_ms)
    low = checks.positive("min_hz", min_hz)
    high = checks.greater_than("max_hz", max_hz, "min_hz", low)
    centred = values - values.mean()
    if values.ndim != 1 or not np.any(centred):
        return Rhythm(math.nan, math.nan)
    spectrum = np.fft.rfft(centred, 2 * centred.size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[: centred.size]
    acf = acf / acf[0]
    first_lag = max(1, int(np.ceil(1000.0 / high / width)))
    last_lag = min(acf.size - 2, int(1000.0 / low / width))
    negative = np.flatnonzero(acf[1:] < 0)
    start = max(first_lag, int(negative[0]) + 1 if negative.size else acf.size)
    if start > last_lag:
        return Rhythm(math.nan, math.nan)
    lag = start + int(np.argmax(acf[start:last_lag + 1]))
    return Rhythm(1000.0 / (lag * width), float(acf[lag]))


def cross_correlogram(times_1_ms, times_2_ms, edges_ms) -> np.ndarray:
    """Counts of spike pairs by lag t2 - t1, in the bins (edges[k], edges[k + 1]].

    Every pair of a spike of train 1 and a spike of train 2 counts once, in the bin of its lag
    (Perkel, Gerstein & Moore 1967). Positive lags: train 2 fires after train 1.

    Parameters
    ----------
    times_1_ms, times_2_ms : array_like
        Sorted spike times, ms.
    edges_ms : array_like, (K + 1,)
        Strictly increasing bin edges, ms.

    Returns
    -------
    numpy.ndarray of int, (K,)
    """
    t1 = checks.sorted_times("times_1_ms", times_1_ms)
    t2 = checks.sorted_times("times_2_ms", times_2_ms)
    edges = checks.finite_array("edges_ms", edges_ms)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"edges_ms = {checks.show(edges_ms)}: need >= 2 strictly increasing "
                         "edges")
    # pairs with lag <= e, for each edge e
    at_most = np.searchsorted(t2, t1[None, :] + edges[:, None], side="right").sum(axis=1)
    return np.diff(at_most)


class JitterCorrelogram(NamedTuple):
    """A cross-correlogram and its interval-jitter surrogates."""

    edges_ms: np.ndarray  # (K + 1,) bin edges; bins are (edges[k], edges[k + 1]]
    observed: np.ndarray  # (K,) pair counts of the data
    surrogates: np.ndarray  # (n_surrogates, K) pair counts with train 2 jittered


def jitter_correlogram(times_1_ms, times_2_ms, edges_ms, jitter_ms: float, n_surrogates: int,
                       rng: np.random.Generator) -> JitterCorrelogram:
    """Cross-correlogram of two trains against interval-jitter surrogates of train 2.

    Each surrogate redraws every spike of train 2 uniformly within its own ``jitter_ms`` window
    (:func:`interval_jitter`), which keeps train 2's rate and its modulations slower than the
    jitter window and destroys finer timing (Amarasingham et al. 2012). The observed counts
    divided by the surrogates' mean is the jitter-normalised correlogram: 1 where the timing
    is what the slower structure predicts, above 1 where pairs at that lag are in excess.

    Raises
    ------
    ValueError
        For unsorted times, bad edges, ``jitter_ms`` <= 0, ``n_surrogates`` < 1 or an ``rng``
        that is not a numpy Generator.
    """
    observed, surrogates = _against_jitter(
        lambda t2: cross_correlogram(times_1_ms, t2, edges_ms), times_2_ms, jitter_ms,
        n_surrogates, rng)
    return JitterCorrelogram(np.asarray(edges_ms, dtype=float), observed, surrogates)


class WindowTest(NamedTuple):
    """Pairs in a window of lags against their jitter surrogates."""

    observed: int
    surrogate_mean: float
    ratio: float  # observed / surrogate mean: the jitter-normalised count (NaN when the mean is 0)
    p_above: float  # (1 + #surrogates >= observed) / (1 + n): small for an excess
    p_below: float  # (1 + #surrogates <= observed) / (1 + n): small for a deficit


def window_test(correlogram: JitterCorrelogram, lag_min_ms: float,
                lag_max_ms: float) -> WindowTest:
    """Pairs with lag in (lag_min_ms, lag_max_ms] against their jitter surrogates.

    The window must be a union of the correlogram's bins (its ends must be bin edges). With
    the window (0, w], this counts neuron-2 spikes that follow a neuron-1 spike by at most w -
    the *causal* window of a synapse 1 -> 2; (-w, 0] is the anti-causal one, and (-w, w] the
    symmetric window of a coincidence count. The one-sided p-values are those of a Monte Carlo
    test (Davison & Hinkley 1997, ch. 4; Amarasingham et al. 2012), never 0.
    """
    edges = correlogram.edges_ms
    low, high = checks.finite("lag_min_ms", lag_min_ms), checks.finite("lag_max_ms", lag_max_ms)
    tolerance = 1e-9 * max(1.0, float(np.max(np.abs(edges))))
    ends = [np.flatnonzero(np.abs(edges - end) <= tolerance) for end in (low, high)]
    if not (ends[0].size and ends[1].size) or ends[1][0] <= ends[0][0]:
        raise ValueError(f"lag_min_ms = {low:g}, lag_max_ms = {high:g}: must be bin edges of the "
                         f"correlogram, lag_min_ms < lag_max_ms (edges from {edges[0]:g} to "
                         f"{edges[-1]:g} ms)")
    bins = slice(int(ends[0][0]), int(ends[1][0]))
    observed = int(correlogram.observed[bins].sum())
    counts = correlogram.surrogates[:, bins].sum(axis=1)
    mean = float(counts.mean())
    n = counts.size
    return WindowTest(
        observed,
        mean,
        observed / mean if mean > 0 else math.nan,
        float((1 + np.sum(counts >= observed)) / (1 + n)),
        float((1 + np.sum(counts <= observed)) / (1 + n)),
    )


def circular_shift(spike_trains_ms, duration_ms: float, rng: np.random.Generator) -> list:
    """Each train shifted in time by its own uniform random amount, wrapped around [0, T).

    A spike at T wraps to 0.

    A surrogate for a population: every neuron keeps its own intervals (and so its own
    rhythmicity), while the alignment between neurons is destroyed (e.g. Grün 2009). A rhythm of
    the population rate that survives in these surrogates is the neurons' own; one that does
    not is made by their alignment.
    """
    duration = checks.positive("duration_ms", duration_ms)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator")
    trains = [checks.sorted_times("spike_trains_ms", t) for t in spike_trains_ms]
    if any(t.size and (t[0] < 0 or t[-1] > duration) for t in trains):
        raise ValueError(f"spike_trains_ms: spikes must lie within [0, duration_ms = {duration:g}]")
    shifts = rng.random(len(trains)) * duration
    return [np.sort((t + shift) % duration) for t, shift in zip(trains, shifts, strict=True)]


class RhythmTest(NamedTuple):
    """A population rhythm against circularly shifted surrogates of the same trains."""

    rhythm: Rhythm  # of the data (circular autocorrelation of the high-passed rate)
    surrogate_strengths: np.ndarray  # autocorrelation peak of each surrogate (NaN: no peak)
    p_value: float  # (1 + #surrogates with a peak >= the data's) / (1 + n); NaN without a peak


def band_rhythm(x, bin_ms: float, min_hz: float, max_hz: float) -> Rhythm:
    """The rhythm of a binned signal taken as one period of a circle, within a frequency band.

    The signal is high-passed by subtracting its moving average over 1 / ``min_hz`` (a
    circular box filter), which removes co-modulation slower than the band; its circular
    autocorrelation (normalised to 1 at lag 0) is then searched for the highest *local* maximum
    at lags L after its first zero crossing and within [1/max_hz, 1/min_hz] that is positive
    and has a negative autocorrelation at L/2 (the trough half a period away that a rhythm
    has). A maximum at the edge of the lag range (an autocorrelation still rising or falling
    there) is no peak, so a slow co-modulation does not pass for a rhythm of the band. Being
    circular, the autocorrelation of one binned train is unchanged when the train is rotated by
    whole bins, which makes it the statistic of :func:`rhythm_test`.
    """
    values = checks.finite_array("x", x)
    width = checks.positive("bin_ms", bin_ms)
    low = checks.positive("min_hz", min_hz)
    high = checks.greater_than("max_hz", max_hz, "min_hz", low)
    if values.ndim != 1 or values.size < 4:
        return Rhythm(math.nan, math.nan)
    box = min(values.size, max(1, int(round(1000.0 / low / width))))
    smooth = ndimage.uniform_filter1d(values, box, mode="wrap")
    centred = values - smooth
    centred = centred - centred.mean()
    if not np.any(np.abs(centred) > 1e-12 * max(1.0, float(np.abs(values).max()))):
        return Rhythm(math.nan, math.nan)
    spectrum = np.fft.rfft(centred)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), centred.size)
    acf = acf / acf[0]
    first_lag = max(1, int(np.ceil(1000.0 / high / width)))
    last_lag = min(centred.size // 2 - 1, int(1000.0 / low / width))
    negative = np.flatnonzero(acf[1:] < 0)
    start = max(first_lag, int(negative[0]) + 1 if negative.size else acf.size)
    lags = np.arange(start, last_lag + 1)
    if lags.size == 0:
        return Rhythm(math.nan, math.nan)
    # a peak of a rhythm: a local maximum above 0, with the trough of the half period below 0
    peaks = lags[(acf[lags] > acf[lags - 1]) & (acf[lags] >= acf[lags + 1]) & (acf[lags] > 0)
                 & (acf[(lags + 1) // 2] < 0)]
    if peaks.size == 0:
        return Rhythm(math.nan, math.nan)
    lag = int(peaks[np.argmax(acf[peaks])])
    return Rhythm(1000.0 / (lag * width), float(acf[lag]))


def rhythm_test(spike_trains_ms, duration_ms: float, bin_ms: float, n_surrogates: int,
                rng: np.random.Generator, min_hz: float = 5.0,
                max_hz: float = 200.0) -> RhythmTest:
    """Whether the population rate has a rhythm in [min_hz, max_hz] made by the neurons' alignment.

    The population rate in bins of ``bin_ms`` over the whole bins of [0, T) is taken as one
    period of a circle, and its rhythm in the band is measured by :func:`band_rhythm`. Each of
    ``n_surrogates`` surrogates rotates every train by its own random whole number of bins
    around that circle (a circular shift, e.g. Grun 2009). A rotation leaves each train's own
    binned autocorrelation exactly unchanged - its regularity, its own periodicity, its rate -
    and randomises only the alignment between trains; so the p-value is small when the
    neurons are aligned at the band's rhythm more than at random relative phases.
    A surrogate without a peak in the band counts as weaker than the data.

    What it cannot tell: it tests alignment, not where the alignment comes from. Identical
    uncoupled oscillators without noise keep forever the phases their initial conditions gave
    them, and pass if those phases are bunched; and co-modulation slower than ``min_hz`` is
    removed, so a slow rhythm needs a band that contains it.
    """
    if not isinstance(n_surrogates, int) or n_surrogates < 1:
        raise ValueError(f"n_surrogates = {n_surrogates!r}: must be an int >= 1")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator")
    duration = checks.positive("duration_ms", duration_ms)
    width = checks.positive("bin_ms", bin_ms)
    trains = [checks.sorted_times("spike_trains_ms", t) for t in spike_trains_ms]
    if not trains:
        raise ValueError("spike_trains_ms: need at least one train")
    if any(t.size and (t[0] < 0 or t[-1] > duration) for t in trains):
        raise ValueError(f"spike_trains_ms: spikes must lie within [0, duration_ms = {duration:g}]")
    n_bins = int(duration // width)
    if n_bins < 4:
        raise ValueError(f"duration_ms = {duration:g}, bin_ms = {width:g}: need at least 4 bins")
    # each train's spikes as bin indices on the circle of n_bins bins
    bins = [np.floor(t[t < n_bins * width] / width).astype(np.int64) for t in trains]
    sizes = np.array([b.size for b in bins])
    flat = np.concatenate(bins) if bins else np.empty(0, dtype=np.int64)
    scale = 1.0 / len(trains) / (width / 1000.0)

    def rate(shifts):
        return np.bincount((flat + np.repeat(shifts, sizes)) % n_bins,
                           minlength=n_bins) * scale

    observed = band_rhythm(rate(np.zeros(len(trains), dtype=np.int64)), width, min_hz, max_hz)
    strengths = np.array([
        band_rhythm(rate(rng.integers(0, n_bins, len(trains))), width, min_hz, max_hz).strength
        for _ in range(n_surrogates)])
    if not np.isfinite(observed.strength):
        return RhythmTest(observed, strengths, math.nan)
    stronger = np.sum(np.nan_to_num(strengths, nan=-np.inf) >= observed.strength)
    return RhythmTest(observed, strengths, float((1 + stronger) / (1 + n_surrogates)))


def permutation_p_greater(values, control, rng: np.random.Generator | None = None,
                          max_splits: int = 20_000) -> float:
    """One-sided p-value that ``values`` have a larger mean than ``control`` (permutation test).

    The pooled samples are split into groups of the two sizes in every possible way, and the
    p-value is the fraction of splits whose difference of means is at least the observed one
    (Fisher's permutation test; Good 2005, ch. 3): exact, and never below 1 / C(n + m, n). With
    more than ``max_splits`` splits, ``max_splits`` random ones are drawn from ``rng`` instead
    and p = (1 + #at least as large) / (1 + max_splits). NaN samples are dropped; NaN if a group
    is empty.

    Raises
    ------
    ValueError
        If random splits are needed and ``rng`` is not a numpy Generator.
    """
    a = np.asarray(values, dtype=float)
    b = np.asarray(control, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return math.nan
    pooled = np.concatenate([a, b])
    observed = a.mean() - b.mean()
    tolerance = 1e-12 * max(1.0, abs(observed))
    if math.comb(pooled.size, a.size) <= max_splits:
        sums = np.array([pooled[list(c)].sum() for c in combinations(range(pooled.size), a.size)])
        differences = sums / a.size - (pooled.sum() - sums) / b.size
        return float(np.mean(differences >= observed - tolerance))
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator when the samples have "
                         f"more than max_splits = {max_splits:,} splits")
    shuffled = np.array([rng.permutation(pooled) for _ in range(max_splits)])
    differences = shuffled[:, :a.size].mean(axis=1) - shuffled[:, a.size:].mean(axis=1)
    return float((1 + np.sum(differences >= observed - tolerance)) / (1 + max_splits))


class Participation(NamedTuple):
    """How single neurons take part in a population rhythm, cycle by cycle."""

    fraction: float  # mean over neurons of the fraction of cycles with at least one spike
    fraction_low: float  # 10th percentile of the neurons' fractions
    fraction_high: float  # 90th percentile of the neurons' fractions
    vector_strength: float  # length of the mean phase vector of all spikes (0: no locking)
    n_cycles: int  # complete cycles of the rhythm found in the rate


def cycle_participation(spike_trains_ms, rate, bin_ms: float, rhythm_hz: float,
                        half_width: float = 0.3) -> Participation:
    """The fraction of a rhythm's cycles on which each neuron fires, and its phase locking.

    The population rate (bins of ``bin_ms`` from time 0) is band-passed around the rhythm,
    between (1 - ``half_width``) and (1 + ``half_width``) times ``rhythm_hz`` (a second-order
    Butterworth filter run forwards and backwards, so without phase lag), and its instantaneous
    phase is taken from the analytic signal (Hilbert transform; e.g. Pikovsky et al. 2001,
    sec. 6.1.2): phase 0 at the peaks of the rate, one cycle from one trough (phase ±pi) to
    the next. A neuron's participation is the fraction of the complete cycles that contain at
    least one of its spikes; the vector strength is the length of the mean of exp(i phase) over
    all spikes in those cycles (Goldberg & Brown 1969): 1 when every spike falls at the same
    phase, near 0 without locking. It measures participation directly, instead of reading it off
    the ratio of the mean rate to the rhythm's frequency (a neuron may fire twice on one cycle
    and skip the next). NaN (and 0 cycles) when the rhythm's frequency is not finite or the rate
    holds no complete cycle.
    """
    width = checks.positive("bin_ms", bin_ms)
    trains = [checks.sorted_times("spike_trains_ms", t) for t in spike_trains_ms]
    values = checks.finite_array("rate", rate)
    nothing = Participation(math.nan, math.nan, math.nan, math.nan, 0)
    if not trains or values.ndim != 1 or not np.isfinite(rhythm_hz) or rhythm_hz <= 0:
        return nothing
    half = checks.positive("half_width", half_width)
    if half >= 1:
        raise ValueError(f"half_width = {half_width!r}: must be in (0, 1)")
    nyquist_hz = 500.0 / width
    low, high = (1 - half) * rhythm_hz, min((1 + half) * rhythm_hz, 0.95 * nyquist_hz)
    if not low < high:
        return nothing
    sos = signal.butter(2, [low, high], btype="bandpass", fs=2 * nyquist_hz, output="sos")
    try:
        filtered = signal.sosfiltfilt(sos, values - values.mean())
    except ValueError:  # shorter than the filter's padding
        return nothing
    phase = np.angle(signal.hilbert(filtered))
    # a new cycle starts where the phase wraps from +pi to -pi (a trough of the filtered rate)
    starts = np.flatnonzero(np.diff(phase) < -np.pi) + 1
    if starts.size < 2:
        return nothing
    edges_ms = starts * width
    fractions, phases = [], []
    for times in trains:
        inside = times[(times >= edges_ms[0]) & (times < edges_ms[-1])]
        cycle = np.searchsorted(edges_ms, inside, side="right") - 1
        fractions.append(np.unique(cycle).size / (starts.size - 1))
        phases.append(phase[np.minimum((inside / width).astype(np.int64), phase.size - 1)])
    fractions = np.array(fractions)
    all_phases = np.concatenate(phases)
    strength = float(np.abs(np.mean(np.exp(1j * all_phases)))) if all_phases.size else math.nan
    return Participation(float(fractions.mean()), float(np.percentile(fractions, 10)),
                         float(np.percentile(fractions, 90)), strength, int(starts.size - 1))


class MeanDifference(NamedTuple):
    """Difference of two means with its confidence interval."""

    difference: float  # mean(values) - mean(control)
    low: float
    high: float


def mean_difference_ci(values, control, level: float = 0.95) -> MeanDifference:
    """Difference of the means of two independent samples with a Welch confidence interval.

    The interval is difference ± t * sqrt(s_a^2 / n_a + s_b^2 / n_b), with t the Student-t
    quantile at the Welch-Satterthwaite degrees of freedom (Welch 1947), so the two samples may
    have different sizes and variances. NaN samples are dropped; NaN when a sample has fewer
    than two values left; a zero-width interval when both samples are constant.
    """
    level = checks.in_closed_range("level", level, 0.0, 1.0)
    a = np.asarray(values, dtype=float)
    b = np.asarray(control, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return MeanDifference(math.nan, math.nan, math.nan)
    difference = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    if va + vb == 0:
        return MeanDifference(difference, difference, difference)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, dof) * math.sqrt(va + vb))
    return MeanDifference(difference, difference - half, difference + half)
