"""Spike-train metrics: pure functions of spike times (ms), as defined in the spec's conventions."""

from __future__ import annotations

import math

import numpy as np

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
