"""Parameter objects of the integrate-and-fire family: neurons, gates and circuits.

All three are frozen dataclasses validated on construction, with units in their field names
(ms, mV, MOhm, uS, nA; MOhm x nF = ms). See ``presets`` for the book's named neurons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import checks


@dataclass(frozen=True)
class Neuron:
    """Leaky integrate-and-fire neuron with a fixed or dynamic threshold.

    Parameters
    ----------
    e_leak_mv : float
        Leak reversal (resting) potential E_L, mV. Also the reset potential after a spike.
    r_mohm : float
        Membrane resistance R, MOhm (> 0). The leak conductance is g_L = 1/R uS.
    tau_m_ms : float
        Membrane time constant tau_m = R C, ms (> 0).
    theta_0_mv : float
        Baseline threshold theta_0, mV (> e_leak_mv: a threshold at or below rest would fire
        at rest and has no meaning here).
    theta_spike_mv : float
        Threshold right after a spike, mV (>= theta_0_mv). Equal to ``theta_0_mv`` for a fixed
        threshold.
    tau_theta_ms : float
        Relaxation time constant of the threshold back to theta_0, ms (> 0). Irrelevant for a
        fixed threshold.
    v_0_mv : float or None
        Membrane potential at t = 0, mV; ``None`` starts at rest (``e_leak_mv``).

    Notes
    -----
    Between spikes (spec "Conventions"; Lapicque 1907, Gerstner et al. 2014 ch. 1)

    .. math:: \\tau_m \\dot V = -(V - E_L) + R I, \\qquad
              \\tau_\\theta \\dot\\theta = -(\\theta - \\theta_0),

    and when V reaches theta: V <- E_L, theta <- theta_spike.
    """

    e_leak_mv: float
    r_mohm: float
    tau_m_ms: float
    theta_0_mv: float
    theta_spike_mv: float
    tau_theta_ms: float
    v_0_mv: float | None = None

    def __post_init__(self):
        checks.finite("e_leak_mv", self.e_leak_mv)
        checks.positive("r_mohm", self.r_mohm)
        checks.positive("tau_m_ms", self.tau_m_ms)
        checks.greater_than("theta_0_mv", self.theta_0_mv, "e_leak_mv", self.e_leak_mv)
        checks.at_least("theta_spike_mv", self.theta_spike_mv, "theta_0_mv", self.theta_0_mv)
        checks.positive("tau_theta_ms", self.tau_theta_ms)
        if self.v_0_mv is not None:
            checks.finite("v_0_mv", self.v_0_mv)

    @classmethod
    def fixed_threshold(cls, e_leak_mv, r_mohm, tau_m_ms, v_th_mv, v_0_mv=None):
        """A neuron whose threshold stays at ``v_th_mv`` (theta_spike = theta_0 = V_th)."""
        return cls(e_leak_mv, r_mohm, tau_m_ms, v_th_mv, v_th_mv, 1.0, v_0_mv)

    @property
    def is_fixed_threshold(self) -> bool:
        """True when the threshold does not move after a spike."""
        return self.theta_spike_mv == self.theta_0_mv

    @property
    def initial_v_mv(self) -> float:
        """Membrane potential at t = 0, mV."""
        return self.e_leak_mv if self.v_0_mv is None else self.v_0_mv

    @property
    def g_leak_us(self) -> float:
        """Leak conductance g_L = 1/R, uS."""
        return 1.0 / self.r_mohm

    @property
    def c_nf(self) -> float:
        """Membrane capacitance C = tau_m / R, nF."""
        return self.tau_m_ms / self.r_mohm


@dataclass(frozen=True)
class Gate:
    """Spike-triggered gating variable s that opens a conductance gbar*s on a target neuron.

    A gate from a neuron onto itself is spike-triggered adaptation; onto another neuron, a
    synapse.

    Parameters
    ----------
    source : int
        Index of the neuron whose spikes increment s.
    target : int
        Index of the neuron that receives the conductance.
    e_rev_mv : float
        Reversal potential of the conductance, mV.
    tau_ms : float
        Decay time constant of s, ms (> 0).
    delta : float
        Increment per spike, in [0, 1]: s <- s + delta (1 - s), so s stays in [0, 1].
    gbar_us : float
        Maximal conductance, uS (>= 0).
    s_0 : float
        Value of s at t = 0, in [0, 1].

    Notes
    -----
    s_{k+1} = s_k exp(-dt/tau) between spikes (spec "Conventions"; the saturating increment
    follows Dayan & Abbott 2001, ch. 5.8).
    """

    source: int
    target: int
    e_rev_mv: float
    tau_ms: float
    delta: float
    gbar_us: float
    s_0: float = 0.0

    def __post_init__(self):
        for name in ("source", "target"):
            index = getattr(self, name)
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise ValueError(f"{name} = {index!r}: must be a neuron index, an int >= 0")
        checks.finite("e_rev_mv", self.e_rev_mv)
        checks.positive("tau_ms", self.tau_ms)
        checks.in_closed_range("delta", self.delta, 0.0, 1.0)
        checks.non_negative("gbar_us", self.gbar_us)
        checks.in_closed_range("s_0", self.s_0, 0.0, 1.0)


@dataclass(frozen=True)
class Circuit:
    """Neurons and the spike-triggered gates among them.

    Parameters
    ----------
    neurons : tuple of Neuron
        At least one neuron; neuron ``i`` is addressed by its index.
    gates : tuple of Gate
        Gates whose ``source`` and ``target`` index ``neurons``.
    """

    neurons: tuple[Neuron, ...]
    gates: tuple[Gate, ...] = field(default=())

    def __post_init__(self):
        object.__setattr__(self, "neurons", tuple(self.neurons))
        object.__setattr__(self, "gates", tuple(self.gates))
        if not self.neurons:
            raise ValueError("neurons = (): a circuit needs at least one neuron")
        for neuron in self.neurons:
            if not isinstance(neuron, Neuron):
                raise ValueError(f"neurons contains {neuron!r}: must be Neuron objects")
        for gate in self.gates:
            if not isinstance(gate, Gate):
                raise ValueError(f"gates contains {gate!r}: must be Gate objects")
            for name in ("source", "target"):
                if getattr(gate, name) >= len(self.neurons):
                    raise ValueError(
                        f"gate {name} = {getattr(gate, name)}: must index one of the "
                        f"{len(self.neurons)} neurons (0..{len(self.neurons) - 1})"
                    )

    @classmethod
    def of(cls, neuron: Neuron) -> Circuit:
        """A circuit of one neuron without gates."""
        return cls((neuron,))

    def as_network(self) -> Network:
        """The same circuit as a ``Network``: one synapse type per gate, one target per gate."""
        weights = np.zeros((len(self.gates), len(self.neurons)))
        for j, gate in enumerate(self.gates):
            weights[j, gate.target] = gate.gbar_us
        return Network(
            self.neurons,
            tuple(SynapseType(g.e_rev_mv, g.tau_ms, g.delta) for g in self.gates),
            tuple(g.source for g in self.gates),
            tuple(range(len(self.gates))),
            weights,
            tuple(g.s_0 for g in self.gates),
        )


@dataclass(frozen=True)
class SynapseType:
    """A kind of spike-triggered conductance shared by many gates (e.g. excitatory, inhibitory).

    Parameters
    ----------
    e_rev_mv : float
        Reversal potential, mV.
    tau_ms : float
        Decay time constant of the gating variables of this type, ms (> 0).
    delta : float
        Increment per presynaptic spike, s <- s + delta (1 - s), in [0, 1].
    """

    e_rev_mv: float
    tau_ms: float
    delta: float

    def __post_init__(self):
        checks.finite("e_rev_mv", self.e_rev_mv)
        checks.positive("tau_ms", self.tau_ms)
        checks.in_closed_range("delta", self.delta, 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class Network:
    """Neurons coupled through typed gates and a weight matrix.

    Gate j is driven by the spikes of neuron ``gate_sources[j]``, has the kinetics and reversal
    potential of ``synapse_types[gate_types[j]]``, and opens a conductance
    ``weights_us[j, n] * s_j`` on every neuron n. One gate per presynaptic neuron and synapse type
    makes a recurrent network; a ``Circuit`` is the special case of one target per gate.

    Parameters
    ----------
    neurons : tuple of Neuron
    synapse_types : tuple of SynapseType
    gate_sources, gate_types : sequence of int, (G,)
        Source neuron and synapse type of each gate.
    weights_us : array_like, (G, N)
        Maximal conductance of each gate onto each neuron, uS (>= 0).
    gate_initial : sequence of float, (G,), or None
        Values of the gating variables at t = 0, each in [0, 1]; ``None`` means all 0.
    """

    neurons: tuple[Neuron, ...]
    synapse_types: tuple[SynapseType, ...]
    gate_sources: tuple[int, ...]
    gate_types: tuple[int, ...]
    weights_us: np.ndarray
    gate_initial: tuple[float, ...] | None = None

    def __post_init__(self):
        object.__setattr__(self, "neurons", tuple(self.neurons))
        object.__setattr__(self, "synapse_types", tuple(self.synapse_types))
        n_neurons = len(self.neurons)
        if not n_neurons or not all(isinstance(n, Neuron) for n in self.neurons):
            raise ValueError("neurons: a network needs at least one Neuron, and only Neurons")
        if not all(isinstance(t, SynapseType) for t in self.synapse_types):
            raise ValueError("synapse_types: must be SynapseType objects")
        sources = np.asarray(self.gate_sources, dtype=np.int64).reshape(-1)
        types = np.asarray(self.gate_types, dtype=np.int64).reshape(-1)
        if sources.shape != types.shape:
            raise ValueError("gate_sources and gate_types: must have one entry per gate")
        if sources.size and (sources.min() < 0 or sources.max() >= n_neurons):
            raise ValueError(f"gate_sources: must index the {n_neurons} neurons")
        if types.size and (types.min() < 0 or types.max() >= len(self.synapse_types)):
            raise ValueError(f"gate_types: must index the {len(self.synapse_types)} synapse types")
        weights = checks.finite_array("weights_us", self.weights_us)
        if weights.shape != (sources.size, n_neurons):
            raise ValueError(
                f"weights_us has shape {weights.shape}: must be (gates, neurons) = "
                f"({sources.size}, {n_neurons})"
            )
        if np.any(weights < 0):
            raise ValueError("weights_us: conductances must be >= 0")
        object.__setattr__(self, "gate_sources", tuple(int(i) for i in sources))
        object.__setattr__(self, "gate_types", tuple(int(i) for i in types))
        weights.setflags(write=False)
        object.__setattr__(self, "weights_us", weights)
        initial = np.zeros(sources.size) if self.gate_initial is None else self.gate_initial
        initial = checks.each("gate_initial", initial, checks.in_closed_range, 0.0, 1.0) if len(
            initial) else np.zeros(0)
        if initial.size != sources.size:
            raise ValueError("gate_initial: must have one value per gate")
        object.__setattr__(self, "gate_initial", tuple(float(x) for x in initial))

    @property
    def topology(self) -> tuple:
        """Neurons, synapse types and gate sources/types: what a batch must share."""
        return len(self.neurons), len(self.synapse_types), self.gate_sources, self.gate_types

    def with_weights(self, weights_us) -> Network:
        """The same network with another weight matrix (e.g. a scaled coupling)."""
        return Network(self.neurons, self.synapse_types, self.gate_sources, self.gate_types,
                       weights_us, self.gate_initial)
