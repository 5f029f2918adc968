"""Spike-triggered adaptation: the gate that builds it, and its mean-adaptation reduction.

Adaptation is a gate from a neuron onto itself (``params.Gate`` with source = target): each
spike opens a slow conductance g_a = gbar_a a with a hyperpolarising reversal potential E_a, and
a decays with tau_a between spikes. When tau_a is much longer than the inter-spike interval, a
barely moves within one interval, and the adapted steady state can be predicted by replacing a
with its mean (Ermentrout 1998; Benda & Herz 2003).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq

from . import analytic, checks
from .params import Circuit, Gate, Neuron


def adaptation_circuit(
    neuron: Neuron, e_a_mv: float, tau_a_ms: float, delta_a: float, gbar_a_us: float
) -> Circuit:
    """A neuron with one spike-triggered adaptation conductance onto itself.

    Parameters
    ----------
    neuron : Neuron
    e_a_mv : float
        Reversal potential of the adaptation conductance, mV (finite).
    tau_a_ms : float
        Decay time constant of the adaptation state a, ms (> 0).
    delta_a : float
        Increment of a per spike, a <- a + delta_a (1 - a), in [0, 1].
    gbar_a_us : float
        Maximal adaptation conductance, uS (>= 0; 0 switches adaptation off).

    Raises
    ------
    ValueError
        Naming the first bad parameter (by the names above).
    """
    e_a = checks.finite("e_a_mv", e_a_mv)
    tau_a = checks.positive("tau_a_ms", tau_a_ms)
    delta = checks.in_closed_range("delta_a", delta_a, 0.0, 1.0)
    gbar = checks.non_negative("gbar_a_us", gbar_a_us)
    return Circuit((neuron,), (Gate(0, 0, e_a, tau_a, delta, gbar),))


def periodic_gate_mean(rate_hz: float, tau_ms: float, delta: float) -> float:
    """Time-average of a spike-triggered gate under periodic firing, in steady state.

    With period T = 1000 / rate and q = exp(-T / tau), the value just after a spike solves
    a+ = q a+ + delta (1 - q a+), so a+ = delta / (1 - q (1 - delta)), and the mean over one
    period is a+ tau (1 - q) / T. Zero at zero rate.
    """
    rate = checks.non_negative("rate_hz", rate_hz)
    tau = checks.positive("tau_ms", tau_ms)
    delta = checks.in_closed_range("delta", delta, 0.0, 1.0)
    if rate == 0.0:
        return 0.0
    period = 1000.0 / rate
    q = math.exp(-period / tau)
    after_spike = delta / (1.0 - q * (1.0 - delta))
    return after_spike * tau * (1.0 - q) / period


def mean_adaptation_rate_hz(circuit: Circuit, current_na: float) -> float:
    """Adapted steady rate predicted by the mean-adaptation (slow-variable) reduction, Hz.

    The adaptation state is replaced by its periodic-firing mean ā(f), which turns the adapted
    neuron into the non-adapted one with a constant extra conductance gbar ā(f). The steady rate
    is the fixed point f = 1000 / ISI(I; gbar ā(f)), with ISI the continuous-time interval of
    ``analytic.interspike_interval_ms``. ā rises with f and the rate falls with ā, so the fixed
    point is unique; it is found with Brent's method (Ermentrout 1998; Benda & Herz 2003).

    Parameters
    ----------
    circuit : Circuit
        One neuron with one gate onto itself (``adaptation_circuit``).
    current_na : float
        Constant current, nA.
    """
    if len(circuit.neurons) != 1 or len(circuit.gates) != 1 or circuit.gates[0].target != 0:
        raise ValueError("circuit: must be one neuron with one adaptation gate onto itself")
    neuron, gate = circuit.neurons[0], circuit.gates[0]
    current = checks.finite("current_na", current_na)

    def rate(f_hz):
        g = gate.gbar_us * periodic_gate_mean(f_hz, gate.tau_ms, gate.delta)
        return 1000.0 / analytic.interspike_interval_ms(neuron, current, g, gate.e_rev_mv)

    unadapted = rate(0.0)
    if unadapted == 0.0:
        return 0.0
    return brentq(lambda f: f - rate(f), 1e-12, unadapted, xtol=1e-10)


def critical_adaptation_state(
    neuron: Neuron, current_na: float, e_a_mv: float, gbar_a_us: float
) -> float:
    """Adaptation state at which the steady membrane target equals the baseline threshold.

    With a held fixed, V relaxes to V_inf(a) = (g_L E_L + gbar_a a E_a + I) / (g_L + gbar_a a).
    Setting V_inf(a_c) = theta_0 gives

        a_c = (I - g_L (theta_0 - E_L)) / (gbar_a (theta_0 - E_a)).

    Once the threshold has relaxed to theta_0, the neuron can fire again only while a < a_c,
    so under slow adaptation every inter-spike interval ends near the moment a decays below
    a_c (the quasi-static picture of Ermentrout 1998 and Benda & Herz 2003). a_c <= 0 at and
    below the rheobase (no value of a lets the neuron fire); a_c >= 1 when even a fully open
    conductance cannot hold the neuron below threshold.

    Parameters
    ----------
    neuron : Neuron
        Its baseline threshold theta_0, leak and resistance are used.
    current_na : float
        Constant current I, nA.
    e_a_mv : float
        Reversal potential of the adaptation conductance, mV (< theta_0).
    gbar_a_us : float
        Maximal adaptation conductance, uS (>= 0).

    Returns
    -------
    float
        a_c (dimensionless); NaN when gbar_a = 0 (no adaptation state matters).

    Raises
    ------
    ValueError
        If a value is not finite, gbar_a_us < 0, or e_a_mv is not below theta_0.
    """
    current = checks.finite("current_na", current_na)
    e_a = checks.finite("e_a_mv", e_a_mv)
    gbar = checks.non_negative("gbar_a_us", gbar_a_us)
    if not e_a < neuron.theta_0_mv:
        raise ValueError(f"e_a_mv = {checks.show(e_a_mv)}: must be < theta_0_mv = "
                         f"{checks.show(neuron.theta_0_mv)}")
    if gbar == 0.0:
        return math.nan
    drive = current - neuron.g_leak_us * (neuron.theta_0_mv - neuron.e_leak_mv)
    return drive / (gbar * (neuron.theta_0_mv - e_a))


def pinned_rate_hz(
    neuron: Neuron, current_na: float, e_a_mv: float, tau_a_ms: float, delta_a: float,
    gbar_a_us: float,
) -> float:
    """Adapted steady rate in the quasi-static limit where adaptation alone sets the interval, Hz.

    If the membrane and the threshold were infinitely fast, a spike would come exactly when a
    decays to the critical state a_c (``critical_adaptation_state``), and the spike would lift a
    to a_+ = a_c + delta_a (1 - a_c). Each interval is then the time a needs to decay from a_+
    back to a_c:

        ISI = tau_a ln(a_+ / a_c),  f = 1000 / ISI.

    It depends neither on the post-spike threshold nor on tau_theta. The simulated rate lies
    below this limit, but not because of the threshold (it has relaxed long before): at the end
    of the interval a decays below a_c, and the membrane, trailing its slowly rising target with
    tau_eff = C / (g_L + gbar_a a_c), crosses the threshold only some tau_eff later, at a lower a
    (the ramp delay of a slowly varying input). The lower a at the spike also lowers a_+, so the
    interval grows by less than that delay. The limit is approached when tau_a ln(a_+ / a_c) is
    long against tau_eff.

    Returns
    -------
    float
        0 at and below the rheobase (a_c <= 0); NaN where adaptation cannot pin the rate
        (a_c >= 1, gbar_a = 0 or delta_a = 0).

    Raises
    ------
    ValueError
        As ``critical_adaptation_state``, and if tau_a_ms <= 0 or delta_a is not in [0, 1].
    """
    tau = checks.positive("tau_a_ms", tau_a_ms)
    delta = checks.in_closed_range("delta_a", delta_a, 0.0, 1.0)
    a_c = critical_adaptation_state(neuron, current_na, e_a_mv, gbar_a_us)
    if math.isnan(a_c) or delta == 0.0 or a_c >= 1.0:
        return math.nan
    if a_c <= 0.0:
        return 0.0
    after_spike = a_c + delta * (1.0 - a_c)
    return 1000.0 / (tau * math.log(after_spike / a_c))


class GateAtSpikes(NamedTuple):
    """A spike-triggered gate just before and just after each spike of its source."""

    before: np.ndarray
    after: np.ndarray


def gate_at_spikes(spike_times_ms, tau_ms: float, delta: float, s_0: float = 0.0) -> GateAtSpikes:
    """Value of a spike-triggered gate just before and just after each spike, from the train.

    Between spikes s decays as s e^{-t/tau}; at each spike s <- s + delta (1 - s) (spec
    "Conventions"). Starting from s_0 at t = 0 this reproduces the simulated gate at the spike
    samples up to rounding, without recording the trace.

    Parameters
    ----------
    spike_times_ms : array_like, (n,)
        Sorted spike times of the source neuron, ms (>= 0).
    tau_ms : float
        Decay time constant, ms (> 0).
    delta : float
        Increment per spike, in [0, 1].
    s_0 : float
        Value at t = 0, in [0, 1].

    Returns
    -------
    GateAtSpikes
        Two arrays of length n.
    """
    times = checks.sorted_times("spike_times_ms", spike_times_ms)
    tau = checks.positive("tau_ms", tau_ms)
    delta = checks.in_closed_range("delta", delta, 0.0, 1.0)
    s = checks.in_closed_range("s_0", s_0, 0.0, 1.0)
    before, after = np.empty(times.size), np.empty(times.size)
    previous = 0.0
    for k, time in enumerate(times):
        s *= math.exp(-(time - previous) / tau)
        before[k] = s
        s += delta * (1.0 - s)
        after[k] = s
        previous = time
    return GateAtSpikes(before, after)


def pinned_first_interval_ms(
    neuron: Neuron, current_na: float, e_a_mv: float, tau_a_ms: float, delta_a: float,
    gbar_a_us: float,
) -> float:
    """First inter-spike interval when the first spike alone already exceeds a_c, ms.

    Starting from a = 0, the first spike sets a = delta_a. If that is above the critical state
    a_c (``critical_adaptation_state``), the neuron cannot fire again until a has decayed to
    a_c, which takes tau_a ln(delta_a / a_c) - the quasi-static limit of the first interval,
    which the delay of the membrane behind its slowly rising target lengthens; it describes the
    first interval only when it is long against tau_eff = C / (g_L + gbar_a a_c).

    Returns
    -------
    float
        NaN unless 0 < a_c < delta_a (otherwise the first spike alone does not hold the neuron).
    """
    tau = checks.positive("tau_a_ms", tau_a_ms)
    delta = checks.in_closed_range("delta_a", delta_a, 0.0, 1.0)
    a_c = critical_adaptation_state(neuron, current_na, e_a_mv, gbar_a_us)
    if not 0.0 < a_c < delta:  # False for NaN too
        return math.nan
    return tau * math.log(delta / a_c)


def product_limit_rate_hz(
    neuron: Neuron, current_na: float, e_a_mv: float, gbar_a_us: float, tau_delta_ms: float
) -> float:
    """Mean-adaptation rate in the limit of small increments, a function of tau_a delta_a only.

    For delta_a -> 0 and f tau_a >> 1 the periodic mean of a (``periodic_gate_mean``) tends to
    y / (1 + y) with y = tau_a delta_a f / 1000, so the fixed point
    f = 1000 / ISI(I; gbar_a y / (1 + y)) depends on tau_a and delta_a only through their
    product (Ermentrout 1998; Benda & Herz 2003). Found with Brent's method.

    Parameters
    ----------
    tau_delta_ms : float
        The product tau_a delta_a, ms (>= 0).

    Returns
    -------
    float
        Hz; 0 where the neuron does not fire without adaptation.
    """
    product = checks.non_negative("tau_delta_ms", tau_delta_ms)
    current = checks.finite("current_na", current_na)
    e_a = checks.finite("e_a_mv", e_a_mv)
    gbar = checks.non_negative("gbar_a_us", gbar_a_us)

    def rate(f_hz):
        y = product * f_hz / 1000.0
        return 1000.0 / analytic.interspike_interval_ms(neuron, current, gbar * y / (1 + y), e_a)

    unadapted = rate(0.0)
    if unadapted == 0.0 or product == 0.0 or gbar == 0.0:
        return unadapted
    return brentq(lambda f: f - rate(f), 1e-12, unadapted, xtol=1e-10)


def current_at_critical_state_na(
    neuron: Neuron, a: float, e_a_mv: float, gbar_a_us: float
) -> float:
    """Current at which the critical adaptation state equals ``a``, nA.

    The inverse of ``critical_adaptation_state``: I = g_L (theta_0 - E_L) + a gbar_a
    (theta_0 - E_a). With a = 1 it is the current above which even a fully open adaptation
    conductance cannot hold the neuron below its baseline threshold; with a = delta_a, the
    current below which the first spike alone does.
    """
    a = checks.finite("a", a)
    e_a = checks.finite("e_a_mv", e_a_mv)
    gbar = checks.non_negative("gbar_a_us", gbar_a_us)
    return (neuron.g_leak_us * (neuron.theta_0_mv - neuron.e_leak_mv)
            + a * gbar * (neuron.theta_0_mv - e_a))
