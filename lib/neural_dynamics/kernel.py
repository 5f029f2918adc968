"""The conductance-based integrate-and-fire kernel shared by chapters 1-3.

One compiled time-stepping loop simulates a batch of independent circuits of the same topology
(a current sweep, a coupling sweep or a set of noise seeds is one call). Every neuron is a leaky
integrate-and-fire unit with a fixed or dynamic threshold; every spike-triggered gate adds a
conductance to its target, so adaptation (a gate onto the spiking neuron itself) and synapses
(a gate onto another neuron) are parameters, not code.

Connections are stored as compressed rows per gate (a ``SparseNetwork``, or the nonzero
weights of a dense ``Network``), so memory grows with the number of connections and a step
costs O(neurons + gates + spikes x targets). Members are advanced in blocks of ``BLOCK``, time
in chunks when the noise is drawn during the run (``simulate_drawing``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

import numba
import numpy as np

from . import checks, limits
from .params import Circuit, Network, SparseNetwork
from .presets import Protocol

# Columns of the neuron and synapse-type parameter arrays passed to the compiled loop.
E_LEAK, R, TAU_M, THETA_0, THETA_SPIKE, TAU_THETA, V_0 = range(7)
E_REV, TAU_S, DELTA = range(3)
# Circuits advanced together, one step at a time (see _integrate).
BLOCK = 64


# Rows of the per-neuron state of a block of members (see _prepare).
V, THETA, G_LEAK, G_LEAK_E, CAPACITANCE, DECAY_M, V_INF_FIXED, THETA_REST, DECAY_THETA, ETA = (
    range(10))
DECAY_TYPE, E_TYPE = range(2)


@numba.njit(cache=True)
def _current_strides(current):
    """0 or 1 for the member and neuron axes of a current of shape (1 or B, 1 or N, 1 or K):
    the current is passed as given, not broadcast to (B, N, K) (which copied it per member),
    and read as ``current[b * cb, n * cn, k]``."""
    return (1 if current.shape[0] > 1 else 0), (1 if current.shape[1] > 1 else 0)


@numba.njit(cache=True)
def _prepare(neuron_par, type_par, gate_type, gate_init, gate_indptr, targets, weights,
             current, dt, b0, m, width):
    """The state at t = 0 of members b0 .. b0 + m - 1, and the constants of their update.

    Returns ``(neuron_state, s, g_type, type_state)``: neuron_state (10, N, width) holds the
    rows V .. ETA (V, theta, g_L, g_L E_L, C, exp(-dt/tau_m), the fixed target potential
    E_L + I/g_L, theta_0, exp(-dt/tau_theta), the streamed noise current); s (G, width) the
    gating variables; g_type (C, N, width) the summed conductances of each synapse type onto each
    neuron, G_cn = sum_{j of type c} w_jn s_j; type_state (2, C, width) each type's decay
    factor and reversal potential. State is stored (neuron or gate, member).
    """
    n_neurons, n_types, n_gates = neuron_par.shape[1], type_par.shape[1], gate_type.shape[0]
    cb, cn = _current_strides(current)
    state = np.zeros((10, n_neurons, width))
    s = np.zeros((n_gates, width))
    g_type = np.zeros((n_types, n_neurons, width))
    type_state = np.zeros((2, n_types, width))
    for n in range(n_neurons):
        for i in range(m):
            par = neuron_par[b0 + i, n]
            g_leak = 1.0 / par[R]
            capacitance = par[TAU_M] / par[R]
            state[V, n, i] = par[V_0]
            state[THETA, n, i] = par[THETA_0]
            state[THETA_REST, n, i] = par[THETA_0]
            state[G_LEAK, n, i] = g_leak
            state[G_LEAK_E, n, i] = g_leak * par[E_LEAK]
            state[CAPACITANCE, n, i] = capacitance
            state[DECAY_THETA, n, i] = np.exp(-dt / par[TAU_THETA])
            # without gates onto n, g_eq = g_L: the membrane's decay factor is constant,
            # and with a constant current so is its target potential
            state[DECAY_M, n, i] = np.exp(-dt / (capacitance / g_leak))
            state[V_INF_FIXED, n, i] = (state[G_LEAK_E, n, i] / g_leak
                                        + current[(b0 + i) * cb, n * cn, 0] / g_leak)
    for c in range(n_types):
        for i in range(m):
            type_state[DECAY_TYPE, c, i] = np.exp(-dt / type_par[b0 + i, c, TAU_S])
            type_state[E_TYPE, c, i] = type_par[b0 + i, c, E_REV]
    shared = weights.shape[0] == 1
    for j in range(n_gates):
        c = gate_type[j]
        for i in range(m):
            s[j, i] = gate_init[b0 + i, j]
            row = 0 if shared else b0 + i
            for p in range(gate_indptr[j], gate_indptr[j + 1]):
                g_type[c, targets[p], i] += weights[row, p] * s[j, i]
    return state, s, g_type, type_state


@numba.njit(cache=True, error_model="numpy")
def _steps_one(neuron_par, type_par, gate_type, gate_indptr, targets, weights, source_indptr,
               source_gates, gated, current, noise, ou, dt, b0, k0, n_chunk, state, v, theta,
               eta, s, g_type, type_state, fired, traces, spikes, n_spikes):
    """Steps k0 .. k0 + n_chunk - 1 of a single member (m = 1); returns the spikes so far (see
    ``_advance``).

    The same arithmetic as ``_steps_batch`` in loops without the member axis: a large network
    is one member, and tiny member loops would dominate its cost. Each step is a few passes over
    the neurons in contiguous arrays - input current and noise; g_eq and g_eq E_eq (the G_cn
    decay in the same pass); V_inf and exp's argument for every neuron as if gated, then the
    ungated ones; the exponentials; V and theta; the spikes - with the same expressions in the
    same order for each neuron as a single pass, so the results are the same bit for bit. All
    passes but the exponentials (libm calls) and the spike scan are vectorised, and the calls to
    ``exp`` follow each other without a division chain in between (issue 13: ~25 -> 18 ns per
    neuron-step at 10,000 neurons). ``error_model="numpy"`` drops numba's division-by-zero
    checks, which kept the divisions scalar: no divisor can be 0 (g_L > 0, every weight and
    s >= 0, so g_eq >= g_L; C / g_L > 0 is checked by ``_prepare``), and if
    C / g_eq ever underflowed to 0, exp(-dt/0) = 0 is the limit tau -> 0."""
    n_neurons, n_types, n_gates = neuron_par.shape[1], g_type.shape[0], s.shape[0]
    varying = current.shape[2] > 1
    cb, cn = _current_strides(current)
    noisy = noise.shape[0] > 0
    record = traces[0].shape[0] > 0
    # The member's state and constants in contiguous arrays (the block may be wider than 1), with
    # views of the shapes _deliver and _record take; copied back at the end.
    v_1, theta_1, eta_1 = v[:, 0].copy(), theta[:, 0].copy(), eta[:, 0].copy()
    s_1, g_1 = s[:, 0].copy(), g_type[:, :, 0].copy()
    v_view, theta_view = v_1.reshape((n_neurons, 1)), theta_1.reshape((n_neurons, 1))
    s_view, g_view = s_1.reshape((n_gates, 1)), g_1.reshape((n_types, n_neurons, 1))
    g_leak, g_leak_e = state[G_LEAK, :, 0].copy(), state[G_LEAK_E, :, 0].copy()
    capacitance = state[CAPACITANCE, :, 0].copy()
    theta_rest, decay_theta = state[THETA_REST, :, 0].copy(), state[DECAY_THETA, :, 0].copy()
    e_type, decay_type = type_state[E_TYPE, :, 0].copy(), type_state[DECAY_TYPE, :, 0].copy()
    decay_gate = np.empty(n_gates)
    for j in range(n_gates):
        decay_gate[j] = decay_type[gate_type[j]]
    # per neuron and step: input current, g_eq, g_eq E_eq; the target potential and exp's
    # argument or the decay factor
    i_k, g_eq, g_e = np.empty(n_neurons), np.empty(n_neurons), np.empty(n_neurons)
    v_inf, decay = np.empty(n_neurons), np.empty(n_neurons)
    for k in range(k0, k0 + n_chunk):
        # V and theta relax, the conductances decay, spikes at t_{k+1} are noted and reset
        ik = k if varying else 0
        for n in range(n_neurons):
            i_k[n] = current[b0 * cb, n * cn, ik]
        if noisy:  # eta_k: sigma xi_0 at k = 0, else sigma sqrt(1 - a^2) xi_k + a eta_{k-1}
            if k == 0:
                for n in range(n_neurons):
                    eta_1[n] = ou[2] * noise[0, 0, n]
            else:
                for n in range(n_neurons):
                    eta_1[n] = ou[1] * noise[0, k - k0, n] + ou[0] * eta_1[n]
            for n in range(n_neurons):
                i_k[n] += eta_1[n]
        g_eq[:] = g_leak
        g_e[:] = g_leak_e
        for c in range(n_types):  # G_cn enters g_eq, then decays (nothing else reads it)
            e_c, decay_c = e_type[c], decay_type[c]
            for n in range(n_neurons):
                g_cn = g_1[c, n]
                g_eq[n] += g_cn
                g_e[n] += g_cn * e_c
                g_1[c, n] = g_cn * decay_c
        for n in range(n_neurons):  # every neuron as if gated (vectorised), then the others
            v_inf[n] = g_e[n] / g_eq[n] + i_k[n] / g_eq[n]
            decay[n] = -dt / (capacitance[n] / g_eq[n])  # exp's argument
        for n in range(n_neurons):
            if gated[n]:
                continue
            if varying or noisy:
                v_inf[n] = g_leak_e[n] / g_leak[n] + i_k[n] / g_leak[n]
            else:
                v_inf[n] = state[V_INF_FIXED, n, 0]
            decay[n] = state[DECAY_M, n, 0]
        for n in range(n_neurons):
            if gated[n]:
                decay[n] = np.exp(decay[n])
        for n in range(n_neurons):
            v_1[n] = v_inf[n] + (v_1[n] - v_inf[n]) * decay[n]
            theta_1[n] = theta_rest[n] + (theta_1[n] - theta_rest[n]) * decay_theta[n]
        n_fired = 0
        for n in range(n_neurons):
            if v_1[n] >= theta_1[n]:
                fired[n_fired, 0] = n
                fired[n_fired, 1] = 0
                n_fired += 1
                v_1[n] = neuron_par[b0, n, E_LEAK]
                theta_1[n] = neuron_par[b0, n, THETA_SPIKE]
        for j in range(n_gates):
            s_1[j] *= decay_gate[j]
        if n_fired > 0:
            n_spikes = _deliver(type_par, gate_type, gate_indptr, targets, weights,
                                source_indptr, source_gates, b0, k, s_view, g_view, fired,
                                n_fired, spikes, n_spikes)
        if record:
            _record(traces, b0, 1, k, v_view, theta_view, s_view)
    v[:, 0], theta[:, 0], eta[:, 0] = v_1, theta_1, eta_1
    s[:, 0], g_type[:, :, 0] = s_1, g_1
    return n_spikes


@numba.njit(cache=True)
def _steps_batch(neuron_par, type_par, gate_type, gate_indptr, targets, weights, source_indptr,
                 source_gates, gated, current, noise, ou, dt, b0, m, k0, n_chunk, state, v,
                 theta, eta, s, g_type, type_state, fired, traces, spikes, n_spikes):
    """``_steps_one`` for m members at once, with the member as the innermost loop so that
    the compiler vectorises the updates across members."""
    n_neurons, n_types, n_gates = neuron_par.shape[1], g_type.shape[0], s.shape[0]
    varying = current.shape[2] > 1
    cb, cn = _current_strides(current)
    noisy = noise.shape[0] > 0
    record = traces[0].shape[0] > 0
    i_k, g_eq, g_e = np.empty(m), np.empty(m), np.empty(m)
    for k in range(k0, k0 + n_chunk):
        # V and theta relax, the conductances decay, spikes at t_{k+1} are noted and reset
        ik = k if varying else 0
        for n in range(n_neurons):
            if gated[n] or varying or noisy:
                for i in range(m):
                    i_k[i] = current[(b0 + i) * cb, n * cn, ik]
            if noisy:
                for i in range(m):
                    if k == 0:
                        eta[n, i] = ou[2] * noise[i, 0, n]
                    else:
                        eta[n, i] = ou[1] * noise[i, k - k0, n] + ou[0] * eta[n, i]
                    i_k[i] += eta[n, i]
            if gated[n]:
                for i in range(m):
                    g_eq[i] = state[G_LEAK, n, i]
                    g_e[i] = state[G_LEAK_E, n, i]
                for c in range(n_types):
                    for i in range(m):
                        g_eq[i] += g_type[c, n, i]
                        g_e[i] += g_type[c, n, i] * type_state[E_TYPE, c, i]
                for i in range(m):
                    v_inf = g_e[i] / g_eq[i] + i_k[i] / g_eq[i]
                    decay = np.exp(-dt / (state[CAPACITANCE, n, i] / g_eq[i]))
                    v[n, i] = v_inf + (v[n, i] - v_inf) * decay
            elif varying or noisy:
                for i in range(m):
                    g_leak = state[G_LEAK, n, i]
                    v_inf = state[G_LEAK_E, n, i] / g_leak + i_k[i] / g_leak
                    v[n, i] = v_inf + (v[n, i] - v_inf) * state[DECAY_M, n, i]
            else:
                for i in range(m):
                    v_inf = state[V_INF_FIXED, n, i]
                    v[n, i] = v_inf + (v[n, i] - v_inf) * state[DECAY_M, n, i]
            for i in range(m):
                rest = state[THETA_REST, n, i]
                theta[n, i] = rest + (theta[n, i] - rest) * state[DECAY_THETA, n, i]
        for c in range(n_types):
            for n in range(n_neurons):
                for i in range(m):
                    g_type[c, n, i] *= type_state[DECAY_TYPE, c, i]
        n_fired = 0
        for n in range(n_neurons):
            n_above = 0  # a vectorised count first: most steps have no spike to note
            for i in range(m):
                n_above += v[n, i] >= theta[n, i]
            if n_above == 0:
                continue
            for i in range(m):
                if v[n, i] >= theta[n, i]:
                    fired[n_fired, 0] = n
                    fired[n_fired, 1] = i
                    n_fired += 1
                    v[n, i] = neuron_par[b0 + i, n, E_LEAK]
                    theta[n, i] = neuron_par[b0 + i, n, THETA_SPIKE]
        for j in range(n_gates):
            c = gate_type[j]
            for i in range(m):
                s[j, i] *= type_state[DECAY_TYPE, c, i]
        if n_fired > 0:
            n_spikes = _deliver(type_par, gate_type, gate_indptr, targets, weights,
                                source_indptr, source_gates, b0, k, s, g_type, fired, n_fired,
                                spikes, n_spikes)
        if record:
            _record(traces, b0, m, k, v, theta, s)
    return n_spikes


@numba.njit(cache=True)
def _deliver(type_par, gate_type, gate_indptr, targets, weights, source_indptr, source_gates,
             b0, k, s, g_type, fired, n_fired, spikes, n_spikes):
    """Store the ``n_fired`` spikes at t_{k+1} listed in ``fired`` (rows neuron, member) from
    row ``n_spikes`` of ``spikes`` on, as far as there is room, and add each one's gate
    increments to the gates and their targets, in the order of (neuron, member). Returns the
    spikes so far."""
    capacity = spikes.shape[0]
    shared = weights.shape[0] == 1
    for f in range(n_fired):
        n, i = fired[f, 0], fired[f, 1]
        if n_spikes < capacity:
            spikes[n_spikes, 0] = b0 + i
            spikes[n_spikes, 1] = n
            spikes[n_spikes, 2] = k + 1
        n_spikes += 1
        for q in range(source_indptr[n], source_indptr[n + 1]):
            j = source_gates[q]
            c = gate_type[j]
            step = type_par[b0 + i, c, DELTA] * (1.0 - s[j, i])
            s[j, i] += step
            row = 0 if shared else b0 + i
            for p in range(gate_indptr[j], gate_indptr[j + 1]):
                g_type[c, targets[p], i] += weights[row, p] * step
    return n_spikes


@numba.njit(cache=True)
def _record(traces, b0, m, k, v, theta, s):
    """Write V, theta and s of members b0 .. b0 + m - 1 at t_{k+1} into ``traces``."""
    v_out, theta_out, s_out = traces
    for i in range(m):
        v_out[b0 + i, :, k + 1] = v[:, i]
        theta_out[b0 + i, :, k + 1] = theta[:, i]
        s_out[b0 + i, :, k + 1] = s[:, i]


@numba.njit(cache=True, nogil=True)
def _advance(neuron_par, type_par, gate_type, gate_indptr, targets, weights, source_indptr,
             source_gates, gated, current, noise, ou, dt, b0, m, k0, n_chunk, model_state,
             traces, spikes, n_spikes):
    """Advance members b0 .. b0 + m - 1 of a batch from step k0 to k0 + n_chunk.

    The spec's exact exponential scheme, for each network b and step k -> k+1 with step-k
    values held over the step (spec "Conventions"; a gate j of synapse type c(j) acts on
    neuron n with w_jn s_j):

        g_eq = g_L + sum_j w_jn s_j,    E_eq = (g_L E_L + sum_j w_jn s_j E_c(j)) / g_eq
        V_inf = E_eq + I_k / g_eq,      tau = C / g_eq                (g_L = 1/R, C = tau_m/R)
        V     <- V_inf + (V - V_inf) exp(-dt/tau)
        theta <- theta_0 + (theta - theta_0) exp(-dt/tau_theta)
        s_j   <- s_j exp(-dt/tau_c(j))

    then every neuron with V >= theta spikes at t_{k+1}: V <- E_L, theta <- theta_spike, and each
    gate it drives gets s <- s + delta_c (1 - s).

    The sums are kept per synapse type and target, G_cn = sum_{j of type c} w_jn s_j: all gates
    of a type decay with one time constant, so G_cn decays with it too and a spike of gate j adds
    w_jn times the increment of s_j to the G_cn of its targets only. The connections are
    compressed rows per gate, so a spike costs O(its targets) and a step O(types x neurons +
    gates + spikes x targets). This is exact (up to rounding); a connection of weight 0 adds 0.

    Parameters
    ----------
    neuron_par : float64 (B, N, 7)
        Columns E_LEAK, R, TAU_M, THETA_0, THETA_SPIKE, TAU_THETA, V_0.
    type_par : float64 (B, C, 3)
        Columns E_REV, TAU_S, DELTA of each synapse type.
    gate_type : int64 (G,)
        Synapse type of each gate (shared by the batch).
    gate_indptr, targets : int64 (G + 1,), int (connections,)
        Gate j acts on ``targets[gate_indptr[j]:gate_indptr[j + 1]]`` (shared by the batch).
    weights : float64 (B or 1, connections)
        Maximal conductance of each connection in each member (one row: shared by all), uS.
    source_indptr, source_gates : int64 (N + 1,), int64 (G,)
        The gates neuron n drives are ``source_gates[source_indptr[n]:source_indptr[n + 1]]``,
        in increasing order.
    gated : bool (N,)
        Whether any connection onto the neuron has a nonzero weight in any member.
    current : float64 (1 or B, 1 or N, 1 or n_steps)
        Input current I_k, nA; an axis of length 1 is the same for every member, neuron or step
        (read as broadcast, never copied: ``_current_strides``).
    noise : float64 or float32 (m, n_chunk, N), or (0, 0, 0)
        Standard normal draws xi_k of the streamed Ornstein-Uhlenbeck noise (member, step of
        the chunk, neuron), or an empty array for none. The noise eta is added to I_k:
        eta_0 = sigma xi_0, eta_k = sigma sqrt(1 - a^2) xi_k + a eta_{k-1}.
    ou : float64 (3,)
        a = exp(-dt/tau_noise), sigma sqrt(1 - a^2) and sigma.
    dt : float
        Time step, ms.
    b0, m : int
        First member and number of members advanced.
    k0, n_chunk : int
        First step and number of steps.
    model_state : tuple
        As returned by ``_prepare``; updated in place.
    traces : tuple of three float64 arrays
        (v, theta, s) of shapes (B, N, n_steps + 1), (B, N, n_steps + 1), (B, G, n_steps + 1)
        to fill, or arrays with a zero first axis to record nothing.
    spikes : int64 (capacity, 3)
        Filled from row ``n_spikes`` on with rows (network, neuron, step index k + 1), in time
        order within each network, as long as there is room.
    n_spikes : int
        Rows used so far.

    Returns
    -------
    n_spikes : int
        Spikes so far; if it exceeds the capacity, only the first rows were stored and the
        caller must run again with a larger buffer.

    Notes
    -----
    Networks never interact, so the order in which they are advanced does not change the
    result: they are taken in blocks of ``BLOCK``, each step is applied to every member of a
    block before the next step, with the block as the innermost loop so that the compiler
    vectorises the updates across networks.
    """
    # The updated state in arrays of their own, copied back at the end. The time loop runs
    # inside _steps_one / _steps_batch, entered once per chunk: numba increfs and decrefs
    # (atomically) every array argument on each call, also of an inline="always" function, and
    # a call per step (~40 atomic operations) cost more than the update of a block of 64 single
    # neurons (0.37 -> 0.87 ms per block, issue 13). Inside the loop only a step with spikes
    # calls a function (_deliver), and a recorded one (_record).
    state, s_kept, g_kept, type_state = model_state
    v, theta, eta = state[V].copy(), state[THETA].copy(), state[ETA].copy()
    s, g_type = s_kept.copy(), g_kept.copy()
    fired = np.empty((neuron_par.shape[1] * m, 2), dtype=np.int64)
    if m == 1:
        n_spikes = _steps_one(neuron_par, type_par, gate_type, gate_indptr, targets, weights,
                              source_indptr, source_gates, gated, current, noise, ou, dt, b0, k0,
                              n_chunk, state, v, theta, eta, s, g_type, type_state, fired,
                              traces, spikes, n_spikes)
    else:
        n_spikes = _steps_batch(neuron_par, type_par, gate_type, gate_indptr, targets, weights,
                                source_indptr, source_gates, gated, current, noise, ou, dt, b0,
                                m, k0, n_chunk, state, v, theta, eta, s, g_type, type_state,
                                fired, traces, spikes, n_spikes)
    state[V], state[THETA], state[ETA] = v, theta, eta
    s_kept[:], g_kept[:] = s, g_type
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


NETWORK_TYPES = (Circuit, Network, SparseNetwork)
NO_NOISE = np.zeros((0, 0, 0))
# Most bytes of noise drawn at once for a block of members (see simulate_drawing).
NOISE_CHUNK_BYTES = 2**25


def _as_batch(circuits) -> list:
    single = isinstance(circuits, NETWORK_TYPES)
    batch = [circuits] if single else list(circuits)
    if not batch or not all(isinstance(c, NETWORK_TYPES) for c in batch):
        raise ValueError(
            "circuits: must be a Circuit, Network or SparseNetwork, or a non-empty sequence of "
            "them"
        )
    batch = [c.as_network() if isinstance(c, Circuit) else c for c in batch]
    sparse = [isinstance(c, SparseNetwork) for c in batch]
    if any(sparse):
        if not all(sparse) or not all(batch[0].same_topology(c) for c in batch[1:]):
            raise ValueError(
                "circuits: every circuit of a batch must have the same number of neurons, the "
                "same number of gates and the same gate sources (sparse networks: all sparse, "
                "with the same synapse types and connections; use with_weights)"
            )
    elif any(c.topology != batch[0].topology for c in batch):
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
    return _fixed_type(current, float)  # as given: the kernel broadcasts (_current_strides)


def _connections(batch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row pointers, targets and per-member weights (members, connections) of a batch.

    Dense networks keep the connections with a nonzero weight in some member, gate by gate in
    target order: the kernel then adds the same nonzero terms in the same order as a dense sum
    (adding 0 changes no float), so the results do not change.
    """
    first = batch[0]
    if isinstance(first, SparseNetwork):
        weights = np.stack([net.weights_us for net in batch])
        return first.target_indptr, first.target_indices, weights
    used = np.zeros(first.weights_us.shape, dtype=bool)
    for net in batch:
        used |= net.weights_us != 0.0
    gates, targets = np.nonzero(used)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(gates, minlength=used.shape[0]))))
    weights = np.stack([net.weights_us[gates, targets] for net in batch])
    return indptr.astype(np.int64), targets.astype(np.int64), weights


