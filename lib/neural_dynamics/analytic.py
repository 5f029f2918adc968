"""Closed forms of the integrate-and-fire neuron without gates (continuous time).

The neuron has no refractory period and its only nonlinearity is the threshold, so between
spikes V relaxes exponentially towards V_inf = E_L + R I and the first crossing of the threshold
can be written down (Lapicque 1907; Tuckwell 1988; Gerstner et al. 2014, sec. 1.3). With a
dynamic threshold the crossing is the root of a transcendental equation, found numerically.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq

from . import checks
from .params import Neuron


def rheobase_na(neuron: Neuron) -> float:
    """Smallest constant current that ever makes the neuron fire, nA.

    The membrane approaches V_inf = E_L + R I, so it reaches the baseline threshold only if
    R I > theta_0 - E_L: the rheobase is (theta_0 - E_L) / R. A current equal to it approaches the
    threshold without reaching it in finite time.
    """
    return (neuron.theta_0_mv - neuron.e_leak_mv) / neuron.r_mohm


def first_spike_latency_ms(neuron: Neuron, current_na: float) -> float:
    """Continuous-time time to the first spike under a constant current, ms (inf below rheobase).

    V(t) = V_inf + (V_0 - V_inf) exp(-t/tau_m) reaches theta_0 at
    t = tau_m ln((V_inf - V_0) / (V_inf - theta_0)), V_inf = E_L + R I.
    """
    current = checks.finite("current_na", current_na)
    v_inf = neuron.e_leak_mv + neuron.r_mohm * current
    if neuron.initial_v_mv >= neuron.theta_0_mv:
        return 0.0
    if v_inf <= neuron.theta_0_mv:
        return math.inf
    return neuron.tau_m_ms * math.log((v_inf - neuron.initial_v_mv) / (v_inf - neuron.theta_0_mv))


def finite_duration_rheobase_na(neuron: Neuron, duration_ms: float) -> float:
    """Smallest constant current whose first spike comes within ``duration_ms``, nA.

    Solving V(T) = theta_0 for I: V_inf = (theta_0 - V_0 e^{-T/tau_m}) / (1 - e^{-T/tau_m}),
    I = (V_inf - E_L) / R. It exceeds the rheobase by a factor 1 / (1 - e^{-T/tau_m}) when
    V_0 = E_L.
    """
    duration = checks.positive("duration_ms", duration_ms)
    decay = math.exp(-duration / neuron.tau_m_ms)
    v_inf = (neuron.theta_0_mv - neuron.initial_v_mv * decay) / (1.0 - decay)
    return (v_inf - neuron.e_leak_mv) / neuron.r_mohm


def interspike_interval_ms(
    neuron: Neuron, current_na: float, g_tonic_us: float = 0.0, e_tonic_mv: float = 0.0
) -> float:
    """Continuous-time inter-spike interval under a constant current, ms (inf if it never fires).

    After a spike V = E_L and theta = theta_spike, so every interval is the same: the first
    time t at which V(t) = V_inf + (E_L - V_inf) e^{-t/tau} meets
    theta(t) = theta_0 + (theta_spike - theta_0) e^{-t/tau_theta}. V rises and theta falls, so
    the crossing is unique. For a fixed threshold it is tau ln((V_inf - E_L) / (V_inf - V_th)),
    which without a tonic conductance is tau_m ln(R I / (R I - (V_th - E_L))); for a dynamic
    threshold it is found with Brent's method.

    Parameters
    ----------
    neuron : Neuron
    current_na : float
        Constant current, nA.
    g_tonic_us, e_tonic_mv : float
        An optional constant extra conductance (uS, >= 0) with its reversal potential (mV):
        then V_inf = (g_L E_L + g E + I) / (g_L + g) and tau = C / (g_L + g), the reset staying
        at E_L. Used by the mean-adaptation model (``adaptation``).
    """
    current = checks.finite("current_na", current_na)
    g_tonic = checks.non_negative("g_tonic_us", g_tonic_us)
    e_tonic = checks.finite("e_tonic_mv", e_tonic_mv)
    g_total = neuron.g_leak_us + g_tonic
    v_inf = (neuron.g_leak_us * neuron.e_leak_mv + g_tonic * e_tonic + current) / g_total
    tau = neuron.c_nf / g_total
    if v_inf <= neuron.theta_0_mv:
        return math.inf
    if neuron.is_fixed_threshold:
        return tau * math.log((v_inf - neuron.e_leak_mv) / (v_inf - neuron.theta_0_mv))

    def v_minus_theta(t):
        v = v_inf + (neuron.e_leak_mv - v_inf) * math.exp(-t / tau)
        theta = neuron.theta_0_mv + (neuron.theta_spike_mv - neuron.theta_0_mv) * math.exp(
            -t / neuron.tau_theta_ms
        )
        return v - theta

    upper = tau
    while v_minus_theta(upper) < 0:
        upper *= 2.0
    return brentq(v_minus_theta, 0.0, upper, xtol=1e-12, rtol=1e-14)


def rate_hz(neuron: Neuron, currents_na) -> np.ndarray:
    """Continuous-time f-I curve 1000 / ISI(I), Hz (0 at and below the rheobase).

    For a fixed threshold this is f(I) = 1000 / (tau_m ln(R I / (R I - (V_th - E_L)))).
    """
    currents = checks.finite_array("currents_na", currents_na)
    return np.vectorize(lambda i: 1000.0 / interspike_interval_ms(neuron, i), otypes=[float])(
        currents
    )


def equal_rate_current_na(neuron_a: Neuron, neuron_b: Neuron, low_na: float, high_na: float):
    """Current at which two neurons' continuous-time rates are equal, nA (NaN if none in range).

    Solves ISI_a(I) = ISI_b(I) with Brent's method on [low_na, high_na], both ends above both
    rheobases; returns NaN when the difference does not change sign on that interval.
    """
    low = checks.greater_than(
        "low_na", low_na, "both rheobases", max(rheobase_na(neuron_a), rheobase_na(neuron_b))
    )
    high = checks.greater_than("high_na", high_na, "low_na", low)

    def difference(current):
        return interspike_interval_ms(neuron_a, current) - interspike_interval_ms(neuron_b, current)

    if difference(low) * difference(high) > 0:
        return math.nan
    return brentq(difference, low, high, xtol=1e-12)


def latency_asymptote_ms(neuron: Neuron, currents_na) -> np.ndarray:
    """Leading term of the first-spike latency just above the rheobase, ms (NaN at or below it).

    Parameters
    ----------
    neuron : Neuron
    currents_na : array_like
        Constant currents, nA.

    Returns
    -------
    numpy.ndarray
        tau_m ln((theta_0 - V_0) / (R (I - I_rh))), which for V_0 = E_L is
        -tau_m ln(I / I_rh - 1); NaN where I <= I_rh.

    Notes
    -----
    The exact latency is t_1 = tau_m ln((V_inf - V_0) / (V_inf - theta_0)) with
    V_inf = E_L + R I (``first_spike_latency_ms``). As I -> I_rh the numerator tends to
    theta_0 - V_0 while the denominator R (I - I_rh) vanishes, so t_1 is this asymptote plus a
    term that vanishes at the rheobase (for V_0 = E_L, t_1 - asymptote = tau_m ln(I / I_rh)).
    The latency is therefore linear in ln(I / I_rh - 1), with slope -tau_m: the logarithmic
    divergence of the leaky integrate-and-fire neuron (Tuckwell 1988; Gerstner et al. 2014,
    sec. 1.3).
    """
    currents = checks.finite_array("currents_na", currents_na)
    excess_mv = neuron.r_mohm * (currents - rheobase_na(neuron))
    with np.errstate(divide="ignore", invalid="ignore"):
        latency = neuron.tau_m_ms * np.log((neuron.theta_0_mv - neuron.initial_v_mv) / excess_mv)
    return np.where(excess_mv > 0, latency, np.nan)


def rate_with_refractory_period_hz(neuron: Neuron, currents_na, refractory_ms: float) -> np.ndarray:
    """Continuous-time f-I curve of a fixed-threshold neuron with an absolute refractory period, Hz.

    Parameters
    ----------
    neuron : Neuron
        A fixed-threshold neuron (``neuron.is_fixed_threshold``).
    currents_na : array_like
        Constant currents, nA.
    refractory_ms : float
        Absolute refractory period t_ref, ms, >= 0: after each spike V is held at E_L for t_ref
        before it integrates again.

    Returns
    -------
    numpy.ndarray
        f(I) = 1000 / (t_ref + tau_m ln(R I / (R I - (V_th - E_L)))), Hz, for I above the
        rheobase; 0 at and below it. With ``refractory_ms = 0`` this is ``rate_hz``.

    Raises
    ------
    ValueError
        If ``refractory_ms`` is negative or not finite, a current is not finite, or the neuron's
        threshold is dynamic (its threshold keeps relaxing during the refractory period, so the
        interval is not t_ref plus the interval without one).

    Notes
    -----
    The refractory period adds a constant to every interval, so the rheobase is unchanged and
    the rate saturates at 1000 / t_ref as the current grows, where without it the rate grows
    without bound (like R I / (tau_m (V_th - E_L)) at large I) (Dayan & Abbott 2001, sec. 5.4;
    Gerstner et al. 2014, sec. 1.3).
    """
    refractory = checks.non_negative("refractory_ms", refractory_ms)
    if not neuron.is_fixed_threshold:
        raise ValueError(
            f"neuron has theta_spike_mv = {neuron.theta_spike_mv} != theta_0_mv = "
            f"{neuron.theta_0_mv}: the closed form with a refractory period needs a fixed "
            "threshold"
        )
    currents = checks.finite_array("currents_na", currents_na)
    isi_ms = np.vectorize(lambda i: interspike_interval_ms(neuron, i), otypes=[float])(currents)
    return np.where(np.isfinite(isi_ms), 1000.0 / (refractory + isi_ms), 0.0)


class QuasiStaticRates(NamedTuple):
    """Each inter-spike interval's rate, beside the f-I curve's rate at its midpoint."""

    midpoint_ms: np.ndarray  # midpoint of each interval, ms
    instantaneous_hz: np.ndarray  # 1000 / interval, Hz
    f_i_hz: np.ndarray  # continuous-time f-I rate at the current at the midpoint, Hz


def quasi_static_rates(
    neuron: Neuron, spike_times_ms, current_na_at: Callable[[np.ndarray], np.ndarray]
) -> QuasiStaticRates:
    """Compare a spike train under a time-varying current with the constant-current f-I curve.

    Parameters
    ----------
    neuron : Neuron
        The neuron that fired the spikes.
    spike_times_ms : array_like, (n,)
        Sorted spike times, ms; with fewer than two there are no intervals (empty arrays).
    current_na_at : callable
        The injected current as a function of time: maps an array of times (ms) to the
        currents (nA) at those times.

    Returns
    -------
    QuasiStaticRates
        For each of the n - 1 intervals: its midpoint, its instantaneous rate 1000 / ISI, and
        ``rate_hz(neuron, I(midpoint))``.

    Notes
    -----
    After each spike this neuron restarts from the same state (V = E_L, theta = theta_spike),
    so an interval depends only on the current during that interval. When the current changes
    little within an interval, the interval is close to the one a constant current equal to the
    current at its midpoint would give: the quasi-static (adiabatic) approximation of rate
    models (Gerstner et al. 2014, ch. 15). The difference between the two rates measures how
    far the approximation holds.
    """
    times = checks.sorted_times("spike_times_ms", spike_times_ms)
    isi_ms = np.diff(times)
    if np.any(isi_ms <= 0):
        raise ValueError("spike_times_ms: two spikes at the same time have no finite rate")
    midpoint_ms = times[:-1] + isi_ms / 2
    currents = np.asarray(current_na_at(midpoint_ms), dtype=float)
    return QuasiStaticRates(midpoint_ms, 1000.0 / isi_ms, rate_hz(neuron, currents))
