"""The conductance-based integrate-and-fire kernel shared by chapters 1-3.

One compiled time-stepping loop simulates a batch of independent circuits of the same topology
(a current sweep, a coupling sweep or a set of noise seeds is one call). Every neuron is a leaky
integrate-and-fire unit with a fixed or dynamic threshold; every spike-triggered gate adds a
conductance to its target, so adaptation (a gate onto the spiking neuron itself) and synapses
(a gate onto another neuron) are parameters, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numba
import numpy as np

from . import checks, limits
from .params import Circuit, Network
from .presets import Protocol

# Columns of the neuron and synapse-type parameter arrays passed to the compiled loop.
E_LEAK, R, TAU_M, THETA_0, THETA_SPIKE, TAU_THETA, V_0 = range(7)
E_REV, TAU_S, DELTA = range(3)
# Circuits advanced together, one step at a time (see _integrate).
BLOCK = 64


@numba.njit(cache=True)
def _integrate(neuron_par, type_par, gate_src, gate_type, gate_init, weights, current, dt,
               n_steps, traces, spikes):
    """Advance a batch of networks by the spec's exact exponential scheme.

    For each network b and step k -> k+1, with step-k values held over the step
    (spec "Conventions"; a gate j of synapse type c(j) acts on neuron n with w_jn s_j):

        g_eq = g_L + sum_j w_jn s_j,    E_eq = (g_L E_L + sum_j w_jn s_j E_c(j)) / g_eq
        V_inf = E_eq + I_k / g_eq,      tau = C / g_eq                (g_L = 1/R, C = tau_m/R)
        V     <- V_inf + (V - V_inf) exp(-dt/tau)
        theta <- theta_0 + (theta - theta_0) exp(-dt/tau_theta)
        s_j   <- s_j exp(-dt/tau_c(j))

    then every neuron with V >= theta spikes at t_{k+1}: V <- E_L, theta <- theta_spike, and each
    gate it drives gets s <- s + delta_c (1 - s).

    The sums are kept per synapse type and target, G_cn = sum_{j of type c} w_jn s_j: all gates
    of a type decay with one time constant, so G_cn decays with it too and a spike of gate j adds
    w_jn times the increment of s_j. This is exact (up to rounding) and costs O(types x neurons)
    per step instead of O(gates x neurons).

    Parameters
    ----------
    neuron_par : float64 (B, N, 7)
        Columns E_LEAK, R, TAU_M, THETA_0, THETA_SPIKE, TAU_THETA, V_0.
    type_par : float64 (B, C, 3)
        Columns E_REV, TAU_S, DELTA of each synapse type.
    gate_src, gate_type : int64 (G,)
        Source neuron and synapse type of each gate (shared by the batch).
    gate_init : float64 (B, G)
        Gating variables at t = 0.
    weights : float64 (B, G, N)
        Maximal conductance of each gate onto each neuron, uS.
    current : float64 (B, N, 1 or n_steps)
        Input current I_k, nA; a last axis of length 1 is constant in time.
    dt : float
        Time step, ms.
    n_steps : int
        Number of updates.
    traces : tuple of three float64 arrays
        (v, theta, s) of shapes (B, N, n_steps + 1), (B, N, n_steps + 1), (B, G, n_steps + 1)
        to fill, or arrays with a zero first axis to record nothing.
    spikes : int64 (capacity, 3)
        Filled with rows (network, neuron, step index k + 1), in time order within each
        network, as long as there is room.

    Returns
    -------
    n_spikes : int
        Number of spikes; if it exceeds the capacity, only the first rows were stored and the
        caller must run again with a larger buffer.

    Notes
    -----
    Networks never interact, so the order in which they are advanced does not change the
    result: they are taken in blocks of ``BLOCK``, each step is applied to every member of a
    block before the next step, with the block as the innermost loop so that the compiler
    vectorises the updates across networks. State is stored (neuron or gate, member).
    """
    v_out, theta_out, s_out = traces
    record = v_out.shape[0] > 0
    n_batch, n_neurons = neuron_par.shape[0], neuron_par.shape[1]
    n_types, n_gates = type_par.shape[1], gate_src.shape[0]
    varying = current.shape[2] > 1
    capacity = spikes.shape[0]
    n_spikes = 0
    gated = np.zeros(n_neurons, dtype=np.bool_)
    for b in range(n_batch):
        for j in range(n_gates):
            for n in range(n_neurons):
                if weights[b, j, n] != 0.0:
                    gated[n] = True
    width = min(BLOCK, n_batch)
    v = np.empty((n_neurons, width))
    theta = np.empty((n_neurons, width))
    g_eq = np.empty((n_neurons, width))
    g_e = np.empty((n_neurons, width))
    g_leak = np.empty((n_neurons, width))
    g_leak_e = np.empty((n_neurons, width))
    capacitance = np.empty((n_neurons, width))
    decay_m = np.empty((n_neurons, width))
    v_inf_fixed = np.empty((n_neurons, width))
    theta_0 = np.empty((n_neurons, width))
    decay_theta = np.empty((n_neurons, width))
    s = np.empty((n_gates, width))
    g_type = np.empty((n_types, n_neurons, width))
    decay_type = np.empty((n_types, width))
    e_type = np.empty((n_types, width))
    for b0 in range(0, n_batch, width):
        m = min(width, n_batch - b0)
        for n in range(n_neurons):
            for i in range(m):
                par = neuron_par[b0 + i, n]
                v[n, i] = par[V_0]
                theta[n, i] = par[THETA_0]
                theta_0[n, i] = par[THETA_0]
                g_leak[n, i] = 1.0 / par[R]
                g_leak_e[n, i] = g_leak[n, i] * par[E_LEAK]
                capacitance[n, i] = par[TAU_M] / par[R]
                decay_theta[n, i] = np.exp(-dt / par[TAU_THETA])
                # without gates onto n, g_eq = g_L: the membrane's decay factor is constant,
                # and with a constant current so is its target potential
                decay_m[n, i] = np.exp(-dt / (capacitance[n, i] / g_leak[n, i]))
                v_inf_fixed[n, i] = (
                    g_leak_e[n, i] / g_leak[n, i] + current[b0 + i, n, 0] / g_leak[n, i]
                )
        for c in range(n_types):
            for i in range(m):
                decay_type[c, i] = np.exp(-dt / type_par[b0 + i, c, TAU_S])
                e_type[c, i] = type_par[b0 + i, c, E_REV]
                for n in range(n_neurons):
                    g_type[c, n, i] = 0.0
        for j in range(n_gates):
            c = gate_type[j]
            for i in range(m):
                s[j, i] = gate_init[b0 + i, j]
                for n in range(n_neurons):
                    g_type[c, n, i] += weights[b0 + i, j, n] * s[j, i]
        if record:
            for i in range(m):
                v_out[b0 + i, :, 0] = v[:, i]
                theta_out[b0 + i, :, 0] = theta[:, i]
                s_out[b0 + i, :, 0] = s[:, i]
        for k in range(n_steps):
            ik = k if varying else 0
            # exact relaxation of V and theta towards their targets, conductances at step k
            for n in range(n_neurons):
                if gated[n]:
                    for i in range(m):
                        g_eq[n, i] = g_leak[n, i]
                        g_e[n, i] = g_leak_e[n, i]
                    for c in range(n_types):
                        for i in range(m):
                            g_eq[n, i] += g_type[c, n, i]
                            g_e[n, i] += g_type[c, n, i] * e_type[c, i]
                    for i in range(m):
                        v_inf = g_e[n, i] / g_eq[n, i] + current[b0 + i, n, ik] / g_eq[n, i]
                        decay = np.exp(-dt / (capacitance[n, i] / g_eq[n, i]))
                        v[n, i] = v_inf + (v[n, i] - v_inf) * decay
                elif varying:
                    for i in range(m):
                        v_inf = (g_leak_e[n, i] / g_leak[n, i]
                                 + current[b0 + i, n, ik] / g_leak[n, i])
                        v[n, i] = v_inf + (v[n, i] - v_inf) * decay_m[n, i]
                else:
                    for i in range(m):
                        v_inf = v_inf_fixed[n, i]
                        v[n, i] = v_inf + (v[n, i] - v_inf) * decay_m[n, i]
                for i in range(m):
                    theta[n, i] = theta_0[n, i] + (theta[n, i] - theta_0[n, i]) * decay_theta[n, i]
            for j in range(n_gates):
                c = gate_type[j]
                for i in range(m):
                    s[j, i] *= decay_type[c, i]
            for c in range(n_types):
                for n in range(n_neurons):
                    for i in range(m):
                        g_type[c, n, i] *= decay_type[c, i]
            # spikes at t_{k+1}: reset, threshold jump, gate increments
            for n in range(n_neurons):
                for i in range(m):
                    if v[n, i] >= theta[n, i]:
                        if n_spikes < capacity:
                            spikes[n_spikes, 0] = b0 + i
                            spikes[n_spikes, 1] = n
                            spikes[n_spikes, 2] = k + 1
                        n_spikes += 1
                        v[n, i] = neuron_par[b0 + i, n, E_LEAK]
                        theta[n, i] = neuron_par[b0 + i, n, THETA_SPIKE]
                        for j in range(n_gates):
                            if gate_src[j] == n:
                                c = gate_type[j]
                                step = type_par[b0 + i, c, DELTA] * (1.0 - s[j, i])
                                s[j, i] += step
                                for target in range(n_neurons):
                                    g_type[c, target, i] += weights[b0 + i, j, target] * step
            if record:
                for i in range(m):
                    v_out[b0 + i, :, k + 1] = v[:, i]
                    theta_out[b0 + i, :, k + 1] = theta[:, i]
                    s_out[b0 + i, :, k + 1] = s[:, i]
    return n_spikes


@dataclass(frozen=True)
class SimulationResult:
    """Spike times of a batch of circuits, and traces when they were recorded.

    Attributes
    ----------
    protocol : Protocol
        The time grid that was simulated.
    n_neurons : int
        Neurons per circuit.
    spike_steps : ndarray of int, (n_spikes,)
        Grid index k + 1 of every spike, grouped by (circuit, neuron), increasing within a group.
    offsets : ndarray of int, (n_circuits * n_neurons + 1,)
        Spikes of circuit b, neuron n are ``spike_steps[offsets[b*N+n]:offsets[b*N+n+1]]``.
    v_mv, theta_mv : ndarray (n_circuits, n_neurons, N + 1) or None
        Membrane potential (after any reset) and threshold at t_k, when recorded.
    s : ndarray (n_circuits, n_gates, N + 1) or None
        Gating variables at t_k, when recorded.
    """

    protocol: Protocol
    n_neurons: int
    spike_steps: np.ndarray
    offsets: np.ndarray
    v_mv: np.ndarray | None = None
    theta_mv: np.ndarray | None = None
    s: np.ndarray | None = None

    @property
    def n_circuits(self) -> int:
        """Number of circuits in the batch."""
        return (len(self.offsets) - 1) // self.n_neurons

    @property
    def t_ms(self) -> np.ndarray:
        """Sample times t_k = k dt, k = 0..N, ms."""
        return self.protocol.times_ms

    def spike_times(self, circuit: int = 0, neuron: int = 0) -> np.ndarray:
        """Spike times t_{k+1} = (k + 1) dt of one neuron of one circuit, ms."""
        index = circuit * self.n_neurons + neuron
        return self.spike_steps[self.offsets[index] : self.offsets[index + 1]] * self.protocol.dt_ms

    def spike_trains(self, neuron: int = 0) -> list[np.ndarray]:
        """Spike times of one neuron in every circuit of the batch, ms."""
        return [self.spike_times(b, neuron) for b in range(self.n_circuits)]

    def circuit_trains(self, circuit: int = 0) -> list[np.ndarray]:
        """Spike times of every neuron of one circuit, ms."""
        return [self.spike_times(circuit, n) for n in range(self.n_neurons)]

    @classmethod
    def concatenate(cls, parts) -> SimulationResult:
        """One result from the results of consecutive parts of a batch (same protocol)."""
        parts = list(parts)
        first = parts[0]
        offsets = [np.asarray(first.offsets)]
        for part in parts[1:]:
            offsets.append(part.offsets[1:] + offsets[-1][-1])
        recorded = first.v_mv is not None

        def join(name):
            return np.concatenate([getattr(p, name) for p in parts]) if recorded else None

        return cls(
            protocol=first.protocol,
            n_neurons=first.n_neurons,
            spike_steps=np.concatenate([p.spike_steps for p in parts]),
            offsets=np.concatenate(offsets),
            v_mv=join("v_mv"),
            theta_mv=join("theta_mv"),
            s=join("s"),
        )


def _as_batch(circuits) -> list[Network]:
    single = isinstance(circuits, (Circuit, Network))
    batch = [circuits] if single else list(circuits)
    if not batch or not all(isinstance(c, (Circuit, Network)) for c in batch):
        raise ValueError(
            "circuits: must be a Circuit or Network, or a non-empty sequence of them"
        )
    batch = [c.as_network() if isinstance(c, Circuit) else c for c in batch]
    if any(c.topology != batch[0].topology for c in batch):
        raise ValueError(
            "circuits: every circuit of a batch must have the same number of neurons, the same "
            "number of gates and the same gate sources (networks: also the same synapse types)"
        )
    return batch


def _current_array(current_na, n_batch: int, n_neurons: int, n_steps: int) -> np.ndarray:
    current = checks.finite_array("current_na", current_na)
    if current.ndim == 0:
        current = current.reshape(1, 1, 1)
    elif current.ndim == 2:
        current = current[:, :, None]
    elif current.ndim != 3:
        raise ValueError(
            f"current_na has shape {current.shape}: must be a number, (circuits, neurons) for "
            "constant currents or (circuits, neurons, steps) for currents that vary in time"
        )
    batch = max(n_batch, current.shape[0])
    target = (batch, n_neurons, current.shape[2])
    if current.shape[0] not in (1, batch) or current.shape[1] not in (1, n_neurons) or (
        current.shape[2] not in (1, n_steps)
    ):
        raise ValueError(
            f"current_na has shape {current.shape}: cannot be matched to {n_batch} circuit(s) "
            f"of {n_neurons} neuron(s) and {n_steps} steps"
        )
    limits.memory("current_na (circuits x neurons x steps)", 8.0 * np.prod(target, dtype=float),
                  "input currents")
    return np.ascontiguousarray(np.broadcast_to(current, target))


def _parameter_arrays(batch: Sequence[Network], n_batch: int):
    neuron_par = np.array(
        [
            [
                (n.e_leak_mv, n.r_mohm, n.tau_m_ms, n.theta_0_mv, n.theta_spike_mv,
                 n.tau_theta_ms, n.initial_v_mv)
                for n in net.neurons
            ]
            for net in batch
        ],
        dtype=float,
    )
    n_types, n_gates = len(batch[0].synapse_types), len(batch[0].gate_sources)
    type_par = np.array(
        [[(t.e_rev_mv, t.tau_ms, t.delta) for t in net.synapse_types] for net in batch],
        dtype=float,
    ).reshape(len(batch), n_types, 3)
    gate_init = np.array([net.gate_initial for net in batch], dtype=float).reshape(
        len(batch), n_gates)
    weights = np.stack([net.weights_us for net in batch]).astype(float)
    if len(batch) == 1 and n_batch > 1:
        neuron_par, type_par, gate_init, weights = (
            np.repeat(a, n_batch, axis=0) for a in (neuron_par, type_par, gate_init, weights))
    sources = np.array(batch[0].gate_sources, dtype=np.int64)
    types = np.array(batch[0].gate_types, dtype=np.int64)
    return neuron_par, type_par, sources, types, gate_init, np.ascontiguousarray(weights)


def simulate(circuits, current_na, protocol: Protocol, record: bool = False) -> SimulationResult:
    """Simulate a batch of independent integrate-and-fire circuits or networks.

    Parameters
    ----------
    circuits : Circuit, Network, or a sequence of them
        One circuit (shared by every member of the batch) or one per batch member; all with
        the same topology (number of neurons, gate sources and, for networks, synapse types).
        Weights, gate targets and parameters may differ between members.
    current_na : float or array_like
        Injected current, nA. A number; shape (circuits, neurons) for constant currents; or
        (circuits, neurons, N) sampled at the step times ``protocol.step_times_ms``. Axes of
        length 1 broadcast. The batch size is the larger of ``len(circuits)`` and axis 0.
    protocol : Protocol
        Time step and duration.
    record : bool
        Also return V, theta and the gating variables at every sample time (memory grows as
        circuits x neurons x N; leave False for sweeps).

    Returns
    -------
    SimulationResult
        Spike times per circuit and neuron, and traces if ``record``.

    Raises
    ------
    ValueError
        If circuits differ in topology, ``current_na`` is not finite or its shape does not fit.
    neural_dynamics.limits.WorkTooLarge
        If the batch asks for more neuron updates than ``limits.MAX_NEURON_STEPS`` or its
        recorded traces or currents for more memory than ``limits.MAX_BYTES`` (checked before
        anything is allocated).

    Notes
    -----
    The scheme is the spec's exact exponential update with step-k values held over each step;
    see ``_integrate``. It is unconditionally stable: V stays between its start and its
    instantaneous target, and each s in [0, 1].
    """
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol = {protocol!r}: must be a Protocol")
    batch = _as_batch(circuits)
    n_neurons = len(batch[0].neurons)
    n_steps = protocol.n_steps
    n_members = max(len(batch), np.shape(current_na)[0] if np.ndim(current_na) >= 2 else 1)
    sizes = "dt_ms, duration_ms and the batch"
    limits.neuron_steps(sizes, float(n_members) * n_neurons * n_steps)
    n_traces = 2 * n_neurons + len(batch[0].gate_sources) if record else 0
    buffer_rows = float(n_members) * n_neurons * (8 + n_steps // 40)
    limits.memory(sizes, 8.0 * n_members * n_traces * (n_steps + 1.0) + 24.0 * buffer_rows,
                  "recorded traces and spike buffer")
    current = _current_array(current_na, len(batch), n_neurons, n_steps)
    n_batch = current.shape[0]
    if len(batch) not in (1, n_batch):
        raise ValueError(
            f"circuits: {len(batch)} circuits cannot be matched to a current for {n_batch}"
        )
    neuron_par, type_par, sources, types, gate_init, weights = _parameter_arrays(batch, n_batch)
    n_gates = len(sources)
    shape = (n_batch, n_neurons, n_steps + 1) if record else (0, 0, 0)
    traces = (np.empty(shape), np.empty(shape), np.empty(
        (n_batch, n_gates, n_steps + 1) if record else (0, 0, 0)))
    # A first guess of the buffer (a rate of up to ~1 spike per 40 steps); too small, run again.
    capacity = n_batch * n_neurons * (8 + n_steps // 40)
    while True:
        spikes = np.empty((capacity, 3), dtype=np.int64)
        n_spikes = _integrate(
            neuron_par, type_par, sources, types, gate_init, weights, current, protocol.dt_ms,
            n_steps, traces, spikes,
        )
        if n_spikes <= capacity:
            break
        capacity = n_spikes
    spikes = spikes[:n_spikes]
    group = spikes[:, 0] * n_neurons + spikes[:, 1]
    order = np.argsort(group, kind="stable")
    offsets = np.concatenate(([0], np.cumsum(np.bincount(group, minlength=n_batch * n_neurons))))
    return SimulationResult(
        protocol=protocol,
        n_neurons=n_neurons,
        spike_steps=spikes[order, 2],
        offsets=offsets,
        v_mv=traces[0] if record else None,
        theta_mv=traces[1] if record else None,
        s=traces[2] if record else None,
    )
