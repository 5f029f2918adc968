"""Closed forms of the integrate-and-fire neuron without gates (continuous time).

The neuron has no refractory period and its only nonlinearity is the threshold, so between
spikes V relaxes exponentially towards V_inf = E_L + R I and the first crossing of the threshold
can be written down (Lapicque 1907; Tuckwell 1988; Gerstner et al. 2014, sec. 1.3).
"""

from __future__ import annotations

import math

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
