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


def _check_gates(network) -> tuple[int, np.ndarray, np.ndarray]:
    """Validate a network's neurons, synapse types and gate sources/types (both network forms).

    Stores the neurons and synapse types as tuples; returns the number of neurons and the gate
    sources and types as int64 arrays.
    """
    object.__setattr__(network, "neurons", tuple(network.neurons))
    object.__setattr__(network, "synapse_types", tuple(network.synapse_types))
    n_neurons = len(network.neurons)
    if not n_neurons or not all(isinstance(n, Neuron) for n in network.neurons):
        raise ValueError("neurons: a network needs at least one Neuron, and only Neurons")
    if not all(isinstance(t, SynapseType) for t in network.synapse_types):
        raise ValueError("synapse_types: must be SynapseType objects")
    sources = np.asarray(network.gate_sources, dtype=np.int64).reshape(-1)
    types = np.asarray(network.gate_types, dtype=np.int64).reshape(-1)
    if sources.shape != types.shape:
        raise ValueError("gate_sources and gate_types: must have one entry per gate")
    if sources.size and (sources.min() < 0 or sources.max() >= n_neurons):
        raise ValueError(f"gate_sources: must index the {n_neurons} neurons")
    n_types = len(network.synapse_types)
    if types.size and (types.min() < 0 or types.max() >= n_types):
        raise ValueError(f"gate_types: must index the {n_types} synapse types")
    return n_neurons, sources, types


