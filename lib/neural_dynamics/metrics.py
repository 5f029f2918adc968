"""Spike-train metrics: pure functions of spike times (ms), as defined in the spec's conventions."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats
from scipy.optimize import curve_fit

from . import checks


def spike_count(spike_times_ms) -> int:
    """Number of spikes in a train.

    Parameters
    ----------
    spike_times_ms : array_like, (n,)
        Sorted spike times, ms.

    Returns
    -------
    int
    """
    return int(checks.sorted_times("spike_times_ms", spike_times_ms).size)


def first_spike_latency_ms(spike_times_ms) -> float:
    """Time of the first spike, ms; NaN for a train without spikes."""
    times = checks.sorted_times("spike_times_ms", spike_times_ms)
    return float(times[0]) if times.size else math.nan


def interspike_intervals_ms(spike_times_ms) -> np.ndarray:
    """Intervals between consecutive spikes, ms (empty with fewer than two spikes)."""
    return np.diff(checks.sorted_times("spike_times_ms", spike_times_ms))


def mean_rate_hz(spike_times_ms, duration_ms: float, transient_ms: float = 0.0) -> float:
    """Mean firing rate after a transient.

    Parameters
    ----------
    spike_times_ms : array_like, (n,)
        Sorted spike times, ms.
    duration_ms : float
        Simulated duration T, ms (> transient_ms).
    transient_ms : float
        Start of the counting window, ms (>= 0).

    Returns
    -------
    float
        Number of spikes at t >= transient divided by (T - transient) / 1000, Hz.

    Raises
    ------
    ValueError
        If the window is empty or a value is not finite.
    """
    times = checks.sorted_times("spike_times_ms", spike_times_ms)
    checks.non_negative("transient_ms", transient_ms)
    checks.greater_than("duration_ms", duration_ms, "transient_ms", transient_ms)
    count = np.count_nonzero(times >= transient_ms)
    return float(count / ((duration_ms - transient_ms) / 1000.0))


def steady_rate_hz(spike_times_ms, n_last: int = 3) -> float:
    """Rate from the last inter-spike intervals: 1000 / mean of the last ``n_last`` ISIs, Hz.

    All intervals are used if there are fewer than ``n_last``; 0 with fewer than two spikes
    (spec "Conventions").
    """
    if not isinstance(n_last, int) or n_last < 1:
        raise ValueError(f"n_last = {n_last!r}: must be an int >= 1")
    isis = interspike_intervals_ms(spike_times_ms)
    if isis.size == 0:
        return 0.0
    return float(1000.0 / np.mean(isis[-n_last:]))


def initial_rate_hz(spike_times_ms) -> float:
    """Rate from the first inter-spike interval, 1000 / ISI_1, Hz; 0 with fewer than two spikes."""
    isis = interspike_intervals_ms(spike_times_ms)
    return float(1000.0 / isis[0]) if isis.size else 0.0


class InstantaneousRate(NamedTuple):
    """Instantaneous rate 1000 / ISI, Hz, at the time of the spike that ends each interval."""

    times_ms: np.ndarray
    rates_hz: np.ndarray


def instantaneous_rate_hz(spike_times_ms) -> InstantaneousRate:
    """Instantaneous firing rate: 1000 / ISI_i at the time of spike i + 1 (Dayan & Abbott 2001)."""
    times = checks.sorted_times("spike_times_ms", spike_times_ms)
    isis = np.diff(times)
    if np.any(isis <= 0):
        raise ValueError("spike_times_ms: two spikes at the same time have no finite rate")
    return InstantaneousRate(times[1:], 1000.0 / isis)


class ExponentialFit(NamedTuple):
    """y(t) = final + (initial - final) exp(-(t - t_0) / tau_ms), with t_0 the first sample."""

    tau_ms: float
    initial: float
    final: float
    rms_residual: float


def fit_exponential_approach(t_ms, y) -> ExponentialFit:
    """Least-squares fit of an exponential approach to a final value (scipy ``curve_fit``).

    Parameters
    ----------
    t_ms : array_like, (n,)
        Increasing sample times, ms; at least four.
    y : array_like, (n,)
        Values, e.g. an instantaneous rate.

    Returns
    -------
    ExponentialFit
        Time constant, initial and final values, and the root-mean-square residual.

    Raises
    ------
    ValueError
        With fewer than four samples, or if the fit does not converge.
    """
    t = checks.sorted_times("t_ms", t_ms)
    values = checks.finite_array("y", y)
    if t.size < 4 or values.shape != t.shape:
        raise ValueError(f"t_ms and y: need two 1-D arrays of one length >= 4, got {t.size}")
    t0 = t[0]

    def model(x, tau, initial, final):
        return final + (initial - final) * np.exp(-(x - t0) / tau)

    span = max(t[-1] - t0, 1e-9)
    try:
        (tau, initial, final), _ = curve_fit(
            model, t, values, p0=(span / 3, values[0], values[-1]),
            bounds=([1e-9, -np.inf, -np.inf], [np.inf, np.inf, np.inf]),
            xtol=1e-15, ftol=1e-15, gtol=1e-15,  # converged far beyond the stored digits
        )
    except RuntimeError as error:
        raise ValueError(f"fit_exponential_approach: the fit did not converge ({error})") from None
    residual = float(np.sqrt(np.mean((model(t, tau, initial, final) - values) ** 2)))
    return ExponentialFit(float(tau), float(initial), float(final), residual)


def adaptation_index(spike_times_ms) -> float:
    """Relative lengthening of the inter-spike interval: (ISI_last - ISI_first) / ISI_first.

    NaN with fewer than two intervals. Positive for a train that slows down (spec
    "Conventions"; a simple form of the index of Ermentrout et al. 2001 / Allen Cell Types).
    """
    isis = interspike_intervals_ms(spike_times_ms)
    if isis.size < 2:
        return math.nan
    return float((isis[-1] - isis[0]) / isis[0])


def grid_rheobase_na(currents_na, rates_hz) -> float:
    """Smallest current of a grid whose rate is > 0, nA; NaN if none fires.

    Parameters
    ----------
    currents_na : array_like, (n,)
        Increasing currents of the grid, nA.
    rates_hz : array_like, (n,)
        Rate at each current, Hz.
    """
    currents = checks.finite_array("currents_na", currents_na)
    rates = checks.finite_array("rates_hz", rates_hz)
    if currents.ndim != 1 or currents.shape != rates.shape:
        raise ValueError(
            f"currents_na {currents.shape} and rates_hz {rates.shape}: must be 1-D of one length"
        )
    if currents.size > 1 and np.any(np.diff(currents) <= 0):
        raise ValueError("currents_na: must be strictly increasing")
    firing = np.flatnonzero(rates > 0)
    return float(currents[firing[0]]) if firing.size else math.nan


class MeanCI(NamedTuple):
    """A mean and its two-sided confidence interval."""

    mean: float
    low: float
    high: float


def mean_confidence_interval(values, level: float = 0.95) -> MeanCI:
    """Mean of independent samples (e.g. across seeds) with a Student-t confidence interval.

    NaN samples are dropped; with fewer than two left the interval is (mean, mean) or NaN.
    """
    level = checks.in_closed_range("level", level, 0.0, 1.0)
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return MeanCI(math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if x.size < 2:
        return MeanCI(mean, mean, mean)
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return MeanCI(mean, mean - float(half), mean + float(half))