def _fixed_type(values, dtype) -> np.ndarray:
    """``values`` as a read-only C-contiguous array of ``dtype`` (a view where no copy is needed).

    numba compiles the kernel once per combination of argument types, and an array's dtype and
    its write flag are part of its type: dense and sparse networks, broadcast and full currents
    gave five versions of ``_advance`` at ~20 s of compilation each (in every fresh numba cache:
    a fresh clone, ``make portable``). One type per argument gives one version per noise dtype.
    Only integer widths and flags change, never a value, so results are unchanged.
    """
    array = np.ascontiguousarray(values, dtype=dtype).view()
    array.flags.writeable = False
    return array


def _parameter_arrays(batch: Sequence, n_batch: int) -> dict:
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
    n_neurons = neuron_par.shape[1]
    n_types, n_gates = len(batch[0].synapse_types), len(batch[0].gate_sources)
    type_par = np.array(
        [[(t.e_rev_mv, t.tau_ms, t.delta) for t in net.synapse_types] for net in batch],
        dtype=float,
    ).reshape(len(batch), n_types, 3)
    gate_init = np.array([net.gate_initial for net in batch], dtype=float).reshape(
        len(batch), n_gates)
    indptr, targets, weights = _connections(batch)
    if len(batch) == 1 and n_batch > 1:  # the weights stay one row, shared by the members
        neuron_par, type_par, gate_init = (
            np.repeat(a, n_batch, axis=0) for a in (neuron_par, type_par, gate_init))
    sources = np.asarray(batch[0].gate_sources, dtype=np.int64)
    gated = np.zeros(n_neurons, dtype=np.bool_)
    gated[targets[np.any(weights != 0.0, axis=0)]] = True
    return {
        "neuron_par": neuron_par, "type_par": type_par,
        "gate_type": _fixed_type(batch[0].gate_types, np.int64), "gate_init": gate_init,
        "gate_indptr": _fixed_type(indptr, np.int64), "targets": _fixed_type(targets, np.int32),
        "weights": np.ascontiguousarray(weights, dtype=float),
        "source_indptr": np.concatenate(([0], np.cumsum(np.bincount(sources,
                                                                   minlength=n_neurons)))),
        "source_gates": np.argsort(sources, kind="stable").astype(np.int64),
        "gated": gated,
    }


