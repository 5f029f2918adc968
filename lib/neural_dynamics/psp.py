"""Postsynaptic potentials of a conductance synapse and their Jansen-Rit alpha-kernel fits.

A synapse opens g(t) = g_0 exp(-t / tau_s) on a neuron at rest, C dV/dt = -g_L (V - E_L)
- g(t) (V - E_syn). For g_0 << g_L the driving force stays E_syn - E_L, and with v = V - E_L

    tau_m dv/dt = -v + R g_0 (E_syn - E_L) exp(-t / tau_s),

whose solution from v(0) = 0 is the difference of exponentials of ``psp_mv`` (e.g. Dayan &
Abbott 2001, ch. 5; Gerstner et al. 2014, ch. 3). Jansen-Rit's kernel h(t) = A a t exp(-a t)
(Jansen & Rit 1995) is its limit tau_m = tau_s = 1/a.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import optimize

from . import checks
from .kernel import simulate
from .params import Circuit, Gate, Neuron
from .presets import Protocol


def _time_constants(tau_m_ms, tau_s_ms):
    return checks.positive("tau_m_ms", tau_m_ms), checks.positive("tau_s_ms", tau_s_ms)


def psp_mv(t_ms, tau_m_ms: float, tau_s_ms: float, r_mohm: float, g0_us: float,
           e_syn_mv: float, e_leak_mv: float) -> np.ndarray:
    """PSP V(t) - E_L of a conductance synapse on the resting membrane, small-g limit, mV.

    v(t) = R g_0 (E_syn - E_L) tau_s / (tau_m - tau_s) (exp(-t/tau_m) - exp(-t/tau_s)) for
    t >= 0 (0 before), and R g_0 (E_syn - E_L) (t / tau_m) exp(-t / tau_m) when tau_s = tau_m.

    Parameters
    ----------
    t_ms : array_like
        Times after the presynaptic spike, ms.
    tau_m_ms, tau_s_ms : float
        Membrane and synaptic time constants, ms (> 0).
    r_mohm, g0_us : float
        Membrane resistance (MOhm, > 0) and peak synaptic conductance (uS, >= 0).
    e_syn_mv, e_leak_mv : float
        Synaptic reversal and resting potentials, mV.
    """
    t = checks.finite_array("t_ms", t_ms)
    tau_m, tau_s = _time_constants(tau_m_ms, tau_s_ms)
    scale = (checks.positive("r_mohm", r_mohm) * checks.non_negative("g0_us", g0_us)
             * (checks.finite("e_syn_mv", e_syn_mv) - checks.finite("e_leak_mv", e_leak_mv)))
    tc = np.maximum(t, 0.0)
    if np.isclose(tau_m, tau_s, rtol=1e-9, atol=0.0):
        shape = tc / tau_m * np.exp(-tc / tau_m)
    else:
        shape = tau_s / (tau_m - tau_s) * (np.exp(-tc / tau_m) - np.exp(-tc / tau_s))
    return np.where(t >= 0.0, scale * shape, 0.0)


def peak_time_ms(tau_m_ms: float, tau_s_ms: float) -> float:
    """Time of the PSP's extremum, t* = tau_m tau_s ln(tau_m / tau_s) / (tau_m - tau_s), ms.

    Setting the derivative of exp(-t/tau_m) - exp(-t/tau_s) to zero; t* = tau when
    tau_m = tau_s = tau (the alpha kernel's peak at 1/a).
    """
    tau_m, tau_s = _time_constants(tau_m_ms, tau_s_ms)
    if np.isclose(tau_m, tau_s, rtol=1e-9, atol=0.0):
        return tau_m
    return tau_m * tau_s * np.log(tau_m / tau_s) / (tau_m - tau_s)


def alpha_kernel_mv(t_ms, amplitude_mv: float, a_per_s: float) -> np.ndarray:
    """Jansen-Rit's kernel h(t) = A a t exp(-a t) for t >= 0 (a in 1/s, t in ms), mV."""
    t = np.maximum(np.asarray(t_ms, dtype=float), 0.0) / 1000.0
    return amplitude_mv * a_per_s * t * np.exp(-a_per_s * t)


class KernelFits(NamedTuple):
    """Rate constants a (1/s) of an alpha kernel matched to a PSP three ways."""

    least_squares_per_s: float
    least_squares_amplitude_mv: float
    peak_per_s: float
    centroid_per_s: float


def fit_alpha_kernel(t_ms, psp_values_mv) -> tuple[float, float]:
    """Least-squares fit of h(t) = A a t exp(-a t) to a sampled PSP (scipy.optimize.curve_fit).

    Returns
    -------
    (a_per_s, amplitude_mv)

    Raises
    ------
    ValueError
        For mismatched or too few samples, a PSP that is zero everywhere, or no convergence.
    """
    t = checks.finite_array("t_ms", t_ms).reshape(-1)
    v = checks.finite_array("psp_values_mv", psp_values_mv).reshape(-1)
    if t.size != v.size or t.size < 3:
        raise ValueError(f"t_ms, psp_values_mv: need the same number (>= 3) of samples, got "
                         f"{t.size} and {v.size}")
    peak = int(np.argmax(np.abs(v)))
    if v[peak] == 0.0:
        raise ValueError("psp_values_mv: the PSP is zero everywhere; nothing to fit")
    a_guess = 1000.0 / max(t[peak], 1e-6)
    amp_guess = v[peak] * np.e  # h(1/a) = A / e
    # a = exp(log_a) keeps a > 0 without bounds, so MINPACK's Levenberg-Marquardt (no BLAS)
    # is used; tolerances at machine precision make the 10 digits kept reproducible
    try:
        popt, _ = optimize.curve_fit(
            lambda tt, amp, log_a: alpha_kernel_mv(tt, amp, np.exp(log_a)), t, v,
            p0=(amp_guess, np.log(a_guess)), maxfev=20000, ftol=1e-15, xtol=1e-15, gtol=0.0)
    except RuntimeError as error:
        raise ValueError(f"fit_alpha_kernel: the fit did not converge ({error})") from error
    return float(np.exp(popt[1])), float(popt[0])


def kernel_fits(tau_m_ms: float, tau_s_ms: float, t_ms) -> KernelFits:
    """Alpha-kernel rate constants matched to the PSP of ``psp_mv``: three definitions.

    least squares on the grid ``t_ms`` (shape only: unit driving force and conductance);
    peak-matched a = 1 / t* (``peak_time_ms``); centroid-matched a = 2 / (tau_m + tau_s), since
    the centroid int t h / int h is 2/a for the alpha kernel and tau_m + tau_s for the PSP.
    """
    tau_m, tau_s = _time_constants(tau_m_ms, tau_s_ms)
    shape = psp_mv(t_ms, tau_m, tau_s, 1.0, 1.0, 1.0, 0.0)
    a_ls, amp = fit_alpha_kernel(t_ms, shape)
    return KernelFits(a_ls, amp, float(1000.0 / peak_time_ms(tau_m, tau_s)),
                      2000.0 / (tau_m + tau_s))


def simulated_psp_mv(neuron: Neuron, e_syn_mv: float, tau_s_ms: float, g0_us: float,
                     protocol: Protocol) -> np.ndarray:
    """PSP V(t) - E_L of ``neuron`` at rest computed by the library's kernel, mV.

    A silent presynaptic neuron's gate starts open (s_0 = 1, gbar = ``g0_us``), which is the
    conductance right after a spike; the kernel's exact exponential scheme (step-k conductance
    held over each step) then integrates the full conductance-based membrane, without the
    small-conductance approximation of ``psp_mv``. Returns samples at ``protocol.times_ms``.
    """
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol = {protocol!r}: must be a Protocol")
    gate = Gate(0, 1, e_syn_mv, tau_s_ms, 0.0, checks.non_negative("g0_us", g0_us), 1.0)
    result = simulate(Circuit((neuron, neuron), (gate,)), 0.0, protocol, record=True)
    trace = result.v_mv[0, 1] - neuron.e_leak_mv
    if not np.all(np.isfinite(trace)):
        raise ValueError("simulated_psp_mv: the membrane potential became non-finite")
    return trace
