"""Spike-train metrics: pure functions of spike times (ms), as defined in the spec's conventions."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats
from scipy.optimize import brentq

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


def fit_exponential_approach(t_ms, y, final=None) -> ExponentialFit:
    """Least-squares fit of an exponential approach to a final value.

    The model is y(t) = final + (initial - final) exp(-(t - t_0) / tau_ms), t_0 the first
    sample. It is linear in ``initial`` and ``final`` for a given ``tau_ms``, so the fit is done
    by variable projection (Golub & Pereyra 1973): those two come from a linear least-squares
    solve, and ``tau_ms`` is the root of the derivative of the residual sum of squares (by the
    envelope theorem, -2 r . (c dE/dtau)), found with ``scipy.optimize.brentq``. Solving the
    stationarity condition pins ``tau_ms`` down to near machine precision, where a minimiser
    that watches the cost stops within about the square root of it, so the result is the same on
    every machine.

    Parameters
    ----------
    t_ms : array_like, (n,)
        Increasing sample times, ms; at least four.
    y : array_like, (n,)
        Values, e.g. an instantaneous rate.
    final : float or None
        The final value, held fixed if given (then only ``tau_ms`` and ``initial`` are fitted).

    Returns
    -------
    ExponentialFit
        Time constant, initial and final values, and the root-mean-square residual.

    Raises
    ------
    ValueError
        With fewer than four samples, or if the residual has no interior minimum in tau
        (no exponential approach in the data).
    """
    t = checks.sorted_times("t_ms", t_ms)
    values = checks.finite_array("y", y)
    if t.size < 4 or values.shape != t.shape:
        raise ValueError(f"t_ms and y: need two 1-D arrays of one length >= 4, got {t.size}")
    if np.ptp(values) == 0:
        raise ValueError("fit_exponential_approach: the fit did not converge (no interior "
                         "minimum in tau_ms: constant data approach nothing)")
    fixed = None if final is None else checks.finite("final", final)
    elapsed = t - t[0]
    target = values if fixed is None else values - fixed

    def solve(tau):
        decay = np.exp(-elapsed / tau)
        basis = np.column_stack([decay] if fixed is not None else [decay, 1.0 - decay])
        coefficients = np.linalg.lstsq(basis, target, rcond=None)[0]
        return decay, coefficients, target - basis @ coefficients

    def slope(tau):
        decay, coefficients, residual = solve(tau)
        amplitude = coefficients[0] - (0.0 if fixed is not None else coefficients[1])
        return -2.0 * float(residual @ (amplitude * decay * elapsed / tau**2))

    span = max(elapsed[-1], 1e-9)
    taus = span * np.logspace(-3, 3, 121)
    costs = [float(np.sum(solve(tau)[2] ** 2)) for tau in taus]
    best = int(np.argmin(costs))
    if best in (0, taus.size - 1):
        raise ValueError("fit_exponential_approach: the fit did not converge "
                         "(no interior minimum in tau_ms: the data do not approach a value)")
    try:
        tau = brentq(slope, taus[best - 1], taus[best + 1], xtol=1e-14 * taus[best])
    except ValueError:  # a flat residual (e.g. constant data): no stationary point to find
        raise ValueError("fit_exponential_approach: the fit did not converge (no interior "
                         "minimum in tau_ms: the data do not approach a value)") from None
    decay, coefficients, residual = solve(tau)
    if fixed is None:
        initial, final_value = coefficients[0], coefficients[1]
    else:
        initial, final_value = coefficients[0] + fixed, fixed
    rms = float(np.sqrt(np.mean(residual**2)))
    return ExponentialFit(float(tau), float(initial), float(final_value), rms)


def local_time_constants_ms(t_ms, y, final: float, floor: float) -> np.ndarray:
    """Local time constant of an approach to ``final`` between consecutive samples, ms.

    For an exponential approach y(t) = final + c e^{-t/tau} the ratio of consecutive
    deviations d_k = y_k - final gives tau = -(t_{k+1} - t_k) / ln(d_{k+1} / d_k) at every
    k, so a local value that changes along the data shows that the approach is not
    exponential. Pairs whose deviations do not both exceed ``floor`` in magnitude, change sign
    or do not shrink are NaN (there the ratio measures noise or rounding, not an approach).

    Parameters
    ----------
    t_ms : array_like, (n,)
        Increasing sample times, ms.
    y : array_like, (n,)
        Values.
    final : float
        The value approached.
    floor : float
        Smallest deviation |y - final| that counts (> 0), in the unit of y.

    Returns
    -------
    numpy.ndarray, (n - 1,)
        The local time constant between samples k and k + 1, ms (NaN where undefined).
    """
    t = checks.sorted_times("t_ms", t_ms)
    values = checks.finite_array("y", y)
    if values.shape != t.shape:
        raise ValueError(f"t_ms and y: need two 1-D arrays of one length, got {t.shape} and "
                         f"{values.shape}")
    final = checks.finite("final", final)
    floor = checks.positive("floor", floor)
    d = values - final
    first, second = d[:-1], d[1:]
    ok = ((np.abs(first) > floor) & (np.abs(second) > floor) & (first * second > 0)
          & (np.abs(second) < np.abs(first)))
    out = np.full(first.size, np.nan)
    out[ok] = -np.diff(t)[ok] / np.log(second[ok] / first[ok])
    return out


class LinearFit(NamedTuple):
    """y = slope x + intercept, with the fraction of the variance of y it explains."""

    slope: float
    intercept: float
    r_squared: float


def linear_fit(x, y) -> LinearFit:
    """Least-squares straight line through (x, y), e.g. the gain of an f-I curve in Hz/nA.

    Parameters
    ----------
    x, y : array_like, (n,)
        At least two points with distinct x.

    Returns
    -------
    LinearFit
        Slope and intercept; R^2 = 1 - SS_res / SS_tot (NaN for constant y, or with only two
        points, which any line fits exactly). All NaN with fewer than two points or constant x.
    """
    xs, ys = checks.finite_array("x", x), checks.finite_array("y", y)
    if xs.ndim != 1 or xs.shape != ys.shape:
        raise ValueError(f"x {xs.shape} and y {ys.shape}: must be 1-D of one length")
    if xs.size < 2 or np.ptp(xs) == 0:
        return LinearFit(math.nan, math.nan, math.nan)
    xc, yc = xs - xs.mean(), ys - ys.mean()
    slope = float(xc @ yc / (xc @ xc))
    intercept = float(ys.mean() - slope * xs.mean())
    total = float(yc @ yc)
    if xs.size < 3 or total == 0:
        return LinearFit(slope, intercept, math.nan)
    residual = ys - (slope * xs + intercept)
    return LinearFit(slope, intercept, float(1.0 - residual @ residual / total))


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