def _gate_initial(gate_initial, n_gates: int) -> tuple[float, ...]:
    """The gates' initial values, each in [0, 1]; ``None`` means all 0."""
    initial = np.zeros(n_gates) if gate_initial is None else gate_initial
    initial = checks.each("gate_initial", initial, checks.in_closed_range, 0.0, 1.0) if len(
        initial) else np.zeros(0)
    if initial.size != n_gates:
        raise ValueError("gate_initial: must have one value per gate")
    return tuple(float(x) for x in initial)


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
        n_neurons, sources, types = _check_gates(self)
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
        object.__setattr__(self, "gate_initial", _gate_initial(self.gate_initial, sources.size))

    @property
    def topology(self) -> tuple:
        """Neurons, synapse types and gate sources/types: what a batch must share."""
        return len(self.neurons), len(self.synapse_types), self.gate_sources, self.gate_types

    def with_weights(self, weights_us) -> Network:
        """The same network with another weight matrix (e.g. a scaled coupling)."""
        return Network(self.neurons, self.synapse_types, self.gate_sources, self.gate_types,
                       weights_us, self.gate_initial)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class SparseNetwork:
    """A ``Network`` whose gates store only their connections: compressed rows per gate.

    Gate j (source neuron ``gate_sources[j]``, synapse type ``gate_types[j]``) acts on the
    neurons ``target_indices[target_indptr[j]:target_indptr[j + 1]]``, in increasing order,
    with the maximal conductances ``weights_us`` at the same positions. Memory grows as the
    number of connections, not as gates x neurons, and the kernel visits only a spiking
    neuron's targets. Every member of a batch shares the topology (``target_indptr``,
    ``target_indices``, sources and types) and may have its own weights (``with_weights``).

    A connection stored with weight 0 contributes nothing: the kernel adds 0 to the target's
    conductance, so a network gives the same spikes as its dense ``Network`` (``to_dense``),
    bit for bit (see ``from_dense``).

    Parameters
    ----------
    neurons : tuple of Neuron
    synapse_types : tuple of SynapseType
    gate_sources, gate_types : array_like of int, (G,)
        Source neuron and synapse type of each gate.
    target_indptr : array_like of int, (G + 1,)
        Row pointers: 0 first, non-decreasing, the number of connections last.
    target_indices : array_like of int, (connections,)
        Target neuron of each connection, strictly increasing within a gate.
    weights_us : array_like, (connections,)
        Maximal conductance of each connection, uS (>= 0).
    gate_initial : sequence of float, (G,), or None
        Values of the gating variables at t = 0, each in [0, 1]; ``None`` means all 0.
    """

    neurons: tuple[Neuron, ...]
    synapse_types: tuple[SynapseType, ...]
    gate_sources: np.ndarray
    gate_types: np.ndarray
    target_indptr: np.ndarray
    target_indices: np.ndarray
    weights_us: np.ndarray
    gate_initial: tuple[float, ...] | None = None

    def __post_init__(self):
        n_neurons, sources, types = _check_gates(self)
        indptr = np.asarray(self.target_indptr)
        if (indptr.ndim != 1 or indptr.size != sources.size + 1
                or not np.issubdtype(indptr.dtype, np.integer)):
            raise ValueError(
                f"target_indptr has shape {indptr.shape}: must be ({sources.size + 1},) integers, "
                "one row pointer per gate and one past the last")
        indptr = indptr.astype(np.int64, copy=False)
        indices = np.asarray(self.target_indices)
        if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
            raise ValueError("target_indices: must be a 1-d array of neuron indices")
        if indptr[0] != 0 or np.any(np.diff(indptr) < 0) or indptr[-1] != indices.size:
            raise ValueError(
                f"target_indptr: must start at 0, never decrease and end at {indices.size} "
                "(the number of target_indices)")
        if indices.size and (indices.min() < 0 or indices.max() >= n_neurons):
            raise ValueError(f"target_indices: must index the {n_neurons} neurons")
        indices = indices.astype(np.int32 if n_neurons < 2**31 else np.int64, copy=False)
        rising = np.diff(indices) > 0
        starts = indptr[1:-1]
        rising[starts[(starts > 0) & (starts < indices.size)] - 1] = True  # a gate may start low
        if not np.all(rising):
            raise ValueError("target_indices: must increase strictly within each gate")
        weights = checks.finite_array("weights_us", self.weights_us)
        if weights.shape != indices.shape:
            raise ValueError(
                f"weights_us has shape {weights.shape}: must be (connections,) = "
                f"({indices.size},), one weight per target index")
        if np.any(weights < 0):
            raise ValueError("weights_us: conductances must be >= 0")
        for name, value in (("gate_sources", sources), ("gate_types", types),
                            ("target_indptr", indptr), ("target_indices", indices),
                            ("weights_us", weights)):
            object.__setattr__(self, name, _read_only(value))
        object.__setattr__(self, "gate_initial", _gate_initial(self.gate_initial, sources.size))

    @classmethod
    def from_dense(cls, network: Network) -> SparseNetwork:
        """The connections of ``network`` with a nonzero weight, gate by gate, in target order."""
        if not isinstance(network, Network):
            raise ValueError(f"network = {network!r}: must be a Network")
        gates, targets = np.nonzero(network.weights_us)
        indptr = np.concatenate(([0], np.cumsum(np.bincount(gates, minlength=len(
            network.gate_sources)))))
        return cls(network.neurons, network.synapse_types, network.gate_sources,
                   network.gate_types, indptr, targets, network.weights_us[gates, targets],
                   network.gate_initial)

    def to_dense(self) -> Network:
        """The same network as a dense ``Network`` (gates x neurons weights; small networks)."""
        from . import limits

        shape = (self.gate_sources.size, len(self.neurons))
        limits.memory("network", 8.0 * shape[0] * shape[1], "a dense weight matrix")
        weights = np.zeros(shape)
        weights[self.connection_gates(), self.target_indices] = self.weights_us
        return Network(self.neurons, self.synapse_types, self.gate_sources, self.gate_types,
                       weights, self.gate_initial)

    def connection_gates(self) -> np.ndarray:
        """Gate index of every connection, (connections,)."""
        return np.repeat(np.arange(self.gate_sources.size), np.diff(self.target_indptr))

    @property
    def n_connections(self) -> int:
        """Number of stored connections."""
        return int(self.target_indices.size)

    def in_degrees(self) -> np.ndarray:
        """Number of stored connections onto each neuron, (N,)."""
        return np.bincount(self.target_indices, minlength=len(self.neurons))

    def same_topology(self, other) -> bool:
        """True when ``other`` is a SparseNetwork a batch can share with this one: the same
        number of neurons, synapse types, gate sources and types, and connections."""
        if not isinstance(other, SparseNetwork):
            return False
        if len(self.neurons) != len(other.neurons) or len(self.synapse_types) != len(
                other.synapse_types):
            return False
        return all(mine is theirs or np.array_equal(mine, theirs) for mine, theirs in (
            (self.gate_sources, other.gate_sources), (self.gate_types, other.gate_types),
            (self.target_indptr, other.target_indptr),
            (self.target_indices, other.target_indices)))

    def with_weights(self, weights_us) -> SparseNetwork:
        """The same connections with other weights, (connections,) (e.g. a scaled coupling)."""
        return SparseNetwork(self.neurons, self.synapse_types, self.gate_sources,
                             self.gate_types, self.target_indptr, self.target_indices,
                             weights_us, self.gate_initial)
