"""Spike-triggered adaptation: the gate that builds it, and its mean-adaptation reduction.

Adaptation is a gate from a neuron onto itself (``params.Gate`` with source = target): each
spike opens a slow conductance g_a = gbar_a a with a hyperpolarising reversal potential E_a, and
a decays with tau_a between spikes. When tau_a is much longer than the inter-spike interval, a
barely moves within one interval, and the adapted steady state can be predicted by replacing a
with its mean (Ermentrout 1998; Benda & Herz 2003).
"""

from __future__ import annotations

import math

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
