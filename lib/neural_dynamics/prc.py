"""Phase response curves of the integrate-and-fire neuron: on the kernel, and in closed form.

The phase response curve (PRC) of a periodically firing neuron says by how much a small input
received at phase phi of the cycle advances its spikes (Hansel, Mato & Meunier 1995; Brown,
Moehlis & Holmes 2004; Ermentrout & Terman 2010, ch. 8). Here a voltage kick dv (a brief
current pulse of charge q, dv = q / C) is the input, and the PRC is the spike advance per unit
kick,

    Z(phi) = advance_ms / dv_mv      (ms per mV),

measured by the *direct perturbation method*: members of one kernel batch start from the same
point of the periodic orbit (just after a spike), each receives one pulse at a different phase,
and their spike times are compared with those of an unperturbed member.

Spike times on the kernel's grid are quantised to dt, which is far coarser than the advances
measured here. Two devices remove that error:

1. each crossing is recovered inside its last time step: between samples V and theta relax
   exponentially (the kernel's own update, conductances held at their step-k values), so the
   crossing time solves V(t) = theta(t) within the step;
2. each cycle starts from a reset placed on the grid: a spike resets V and theta to fixed values,
   so the state just after a spike is (E_L, theta_spike, a) and is carried from one cycle to the
   next by the adaptation states alone, decayed exactly to the crossing time. The neuron
   simulated here is therefore the kernel's neuron with each reset at its exact crossing time
   rather than at the next grid sample.

With spike-triggered adaptation a kick also changes later cycles: a spike that comes early
finds a larger a, so the next intervals are longer. The *asymptotic* PRC counts the shift of a
spike many cycles later, once successive shifts agree; the *first-spike* PRC counts only the next
spike. Because V and theta are reset at every spike, the only memory a kick leaves after the
first spike is the change of a, which is proportional to the first spike's shift: to first
order the asymptotic PRC is the first-spike PRC times one factor, the same at every phase.

Accuracy, at chapter 2's neuron under 4 nA with dt = 0.05 ms and the default kick (0.01 mV,
100 phases): without adaptation the measured PRC matches the closed form to 6e-8 ms/mV, about
1e-7 of its largest value (the rest is the pulse's finite width and the O(q^2) term); halving
the kick changes the adapted PRC by less than 5e-4 of its value (tests/test_prc.py). Kicks of
0.1 mV are already too large for the adapted neuron, whose membrane creeps towards the
threshold at the end of its cycle. The centroid depends on the phase grid at the 1e-3 level
(the pulses start on the time grid, and the last phase measured is about 0.99).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from . import analytic, checks, limits
from .kernel import simulate
from .params import Circuit, Gate, Neuron
from .presets import Protocol

DEFAULT_CHARGE_PC = 0.03  # a kick of 0.01 mV on a 3 nF membrane
DEFAULT_N_PHASES = 100
DEFAULT_TOL_MS = 1e-9  # periodic state: successive intervals agree to within this
DEFAULT_RTOL = 1e-7  # asymptotic advance: last change relative to the largest first advance
CHUNK_BYTES = 2**28  # recorded traces of one kernel call (members are run in chunks)
FORCED_SPIKE_MARGIN_MV = 10.0  # V_0 this far above theta_spike makes the neuron fire at step 1


class NotPeriodic(ValueError):
    """The neuron does not settle to periodic firing at this current (or not within the limits)."""


def _check_circuit(circuit) -> Circuit:
    if not isinstance(circuit, Circuit) or len(circuit.neurons) != 1 or any(
            g.source != 0 or g.target != 0 for g in circuit.gates):
        raise ValueError(f"circuit = {circuit!r}: must be a Circuit of one neuron whose gates (if "
                         "any) act on that neuron itself (adaptation)")
    return circuit


def _start_circuit(circuit: Circuit, gates_before_spike, dt_ms: float) -> Circuit:
    """The circuit started so that it fires at t = dt with each gate at ``gates_before_spike``.

    V_0 above threshold makes the kernel register a spike at step 1 (reset to E_L, threshold to
    theta_spike, gate increments); s_0 = a exp(dt/tau) makes each gate equal to ``a`` just before
    that spike. The state at t = dt is then the state just after a spike of the periodic orbit.
    """
    neuron = circuit.neurons[0]
    start = dataclasses.replace(
        neuron, v_0_mv=max(neuron.theta_spike_mv, neuron.theta_0_mv) + FORCED_SPIKE_MARGIN_MV)
    gates = tuple(dataclasses.replace(g, s_0=min(1.0, a * math.exp(dt_ms / g.tau_ms)))
                  for g, a in zip(circuit.gates, gates_before_spike, strict=True))
    return Circuit((start,), gates)


def _crossing_in_step(neuron: Neuron, gates, v_mv, theta_mv, s, current_na, dt_ms) -> float:
    """Time after t_k, in (0, dt], at which V meets theta within the step k -> k + 1, ms.

    Over the step the kernel holds the conductances at their step-k values, so
    V(t) = V_inf + (V_k - V_inf) exp(-t/tau_eff) and theta(t) = theta_0 + (theta_k - theta_0)
    exp(-t/tau_theta); the crossing is found with Brent's method to machine precision.
    """
    g_eq = neuron.g_leak_us + sum(g.gbar_us * x for g, x in zip(gates, s, strict=True))
    e_eq = (neuron.g_leak_us * neuron.e_leak_mv
            + sum(g.gbar_us * x * g.e_rev_mv for g, x in zip(gates, s, strict=True))) / g_eq
    v_inf, tau = e_eq + current_na / g_eq, neuron.c_nf / g_eq

    def v_minus_theta(t):
        v = v_inf + (v_mv - v_inf) * math.exp(-t / tau)
        theta = neuron.theta_0_mv + (theta_mv - neuron.theta_0_mv) * math.exp(
            -t / neuron.tau_theta_ms)
        return v - theta

    if v_minus_theta(dt_ms) <= 0.0:  # the kernel's test passed by a rounding error: at the sample
        return dt_ms
    return brentq(v_minus_theta, 0.0, dt_ms, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def _one_cycle(circuit: Circuit, gates_before_spike, current_na, dt_ms: float,
               duration_ms: float):
    """Start each member just after a spike and return the time of its next crossing.

    Parameters
    ----------
    gates_before_spike : ndarray (members, gates)
        Gating variables just before the starting spike.
    current_na : float or ndarray (members, steps)
        Injected current; the starting spike is at step 1 (t = dt) and times are counted from it.

    Returns
    -------
    crossing_ms : ndarray (members,)
        Time of the next crossing after the starting spike, measured from it (NaN: none).
    gates_at_crossing : ndarray (members, gates)
        Gating variables just before that crossing (decayed exactly to the crossing time).
    """
    gates_before_spike = np.atleast_2d(gates_before_spike)
    n_members = gates_before_spike.shape[0]
    protocol = Protocol(dt_ms, duration_ms)
    current = np.asarray(current_na, dtype=float)
    current = current.reshape(1, 1, 1) if current.ndim == 0 else current[:, None, :]
    neuron, gates = circuit.neurons[0], circuit.gates
    # members are independent: run them in chunks whose recorded traces fit in CHUNK_BYTES
    chunk = max(1, int(CHUNK_BYTES // (8.0 * (2 + len(gates)) * (protocol.n_steps + 1))))
    crossing = np.full(n_members, np.nan)
    at_crossing = np.full((n_members, len(gates)), np.nan)
    for first in range(0, n_members, chunk):
        part = range(first, min(n_members, first + chunk))
        circuits = [_start_circuit(circuit, gates_before_spike[m], dt_ms) for m in part]
        members = current if current.shape[0] == 1 else current[part.start:part.stop]
        run = simulate(circuits, members, protocol, record=True)
        for i, m in enumerate(part):
            _read_crossing(run, i, m, current, neuron, gates, dt_ms, crossing, at_crossing)
    return crossing, at_crossing


def _read_crossing(run, i, m, current, neuron, gates, dt_ms, crossing, at_crossing):
    """Store member m's (run member i's) next crossing after its starting spike, if any."""
    steps = run.spike_steps[run.offsets[i]:run.offsets[i + 1]]
    if steps.size == 0 or steps[0] != 1:
        raise ValueError(f"dt_ms = {checks.show(dt_ms)}: too long to start a cycle with a "
                         "spike in the first step")
    if steps.size < 2:
        return
    k = steps[1] - 1
    s_k = run.s[i, :, k]
    i_k = current[0, 0, 0] if current.shape[0] == 1 else current[m, 0, k]
    within = _crossing_in_step(neuron, gates, run.v_mv[i, 0, k], run.theta_mv[i, 0, k], s_k,
                               i_k, dt_ms)
    crossing[m] = (k - 1) * dt_ms + within
    at_crossing[m] = [x * math.exp(-within / g.tau_ms) for g, x in zip(gates, s_k, strict=True)]


@dataclass(frozen=True)
class PeriodicState:
    """The neuron's periodic firing under a constant current, reached from its first spike.

    Attributes
    ----------
    period_ms : float
        Inter-spike interval of the periodic orbit (exact crossing times), ms.
    gates_before_spike : ndarray (gates,)
        Gating variables just before a spike of the orbit.
    intervals_ms : ndarray
        The successive intervals from the first spike until they agreed within the tolerance.
    """

    period_ms: float
    gates_before_spike: np.ndarray
    intervals_ms: np.ndarray

    @property
    def n_cycles(self) -> int:
        """Number of cycles simulated to reach the periodic state."""
        return self.intervals_ms.size


def periodic_state(circuit: Circuit, current_na: float, dt_ms: float,
                   tol_ms: float = DEFAULT_TOL_MS,
                   max_cycles: int = 2000, max_interval_ms: float = 1e5) -> PeriodicState:
    """Fire the neuron cycle after cycle from its first spike until its intervals converge.

    The first cycle starts just after a first spike (gates 0 before it); each next cycle starts
    with the gates found at the previous crossing. Converged when two successive intervals
    differ by at most ``tol_ms``. Without gates (or with gates that carry no conductance) every
    interval is the same and two cycles suffice.

    Parameters
    ----------
    circuit : Circuit
        One neuron, with optional adaptation gates onto itself.
    current_na : float
        Constant current, nA.
    dt_ms : float
        Time step of the kernel, ms (> 0).
    tol_ms : float
        Largest change of the interval between successive cycles at convergence, ms (> 0).
    max_cycles : int
        Cycles to try before giving up (>= 2).
    max_interval_ms : float
        Longest interval waited for, ms (> 0).

    Raises
    ------
    NotPeriodic
        If an interval exceeds ``max_interval_ms`` (no spike: below rheobase, or adaptation
        silences the neuron) or the intervals do not converge within ``max_cycles``.
    """
    circuit = _check_circuit(circuit)
    current = checks.finite("current_na", current_na)
    dt = checks.positive("dt_ms", dt_ms)
    tol = checks.positive("tol_ms", tol_ms)
    max_cycles = checks.integer("max_cycles", max_cycles, 2)
    longest = checks.positive("max_interval_ms", max_interval_ms)
    gates = np.zeros(len(circuit.gates))
    intervals = []
    guess = analytic.interspike_interval_ms(circuit.neurons[0], current)
    window = min(longest, 2.0 * guess if math.isfinite(guess) else longest)
    while len(intervals) < max_cycles:
        crossing, after = _one_cycle(circuit, gates, current, dt, max(window, 2 * dt))
        if np.isnan(crossing[0]):
            if window >= longest:
                raise NotPeriodic(
                    f"current_na = {checks.show(current)}: the neuron does not fire within "
                    f"max_interval_ms = {checks.show(longest)} ms of a spike (cycle "
                    f"{len(intervals) + 1}); it does not fire periodically at this current")
            window = min(longest, 2.0 * window)
            continue
        intervals.append(crossing[0])
        gates = after[0]
        window = min(longest, 1.5 * crossing[0] + 10 * dt)
        if len(intervals) >= 2 and abs(intervals[-1] - intervals[-2]) <= tol:
            return PeriodicState(intervals[-1], gates, np.array(intervals))
    raise NotPeriodic(f"current_na = {checks.show(current)}: the intervals did not converge within "
                      f"{max_cycles} cycles (max_cycles) to tol_ms = {checks.show(tol)}")


@dataclass(frozen=True)
class PhaseResponse:
    """A phase response curve measured by direct perturbation.

    Attributes
    ----------
    phase : ndarray (n_phases,)
        Phase of each pulse's midpoint, (time since the spike) / period, in [0, 1).
    prc_ms_per_mv : ndarray (n_phases,)
        Asymptotic PRC: advance of a spike many cycles after the kick, per mV of kick.
    first_spike_prc_ms_per_mv : ndarray (n_phases,)
        Advance of the first spike after the kick, per mV of kick.
    period_ms : float
        Period of the unperturbed orbit, ms.
    kick_mv : float
        Voltage kick of one pulse, charge / C, mV.
    n_cycles : int
        Cycles followed after the kick until the shifts converged.
    state : PeriodicState
        The unperturbed periodic orbit (period, gates before a spike, warm-up intervals).
    neuron_steps : float
        Neuron updates spent by the kernel runs after the warm-up (members x steps).
    """

    phase: np.ndarray
    prc_ms_per_mv: np.ndarray
    first_spike_prc_ms_per_mv: np.ndarray
    period_ms: float
    kick_mv: float
    n_cycles: int
    state: PeriodicState
    neuron_steps: float

    @property
    def centroid_phase(self) -> float:
        """PRC-weighted mean phase of the asymptotic PRC (``centroid_phase``)."""
        return centroid_phase(self.phase, self.prc_ms_per_mv)


def phase_response(circuit: Circuit, current_na: float, dt_ms: float,
                   charge_pc: float = DEFAULT_CHARGE_PC, n_phases: int = DEFAULT_N_PHASES,
                   rtol: float = DEFAULT_RTOL, max_cycles: int = 2000,
                   max_interval_ms: float = 1e5) -> PhaseResponse:
    """Phase response curve by direct perturbation of the periodic orbit on the kernel.

    After ``periodic_state``, one batch starts every member just after a spike of the orbit.
    Member 0 is left alone; the others receive one rectangular current pulse of one time step,
    of charge +q or -q (amplitude q / dt), starting at step round(i T / (n dt)) after the spike,
    i = 0..n-1. The advance of spike j is the unperturbed spike time minus the perturbed one;
    the PRC is the central difference (advance(+q) - advance(-q)) / (2 q / C), whose error is
    of order q^2. Later cycles are followed (each member carrying its own adaptation state)
    until the advance changes by less than ``rtol`` times the largest first-spike advance.

    Parameters
    ----------
    circuit : Circuit
        One neuron, with optional adaptation gates onto itself.
    current_na : float
        Constant current, nA.
    dt_ms : float
        Time step of the kernel, ms (> 0). Each pulse lasts one step.
    charge_pc : float
        Charge of one pulse, pC = nA ms (> 0); the kick is charge / C mV.
    n_phases : int
        Number of pulse phases (>= 3).
    rtol : float
        Convergence of the asymptotic advance, relative to the largest first-spike advance (> 0).
    max_cycles, max_interval_ms
        As in ``periodic_state``; ``max_cycles`` also bounds the cycles followed after the kick.

    Returns
    -------
    PhaseResponse

    Raises
    ------
    NotPeriodic
        If the neuron does not fire periodically (see ``periodic_state``).
    ValueError
        For bad arguments, or if a pulse is too strong (a spike during a pulse, or a kick that
        changes the next spike time by more than a tenth of the period), or ``n_phases`` asks
        for pulses closer than one time step.
    """
    circuit = _check_circuit(circuit)
    current = checks.finite("current_na", current_na)
    dt = checks.positive("dt_ms", dt_ms)
    charge = checks.positive("charge_pc", charge_pc)
    n_phases = checks.integer("n_phases", n_phases, 3)
    rtol = checks.positive("rtol", rtol)
    limits.grid_points("n_phases", n_phases, "pulse phases")
    state = periodic_state(circuit, current, dt, max_cycles=max_cycles,
                           max_interval_ms=max_interval_ms)
    period = state.period_ms
    neuron = circuit.neurons[0]
    kick_mv = charge / neuron.c_nf
    onsets = np.round(np.arange(n_phases) * period / (n_phases * dt)).astype(int)
    if np.any(np.diff(onsets) <= 0):
        raise ValueError(f"n_phases = {n_phases}: the period ({period:.6g} ms) has fewer than "
                         f"{n_phases} steps of dt_ms = {checks.show(dt)}; use fewer phases or a "
                         "smaller dt_ms")
    window = 1.2 * period + 10 * dt
    n_steps = Protocol(dt, window).n_steps
    n_members = 2 * n_phases + 1
    limits.memory("n_phases, dt_ms", 8.0 * n_members * n_steps, "pulse currents")
    pulses = np.full((n_members, n_steps), current)
    members = np.arange(n_phases)
    # the starting spike is at step 1: a pulse i steps later acts over step 1 + i
    pulses[1 + members, 1 + onsets] += charge / dt
    pulses[1 + n_phases + members, 1 + onsets] -= charge / dt
    gates = np.repeat(state.gates_before_spike[None, :], n_members, axis=0)
    spike_ms, gates = _one_cycle(circuit, gates, pulses, dt, window)
    spent = float(n_members) * n_steps
    pulse_end = (onsets + 1) * dt
    if np.isnan(spike_ms).any() or np.any(spike_ms[1:] <= np.tile(pulse_end, 2)):
        raise ValueError(f"charge_pc = {checks.show(charge)}: a pulse makes the neuron fire during "
                         "the pulse or stop firing; use a smaller charge")
    advance = spike_ms[0] - spike_ms
    if np.abs(advance).max() > 0.1 * period:
        raise ValueError(f"charge_pc = {checks.show(charge)}: a kick of {kick_mv:.3g} mV moves a "
                         "spike by more than a tenth of the period: not a small perturbation")
    first_advance = advance.copy()
    scale = np.abs(first_advance).max()
    n_cycles = 1
    while True:
        if n_cycles >= max_cycles:
            raise NotPeriodic(f"max_cycles = {max_cycles}: the spike shifts did not converge")
        interval, gates = _one_cycle(circuit, gates, current, dt, window)
        spent += float(n_members) * n_steps
        n_cycles += 1
        if np.isnan(interval).any():
            raise NotPeriodic(f"current_na = {checks.show(current)}: a perturbed member stopped "
                              "firing")
        change = interval[0] - interval  # this cycle's contribution to each member's advance
        advance = advance + change
        if np.abs(change).max() <= rtol * scale:
            break
    denominator = 2.0 * kick_mv

    def prc(adv):
        return (adv[1:n_phases + 1] - adv[n_phases + 1:]) / denominator

    return PhaseResponse(
        phase=(onsets + 0.5) * dt / period,
        prc_ms_per_mv=prc(advance),
        first_spike_prc_ms_per_mv=prc(first_advance),
        period_ms=period,
        kick_mv=kick_mv,
        n_cycles=n_cycles,
        state=state,
        neuron_steps=spent,
    )


def closed_form_prc_ms_per_mv(neuron: Neuron, current_na: float, phase,
                              g_tonic_us: float = 0.0, e_tonic_mv: float = 0.0) -> np.ndarray:
    """First-order PRC of the neuron without gates under a constant current, ms per mV.

    A kick dv at time s = phi T after a spike decays as dv exp(-(T - s)/tau_m) by the crossing
    time T, where V and theta meet with the slopes V'(T) = (V_inf - theta(T)) / tau_m and
    theta'(T) = -(theta(T) - theta_0) / tau_theta, so the spike comes earlier by

        Z(phi) dv,   Z(phi) = exp(-(1 - phi) T / tau_m) / (V'(T) - theta'(T))

    to first order in dv (T from ``analytic.interspike_interval_ms``). For a fixed threshold
    theta' = 0 and Z(phi) = tau_m exp(-(1 - phi) T / tau_m) / (R I - (V_th - E_L)), the leaky
    integrate-and-fire PRC of Ermentrout & Terman (2010, ch. 8) and Brown, Moehlis & Holmes
    (2004) in these units.

    With a constant extra conductance ``g_tonic_us`` reversing at ``e_tonic_mv`` (an adaptation
    conductance frozen at one value) the neuron is the same integrate-and-fire neuron with the
    target V_inf = (g_L E_L + g E + I) / (g_L + g) and the time constant
    tau = C / (g_L + g) (``analytic.interspike_interval_ms``), and tau replaces tau_m above.

    Raises
    ------
    NotPeriodic
        If the current does not make the neuron fire (at or below the rheobase).
    """
    current = checks.finite("current_na", current_na)
    g_tonic = checks.non_negative("g_tonic_us", g_tonic_us)
    e_tonic = checks.finite("e_tonic_mv", e_tonic_mv)
    phases = checks.finite_array("phase", phase)
    if np.any((phases < 0) | (phases > 1)):
        raise ValueError("phase: every value must be in [0, 1]")
    period = analytic.interspike_interval_ms(neuron, current, g_tonic, e_tonic)
    if not math.isfinite(period):
        raise NotPeriodic(f"current_na = {checks.show(current)}: the neuron does not fire "
                          "(at or below its rheobase)")
    g_total = neuron.g_leak_us + g_tonic
    v_inf = (neuron.g_leak_us * neuron.e_leak_mv + g_tonic * e_tonic + current) / g_total
    tau = neuron.c_nf / g_total
    theta_t = neuron.theta_0_mv + (neuron.theta_spike_mv - neuron.theta_0_mv) * math.exp(
        -period / neuron.tau_theta_ms)
    slope = (v_inf - theta_t) / tau + (theta_t - neuron.theta_0_mv) / neuron.tau_theta_ms
    return np.exp(-(1.0 - phases) * period / tau) / slope


def closed_form_centroid_phase(neuron: Neuron, current_na: float) -> float:
    """Centroid of the closed-form PRC over the whole cycle, phase in [0, 1].

    Z(phi) is proportional to exp(k phi) with k = T / tau_m, so
    integral(phi Z) / integral(Z) = 1 / (1 - exp(-k)) - 1 / k: 1/2 for k -> 0 (a flat PRC), 1 for
    k -> infinity (all the weight at the end of the cycle).

    Raises
    ------
    NotPeriodic
        If the current does not make the neuron fire (at or below the rheobase).
    """
    current = checks.finite("current_na", current_na)
    period = analytic.interspike_interval_ms(neuron, current)
    if not math.isfinite(period):
        raise NotPeriodic(f"current_na = {checks.show(current)}: at or below the rheobase "
                          f"({analytic.rheobase_na(neuron):.6g} nA), the neuron does not fire")
    k = period / neuron.tau_m_ms
    return 1.0 / -math.expm1(-k) - 1.0 / k


def centroid_phase(phase, prc) -> float:
    """PRC-weighted mean phase: integral of phi Z(phi) over integral of Z(phi), trapezoid rule.

    Parameters
    ----------
    phase : array_like
        Increasing phases in [0, 1] (at least 2).
    prc : array_like
        PRC values at those phases (any units); its integral must not be 0.

    Notes
    -----
    A PRC weighted towards late phases has a centroid above 1/2. The integrals run over the
    given phases only (from the first to the last).
    """
    phases = checks.finite_array("phase", phase)
    values = checks.finite_array("prc", prc)
    if phases.ndim != 1 or phases.size < 2 or values.shape != phases.shape:
        raise ValueError(f"phase and prc: must be 1-d of the same length >= 2, got shapes "
                         f"{phases.shape} and {values.shape}")
    if np.any(np.diff(phases) <= 0) or phases[0] < 0 or phases[-1] > 1:
        raise ValueError("phase: must increase strictly and lie in [0, 1]")
    total = np.trapezoid(values, phases)
    if total == 0:
        raise ValueError("prc: its integral is 0, so it has no centroid")
    return float(np.trapezoid(phases * values, phases) / total)


def period_matching_current_na(neuron: Neuron, period_ms: float) -> float:
    """Current at which the neuron without gates fires with the given period, nA.

    The inverse of ``analytic.interspike_interval_ms`` in the current (the interval falls
    strictly with the current above the rheobase), found with Brent's method. Used to compare
    an adapted neuron's PRC with a non-adapted one *at the same rate* (Ladenbauer et al. 2012
    compare adaptation currents at equal frequency).
    """
    period = checks.positive("period_ms", period_ms)
    low = analytic.rheobase_na(neuron)
    high = max(2.0 * low, 1e-3)
    while analytic.interspike_interval_ms(neuron, high) > period:
        high *= 2.0
        if high > 1e9:
            raise ValueError(f"period_ms = {checks.show(period)}: too short for this neuron")
    return brentq(lambda i: analytic.interspike_interval_ms(neuron, i) - period,
                  low * (1 + 1e-12) + 1e-300, high, xtol=1e-13, rtol=4 * np.finfo(float).eps)


def period_matching_conductance_us(neuron: Neuron, current_na: float, period_ms: float,
                                   e_tonic_mv: float) -> float:
    """Constant conductance that gives the neuron the given period at this current, uS.

    The frozen-conductance control: the adaptation conductance held at the one value that
    reproduces the adapted period, so that its own dynamics are removed but its mean shunt and
    hyperpolarisation stay. The interval grows strictly with the conductance when e_tonic_mv is
    below the baseline threshold; found with Brent's method.

    Raises
    ------
    ValueError
        If e_tonic_mv is not below theta_0, or the period is not longer than the neuron's period
        without the conductance.
    """
    current = checks.finite("current_na", current_na)
    period = checks.positive("period_ms", period_ms)
    e_tonic = checks.finite("e_tonic_mv", e_tonic_mv)
    if not e_tonic < neuron.theta_0_mv:
        raise ValueError(f"e_tonic_mv = {checks.show(e_tonic)}: must be below theta_0_mv")
    if not analytic.interspike_interval_ms(neuron, current) < period:
        raise ValueError(f"period_ms = {checks.show(period)}: not longer than the period without "
                         "the conductance")
    high = neuron.g_leak_us
    while analytic.interspike_interval_ms(neuron, current, high, e_tonic) < period:
        high *= 2.0
    return brentq(lambda g: analytic.interspike_interval_ms(neuron, current, g, e_tonic) - period,
                  0.0, high, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def cycle_voltage_mv(circuit: Circuit, current_na: float, dt_ms: float, phase,
                     state: PeriodicState | None = None) -> np.ndarray:
    """Membrane potential along the periodic orbit at the given phases, mV.

    One cycle is run on the kernel from a spike of the orbit (``periodic_state``); V at
    phi T after the spike is interpolated linearly between the samples. Needed by the
    interaction function, where a conductance input acts with the driving force E - V(t).
    """
    circuit = _check_circuit(circuit)
    current = checks.finite("current_na", current_na)
    dt = checks.positive("dt_ms", dt_ms)
    phases = checks.finite_array("phase", phase)
    if state is None:
        state = periodic_state(circuit, current, dt)
    protocol = Protocol(dt, state.period_ms + 3 * dt)
    run = simulate(_start_circuit(circuit, state.gates_before_spike, dt), current, protocol,
                   record=True)
    # sample k is at time (k - 1) dt after the starting spike (which is at step 1)
    return np.interp(phases * state.period_ms, run.t_ms[1:] - dt, run.v_mv[0, 0, 1:])


def _periodic_synapse(period_ms: float, tau_ms: float, delta: float):
    """The synaptic gate s(u) of a presynaptic neuron firing with this period, u in [0, T)."""
    q = math.exp(-period_ms / tau_ms)
    after = delta / (1.0 - q * (1.0 - delta))  # s just after a spike (steady state)
    return after, lambda u: after * np.exp(-np.mod(u, period_ms) / tau_ms)


def interaction_function(shift, phase, prc_ms_per_mv, v_mv, period_ms: float, c_nf: float,
                         e_syn_mv: float, tau_syn_ms: float, delta_syn: float,
                         gbar_syn_us: float) -> np.ndarray:
    """Weak-coupling interaction function H of two identical neurons coupled by a gate, 1.

    Each neuron's spike time shifts at the rate set by its PRC Z and by the synaptic current it
    receives, gbar s (E - V) / C mV per ms. Averaged over one period T, the time-phase psi_1 of
    a neuron whose partner leads it by chi obeys d psi_1 / dt = 1 + H(chi), with

        H(chi) = (1/T) integral_0^T Z(t) (gbar / C) (E - V(t)) s(t + chi) dt,

    where s(u) = s_+ exp(-u / tau), periodic in T, is the partner's gate u ms after its spike
    (instant rise by delta (1 - s), the book's gate; s_+ its steady value after a spike)
    (Ermentrout & Kopell 1991; Hansel, Mato & Meunier 1995; Ermentrout & Terman 2010, ch. 8).
    The integral is the midpoint rule on the PRC's phases (equal bins).

    Parameters
    ----------
    shift : array_like
        Lead chi of the partner, ms.
    phase, prc_ms_per_mv, v_mv : array_like (n,)
        Phases (bin midpoints of an equal grid on [0, 1)), the PRC (ms per mV) and V (mV) there.
    period_ms, c_nf : float
        Period of the uncoupled neuron (ms) and its capacitance (nF).
    e_syn_mv, tau_syn_ms, delta_syn, gbar_syn_us : float
        The synapse: reversal potential, decay time constant, increment, maximal conductance.
    """
    z, v, phases = (checks.finite_array(n, x) for n, x in
                    (("prc_ms_per_mv", prc_ms_per_mv), ("v_mv", v_mv), ("phase", phase)))
    period = checks.positive("period_ms", period_ms)
    _, s = _periodic_synapse(period, checks.positive("tau_syn_ms", tau_syn_ms),
                             checks.in_closed_range("delta_syn", delta_syn, 0.0, 1.0))
    w = z * checks.non_negative("gbar_syn_us", gbar_syn_us) / checks.positive("c_nf", c_nf) * (
        checks.finite("e_syn_mv", e_syn_mv) - v)
    t = phases * period
    chi = np.atleast_1d(checks.finite_array("shift", shift))
    return np.array([np.mean(w * s(t + c)) for c in chi])


def synchrony_slope_per_ms(phase, prc_ms_per_mv, v_mv, period_ms: float, c_nf: float,
                           e_syn_mv: float, tau_syn_ms: float, delta_syn: float,
                           gbar_syn_us: float) -> float:
    """Slope G'(0) of G(chi) = H(-chi) - H(chi) at synchrony, per ms; < 0: synchrony is stable.

    The lead chi of one neuron over the other obeys d chi / dt = G(chi) (``interaction_function``),
    so in-phase firing is stable when G'(0) < 0. The gate rises instantly, so s jumps by
    ds = s_+ (1 - exp(-T / tau)) once per period and H has a kink at 0; G is still smooth there:

        G'(0) = -(1/T) [ (w(0+) + w(T-)) ds - (2 / tau) integral_0^T w(t) s(t) dt ],

    with w(t) = Z(t) (gbar / C) (E - V(t)). The jump term weighs the PRC at the two ends of the
    cycle; w at the ends is extrapolated linearly from the first and last two phases. The
    integral is the midpoint rule on the PRC's phases.
    """
    z, v, phases = (checks.finite_array(n, x) for n, x in
                    (("prc_ms_per_mv", prc_ms_per_mv), ("v_mv", v_mv), ("phase", phase)))
    if phases.ndim != 1 or phases.size < 3 or z.shape != phases.shape or v.shape != phases.shape:
        raise ValueError("phase, prc_ms_per_mv, v_mv: must be 1-d of the same length >= 3")
    period = checks.positive("period_ms", period_ms)
    tau = checks.positive("tau_syn_ms", tau_syn_ms)
    after, s = _periodic_synapse(period, tau, checks.in_closed_range("delta_syn", delta_syn,
                                                                     0.0, 1.0))
    w = z * checks.non_negative("gbar_syn_us", gbar_syn_us) / checks.positive("c_nf", c_nf) * (
        checks.finite("e_syn_mv", e_syn_mv) - v)
    t = phases * period

    def end(i, j, x):  # linear extrapolation of w to phase x from phases i and j
        return w[i] + (w[j] - w[i]) * (x - phases[i]) / (phases[j] - phases[i])

    jump = after * -math.expm1(-period / tau)
    integral = np.mean(w * s(t)) * period
    return float(-((end(0, 1, 0.0) + end(-2, -1, 1.0)) * jump - 2.0 * integral / tau) / period)


def coupled_pair(circuit: Circuit, e_syn_mv: float, tau_syn_ms: float, delta_syn: float,
                 gbar_syn_us: float, partner_v_0_mv: float) -> Circuit:
    """Two copies of a one-neuron circuit (with its adaptation gates) coupled reciprocally.

    Each neuron keeps its own gates onto itself and receives a synaptic gate from the other
    (the book's gate, ``params.Gate``: instant rise by delta (1 - s), decay with tau). The
    partner starts at ``partner_v_0_mv`` so that the two begin out of phase. This is the
    direct test of the weak-coupling prediction (``synchrony_slope_per_ms``).
    """
    circuit = _check_circuit(circuit)
    neuron = circuit.neurons[0]
    partner = dataclasses.replace(neuron, v_0_mv=checks.finite("partner_v_0_mv", partner_v_0_mv))
    own = tuple(dataclasses.replace(g, source=k, target=k) for k in (0, 1) for g in circuit.gates)
    e = checks.finite("e_syn_mv", e_syn_mv)
    tau = checks.positive("tau_syn_ms", tau_syn_ms)
    delta = checks.in_closed_range("delta_syn", delta_syn, 0.0, 1.0)
    gbar = checks.non_negative("gbar_syn_us", gbar_syn_us)
    synapses = (Gate(0, 1, e, tau, delta, gbar), Gate(1, 0, e, tau, delta, gbar))
    return Circuit((neuron, partner), own + synapses)


def lead_phase(train_1, train_2):
    """Phase by which neuron 1 leads neuron 2, at each spike of neuron 1, in (-1/2, 1/2].

    For each interval [t_k, t_{k+1}) of neuron 1 that contains a spike of neuron 2 at t, the
    lead is (t - t_k) / (t_{k+1} - t_k), wrapped to (-1/2, 1/2] (negative: neuron 2 leads).

    Returns
    -------
    times_ms, lead : ndarray
        t_k and the lead there (1).
    """
    s1 = checks.sorted_times("train_1", train_1)
    s2 = checks.sorted_times("train_2", train_2)
    times, lead = [], []
    for k in range(s1.size - 1):
        j = np.searchsorted(s2, s1[k])
        if j < s2.size and s2[j] < s1[k + 1]:
            d = (s2[j] - s1[k]) / (s1[k + 1] - s1[k])
            times.append(s1[k])
            lead.append(d if d <= 0.5 else d - 1.0)
    return np.array(times), np.array(lead)


def closed_form_voltage_mv(neuron: Neuron, current_na: float, phase, g_tonic_us: float = 0.0,
                           e_tonic_mv: float = 0.0) -> np.ndarray:
    """Membrane potential along the cycle of the neuron without gates, in closed form, mV.

    V(t) = V_inf + (E_L - V_inf) exp(-t / tau) at t = phi T, with V_inf and tau as in
    ``closed_form_prc_ms_per_mv`` (optionally with a constant extra conductance).
    """
    current = checks.finite("current_na", current_na)
    g_tonic = checks.non_negative("g_tonic_us", g_tonic_us)
    e_tonic = checks.finite("e_tonic_mv", e_tonic_mv)
    phases = checks.finite_array("phase", phase)
    period = analytic.interspike_interval_ms(neuron, current, g_tonic, e_tonic)
    if not math.isfinite(period):
        raise NotPeriodic(f"current_na = {checks.show(current)}: the neuron does not fire")
    g_total = neuron.g_leak_us + g_tonic
    v_inf = (neuron.g_leak_us * neuron.e_leak_mv + g_tonic * e_tonic + current) / g_total
    return v_inf + (neuron.e_leak_mv - v_inf) * np.exp(-phases * period * g_total / neuron.c_nf)
