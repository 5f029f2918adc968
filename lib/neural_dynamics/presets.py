"""The book's named neurons and protocols, with the values of the original analyses.

Source: the book's model specification (``spec/models.md``), chapters 1-3. The chapters'
papermill ``parameters`` cells default to these same values; the chapters' tests
(``tests/test_<chapter>_chapter.py``) check that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks
from .params import Circuit, Gate, Neuron


@dataclass(frozen=True)
class Protocol:
    """Time grid and analysis window of a simulation.

    Parameters
    ----------
    dt_ms : float
        Time step, ms (> 0, and at most ``duration_ms``).
    duration_ms : float
        Simulated duration T, ms (> 0). Samples t_k = k dt for k = 0..round(T/dt).
    transient_ms : float
        Initial period excluded from rates, ms (>= 0 and < ``duration_ms``).
    """

    dt_ms: float
    duration_ms: float
    transient_ms: float = 0.0

    def __post_init__(self):
        dt = checks.positive("dt_ms", self.dt_ms)
        duration = checks.positive("duration_ms", self.duration_ms)
        transient = checks.non_negative("transient_ms", self.transient_ms)
        if dt > duration:
            raise ValueError(
                f"dt_ms = {checks.show(dt)}: must be <= duration_ms = {checks.show(duration)}"
            )
        if transient >= duration:
            raise ValueError(
                f"duration_ms = {checks.show(duration)}: must be longer than "
                f"transient_ms = {checks.show(transient)}"
            )

    @property
    def n_steps(self) -> int:
        """Number of updates N = round(T / dt)."""
        return int(round(self.duration_ms / self.dt_ms))

    @property
    def times_ms(self) -> np.ndarray:
        """Sample times t_k = k dt, k = 0..N (N + 1 values, T included), ms."""
        return np.arange(self.n_steps + 1) * self.dt_ms

    @property
    def step_times_ms(self) -> np.ndarray:
        """Start times t_k of the N updates (k = 0..N-1), where inputs are sampled, ms."""
        return np.arange(self.n_steps) * self.dt_ms


#: Chapter 1, fixed threshold: E_L = -65 mV, V_th = -50 mV, tau_m = 30 ms, R = 10 MOhm.
FIXED_THRESHOLD_NEURON = Neuron.fixed_threshold(
    e_leak_mv=-65.0, r_mohm=10.0, tau_m_ms=30.0, v_th_mv=-50.0
)

#: Chapter 1, dynamic threshold: theta_0 = -55 mV, jumps to 0 mV, relaxes with 10 ms.
DYNAMIC_THRESHOLD_NEURON = Neuron(
    e_leak_mv=-65.0,
    r_mohm=10.0,
    tau_m_ms=30.0,
    theta_0_mv=-55.0,
    theta_spike_mv=0.0,
    tau_theta_ms=10.0,
)

#: Chapter 1 protocol: dt = 0.05 ms, T = 300 ms, transient 50 ms.
EXCITABILITY_PROTOCOL = Protocol(dt_ms=0.05, duration_ms=300.0, transient_ms=50.0)

#: Chapter 2, adaptive neuron: theta_0 = -55 mV, jumps to +50 mV, relaxes with 10 ms.
ADAPTIVE_NEURON = Neuron(
    e_leak_mv=-65.0,
    r_mohm=10.0,
    tau_m_ms=30.0,
    theta_0_mv=-55.0,
    theta_spike_mv=50.0,
    tau_theta_ms=10.0,
)

#: Chapter 2 adaptation gate: E_a = -90 mV, tau_a = 700 ms, delta_a = 0.1, gbar_a = 2/R = 0.2 uS.
ADAPTATION_GATE = Gate(source=0, target=0, e_rev_mv=-90.0, tau_ms=700.0, delta=0.1, gbar_us=0.2)

#: Chapter 2 circuit: the adaptive neuron with its adaptation gate.
ADAPTIVE_CIRCUIT = Circuit((ADAPTIVE_NEURON,), (ADAPTATION_GATE,))

#: Chapter 2 protocol: dt = 0.05 ms, T = 800 ms, transient 100 ms.
ADAPTATION_PROTOCOL = Protocol(dt_ms=0.05, duration_ms=800.0, transient_ms=100.0)

#: Chapter 3 neuron: as chapter 2's, with a faster threshold relaxation (tau_theta = 5 ms).
SYNCHRONY_NEURON = Neuron(
    e_leak_mv=-65.0,
    r_mohm=10.0,
    tau_m_ms=30.0,
    theta_0_mv=-55.0,
    theta_spike_mv=50.0,
    tau_theta_ms=5.0,
)

#: Chapter 3 pair: 1 -> 2 excitatory (E = 0 mV), 2 -> 1 inhibitory (E = -70 mV), tau = 10 ms,
#: delta = 0.2, R gbar = 2 each way.
SYNCHRONY_PAIR = Circuit(
    (SYNCHRONY_NEURON, SYNCHRONY_NEURON),
    (Gate(0, 1, 0.0, 10.0, 0.2, 0.2), Gate(1, 0, -70.0, 10.0, 0.2, 0.2)),
)

#: Chapter 3 protocol: dt = 0.01 ms, T = 150 ms, transient 50 ms; both neurons at 2.5 nA.
SYNCHRONY_PROTOCOL = Protocol(dt_ms=0.01, duration_ms=150.0, transient_ms=50.0)