def _check_work(batch, n_members: int, n_steps: int, record: bool) -> None:
    n_neurons = len(batch[0].neurons)
    sizes = "dt_ms, duration_ms and the batch"
    limits.neuron_steps(sizes, float(n_members) * n_neurons * n_steps)
    n_traces = 2 * n_neurons + len(batch[0].gate_sources) if record else 0
    buffer_rows = float(n_members) * n_neurons * (8 + n_steps // 40)
    limits.memory(sizes, 8.0 * n_members * n_traces * (n_steps + 1.0) + 24.0 * buffer_rows,
                  "recorded traces and spike buffer")


def _chunks(n_batch: int, width: int, n_steps: int, chunk: int) -> list:
    """(b0, m, k0, n_chunk) of every chunk of a run, in the order they are simulated: blocks of
    ``width`` members, each through time in chunks of ``chunk`` steps."""
    return [(b0, min(width, n_batch - b0), k0, min(chunk, n_steps - k0))
            for b0 in range(0, n_batch, width) for k0 in range(0, n_steps, chunk)]


class _Prefetch:
    """The noise of each chunk, ``draw(*chunk)`` (``NO_NOISE`` without ``draw``), drawn one
    chunk ahead in a second thread while the kernel (which releases the GIL) runs the current
    one. The calls to ``draw`` are made one at a time in the order of ``chunks``, so the draws
    (and the result) are those of drawing each chunk just before it is simulated."""

    def __init__(self, draw, chunks):
        self.draw, self.chunks = draw, chunks
        self.pool = None if draw is None else ThreadPoolExecutor(max_workers=1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        return False

    def __iter__(self):
        if self.pool is None:
            yield from (NO_NOISE for _ in self.chunks)
            return
        ahead = self.pool.submit(self.draw, *self.chunks[0]) if self.chunks else None
        for index in range(len(self.chunks)):
            noise = ahead.result()
            if index + 1 < len(self.chunks):
                ahead = self.pool.submit(self.draw, *self.chunks[index + 1])
            yield noise


def _run(batch, current: np.ndarray, protocol: Protocol, record: bool, draw=None,
         ou=(0.0, 0.0, 0.0), chunk_steps: int | None = None) -> SimulationResult:
    """Run the kernel on members in blocks of ``BLOCK``, and time in chunks of ``chunk_steps``
    (all steps at once without ``draw``); ``draw(b0, m, k0, n_chunk)`` returns the noise of a
    chunk, (m, n_chunk, N)."""
    n_batch = max(len(batch), current.shape[0])
    n_neurons, n_steps = len(batch[0].neurons), protocol.n_steps
    if len(batch) not in (1, n_batch):
        raise ValueError(
            f"circuits: {len(batch)} circuits cannot be matched to a current for {n_batch}"
        )
    arrays = _parameter_arrays(batch, n_batch)
    n_gates = arrays["gate_type"].size
    shape = (n_batch, n_neurons, n_steps + 1) if record else (0, 0, 0)
    traces = (np.empty(shape), np.empty(shape), np.empty(
        (n_batch, n_gates, n_steps + 1) if record else (0, 0, 0)))
    width = min(BLOCK, n_batch)
    chunk = n_steps
    if draw is not None:  # chunk_steps, fewer if a block's draws would exceed their budget
        chunk = min(n_steps, chunk_steps, NOISE_CHUNK_BYTES // (8 * width * n_neurons))
    chunk = max(1, chunk)
    ou = np.asarray(ou, dtype=float)
    # A first guess of the buffer (a rate of up to ~1 spike per 40 steps); with drawn noise it
    # grows before each chunk to hold every possible spike, else a run that overflows it is
    # repeated with a larger one.
    capacity = n_batch * n_neurons * (8 + n_steps // 40)
    while True:
        spikes = np.empty((capacity, 3), dtype=np.int64)
        n_spikes = 0
        chunks = _chunks(n_batch, width, n_steps, chunk)
        with _Prefetch(draw, chunks) as noises:
            for (b0, m, k0, n_chunk), noise in zip(chunks, noises, strict=True):
                if k0 == 0:
                    state = _prepare(arrays["neuron_par"], arrays["type_par"],
                                     arrays["gate_type"], arrays["gate_init"],
                                     arrays["gate_indptr"], arrays["targets"], arrays["weights"],
                                     current, protocol.dt_ms, b0, m, width)
                    if record:
                        traces[0][b0:b0 + m, :, 0] = state[0][V, :, :m].T
                        traces[1][b0:b0 + m, :, 0] = state[0][THETA, :, :m].T
                        traces[2][b0:b0 + m, :, 0] = state[1][:, :m].T
                if draw is not None:
                    room = n_spikes + m * n_neurons * n_chunk
                    if room > spikes.shape[0]:
                        spikes = np.concatenate(
                            [spikes[:n_spikes], np.empty((max(room, 2 * spikes.shape[0])
                                                          - n_spikes, 3), dtype=np.int64)])
                n_spikes = _advance(
                    arrays["neuron_par"], arrays["type_par"], arrays["gate_type"],
                    arrays["gate_indptr"], arrays["targets"], arrays["weights"],
                    arrays["source_indptr"], arrays["source_gates"], arrays["gated"], current,
                    noise, ou, protocol.dt_ms, b0, m, k0, n_chunk, state, traces, spikes,
                    n_spikes)
        if n_spikes <= spikes.shape[0]:
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


def simulate(circuits, current_na, protocol: Protocol, record: bool = False) -> SimulationResult:
    """Simulate a batch of independent integrate-and-fire circuits or networks.

    Parameters
    ----------
    circuits : Circuit, Network, SparseNetwork, or a sequence of them
        One circuit (shared by every member of the batch) or one per batch member; all with
        the same topology (number of neurons, gate sources and, for networks, synapse types;
        sparse networks: all sparse, with the same connections). Weights, gate targets and
        parameters may differ between members.
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
    see ``_advance``. It is unconditionally stable: V stays between its start and its
    instantaneous target, and each s in [0, 1]. Connections are visited per spiking source
    (compressed rows), so a dense ``Network`` and its ``SparseNetwork.from_dense`` give the same
    spikes bit for bit.
    """
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol = {protocol!r}: must be a Protocol")
    batch = _as_batch(circuits)
    n_neurons = len(batch[0].neurons)
    n_members = max(len(batch), np.shape(current_na)[0] if np.ndim(current_na) >= 2 else 1)
    _check_work(batch, n_members, protocol.n_steps, record)
    current = _current_array(current_na, len(batch), n_neurons, protocol.n_steps)
    return _run(batch, current, protocol, record)


def simulate_drawing(circuits, current_na, protocol: Protocol, draw, ou, record: bool = False,
                     chunk_steps: int = 128) -> SimulationResult:
    """``simulate`` with Ornstein-Uhlenbeck noise drawn chunk by chunk during the run.

    Parameters
    ----------
    circuits, current_na, protocol, record
        As for ``simulate`` (``current_na`` is the mean current, usually constant).
    draw : callable
        ``draw(b0, m, k0, n_chunk)`` returns standard normal draws xi_k of shape
        (m, n_chunk, neurons), float64 or float32 (read as they are), for members
        b0 .. b0 + m - 1 and steps k0 .. k0 + n_chunk - 1. It is called one chunk at a time in
        the order of the steps for each block of members, one chunk ahead of the simulation
        and in a second thread (the compiled loop releases the GIL, so drawing the next chunk
        overlaps simulating this one); ``draw`` must not depend on the state of the run.
    ou : sequence of three floats
        a = exp(-dt/tau), sigma sqrt(1 - a^2) and sigma: the noise current is
        eta_0 = sigma xi_0, eta_k = sigma sqrt(1 - a^2) xi_k + a eta_{k-1}, added to I_k.
    chunk_steps : int
        Steps per chunk (>= 1), fewer when members-per-block x chunk_steps x neurons draws
        would take more than ``NOISE_CHUNK_BYTES``; the result does not depend on it.

    Notes
    -----
    Used by ``noise.simulate_with_streamed_noise``; the noise never exists as a neurons x steps
    array.
    """
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol = {protocol!r}: must be a Protocol")
    chunk_steps = checks.integer("chunk_steps", chunk_steps, 1)
    batch = _as_batch(circuits)
    n_neurons = len(batch[0].neurons)
    n_members = max(len(batch), np.shape(current_na)[0] if np.ndim(current_na) >= 2 else 1)
    _check_work(batch, n_members, protocol.n_steps, record)
    current = _current_array(current_na, len(batch), n_neurons, protocol.n_steps)
    return _run(batch, current, protocol, record, draw, ou, chunk_steps)
