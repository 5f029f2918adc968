"""Builders of recurrent networks on the book's integrate-and-fire kernel."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import checks, limits
from .params import Circuit, Gate, Network, Neuron, SparseNetwork, SynapseType

PATHWAYS = ("E->E", "E->I", "I->E", "I->I")


def _validated_ei(n_exc, n_inh, p_connect, weights, rng) -> tuple[float, dict]:
    """Check the arguments shared by the E-I builders; return p and the four weights."""
    for name, value in (("n_exc", n_exc), ("n_inh", n_inh)):
        least = 1 if name == "n_exc" else 0
        if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                or value < least):
            raise ValueError(f"{name} = {value!r}: must be an int >= {least}")
    p = checks.in_closed_range("p_connect", p_connect, 0.0, 1.0)
    w = {name: checks.non_negative(name, value) for name, value in weights}
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator")
    return p, w


def ei_network(neuron: Neuron, n_exc: int, n_inh: int, p_connect: float,
               excitatory: SynapseType, inhibitory: SynapseType, w_e_to_e_us: float,
               w_e_to_i_us: float, w_i_to_e_us: float, w_i_to_i_us: float,
               rng: np.random.Generator) -> Network:
    """A random excitatory-inhibitory network (Erdos-Renyi connectivity, no self-connections).

    Neurons 0 .. n_exc - 1 are excitatory, the next n_inh inhibitory; every neuron drives one
    gate of its population's synapse type, which acts on each neuron it connects to with the
    weight of that pair of populations (a Brunel-2000-style network of conductance synapses).
    The weights are a dense (N, N) matrix: for large networks use :func:`sparse_ei_network`,
    which draws the same connections from the same ``rng``.

    Parameters
    ----------
    neuron : Neuron
        The model of every neuron.
    n_exc, n_inh : int
        Population sizes (n_exc >= 1, n_inh >= 0).
    p_connect : float
        Probability of each directed connection, in [0, 1].
    excitatory, inhibitory : SynapseType
        Kinetics and reversal potentials of the two synapse types.
    w_e_to_e_us, w_e_to_i_us, w_i_to_e_us, w_i_to_i_us : float
        Maximal conductance of one connection from the first to the second population, uS (>= 0).
    rng : numpy.random.Generator
        Draws the connectivity.
    """
    p, w = _validated_ei(n_exc, n_inh, p_connect, (
        ("w_e_to_e_us", w_e_to_e_us), ("w_e_to_i_us", w_e_to_i_us),
        ("w_i_to_e_us", w_i_to_e_us), ("w_i_to_i_us", w_i_to_i_us)), rng)
    n = n_exc + n_inh
    exc = np.arange(n) < n_exc
    connected = rng.random((n, n)) < p
    np.fill_diagonal(connected, False)
    weights = np.where(
        exc[:, None],
        np.where(exc[None, :], w["w_e_to_e_us"], w["w_e_to_i_us"]),
        np.where(exc[None, :], w["w_i_to_e_us"], w["w_i_to_i_us"]),
    ) * connected
    return Network(
        neurons=(neuron,) * n,
        synapse_types=(excitatory, inhibitory),
        gate_sources=tuple(range(n)),
        gate_types=tuple(0 if e else 1 for e in exc),
        weights_us=weights,
    )


# Uniform draws held at once while building a sparse network (a block of source rows).
ROW_BLOCK_DRAWS = 2**22
SPARSE_DRAWS = ("matrix", "per_source")


def _matrix_connections(n: int, p: float, rng: np.random.Generator):
    """Connections per source and their targets (int32), drawn in the order of
    ``rng.random((n, n)) < p`` with the diagonal removed, a block of rows at a time."""
    counts, targets = [], []
    rows = max(1, ROW_BLOCK_DRAWS // n)
    for first in range(0, n, rows):
        block = rng.random((min(rows, n - first), n)) < p
        block[np.arange(block.shape[0]), first + np.arange(block.shape[0])] = False
        source, target = np.nonzero(block)
        counts.append(np.bincount(source, minlength=block.shape[0]))
        targets.append(target.astype(np.int32))
    return np.concatenate(counts), np.concatenate(targets)


def _per_source_connections(n: int, p: float, rng: np.random.Generator):
    """Connections per source and their targets (int32) in O(n K): the positions of the
    connections among the n (n - 1) pairs (source-major, self-pairs left out), from i.i.d.
    geometric gaps (Bernoulli(p) trials counted to the next success)."""
    pairs = n * (n - 1)
    if p == 0.0 or pairs == 0:
        return np.zeros(n, dtype=np.int64), np.zeros(0, dtype=np.int32)
    counts, targets, last = np.zeros(n, dtype=np.int64), [], -1
    while last < pairs:  # the block size changes how many draws are taken, not their values
        expected = p * (pairs - last)
        size = int(min(ROW_BLOCK_DRAWS, expected + 6.0 * np.sqrt(expected) + 64))
        flat = last + np.cumsum(rng.geometric(p, size=size))
        last = int(flat[-1])
        source, rest = np.divmod(flat[flat < pairs], n - 1)
        counts += np.bincount(source, minlength=n)
        targets.append((rest + (rest >= source)).astype(np.int32))
    return counts, np.concatenate(targets)


def sparse_ei_network(neuron: Neuron, n_exc: int, n_inh: int, p_connect: float,
                      excitatory: SynapseType, inhibitory: SynapseType, w_e_to_e_us: float,
                      w_e_to_i_us: float, w_i_to_e_us: float, w_i_to_i_us: float,
                      rng: np.random.Generator, draw: str = "matrix") -> SparseNetwork:
    """The network of :func:`ei_network` as a ``SparseNetwork``, without an N x N array.

    Source neuron i connects to target n != i with probability p_connect, independently for
    every ordered pair (Erdos-Renyi). Two ways of drawing it from ``rng``:

    - ``draw="matrix"`` (default): i connects to n when the uniform draw u_in < p_connect, the
      draws taken a block of source rows at a time in the order of ``rng.random((N, N))``, so
      with the same seed the connections are those of :func:`ei_network` (chapter 3's
      network). Memory O(N K + ``ROW_BLOCK_DRAWS``) for K = p (N - 1) connections per neuron,
      but time O(N^2) uniform draws.
    - ``draw="per_source"``: the same distribution drawn in O(N K) time and memory. The N (N - 1)
      candidate pairs are taken source by source (targets n != i in increasing order) and
      the gaps between consecutive connections are i.i.d. geometric with parameter p_connect
      (``rng.geometric``, in blocks of ``ROW_BLOCK_DRAWS``), which is exactly a Bernoulli trial
      per pair. A different realisation from "matrix" with the same seed.

    Every connection is stored with its pathway's weight, a weight of 0 included, so that
    ``with_weights`` can scale or switch each pathway on the same topology.

    Parameters
    ----------
    neuron, n_exc, n_inh, p_connect, excitatory, inhibitory, w_e_to_e_us, w_e_to_i_us, \
w_i_to_e_us, w_i_to_i_us, rng
        As for :func:`ei_network`.
    draw : {"matrix", "per_source"}
        How the connections are drawn (see above).

    Returns
    -------
    SparseNetwork
        Gate j is driven by neuron j (type 0 for excitatory sources, 1 for inhibitory).

    Raises
    ------
    ValueError
        Naming ``n_exc``, ``n_inh``, ``p_connect``, a weight, ``rng`` or ``draw`` when out of
        range.
    neural_dynamics.limits.WorkTooLarge
        If the expected connections would take more than ``limits.MAX_BYTES``.
    """
    if draw not in SPARSE_DRAWS:
        raise ValueError(f"draw = {draw!r}: must be one of {', '.join(SPARSE_DRAWS)}")
    p, w = _validated_ei(n_exc, n_inh, p_connect, (
        ("w_e_to_e_us", w_e_to_e_us), ("w_e_to_i_us", w_e_to_i_us),
        ("w_i_to_e_us", w_i_to_e_us), ("w_i_to_i_us", w_i_to_i_us)), rng)
    n = int(n_exc + n_inh)
    limits.memory("n_exc, n_inh, p_connect", 12.0 * p * n * (n - 1), "connections")
    table = np.array([[w["w_e_to_e_us"], w["w_e_to_i_us"]],
                      [w["w_i_to_e_us"], w["w_i_to_i_us"]]])
    if draw == "matrix":
        counts, targets = _matrix_connections(n, p, rng)
    else:
        counts, targets = _per_source_connections(n, p, rng)
    inh_source, inh_target = np.repeat(np.arange(n) >= n_exc, counts), targets >= n_exc
    weights = np.where(inh_source, np.where(inh_target, table[1, 1], table[1, 0]),
                       np.where(inh_target, table[0, 1], table[0, 0]))
    exc = np.arange(n) < n_exc
    return SparseNetwork(
        neurons=(neuron,) * n,
        synapse_types=(excitatory, inhibitory),
        gate_sources=np.arange(n),
        gate_types=np.where(exc, 0, 1),
        target_indptr=np.concatenate(([0], np.cumsum(counts))),
        target_indices=targets,
        weights_us=weights,
    )


def coupled_pair(neuron: Neuron, ratio_12: float, ratio_21: float, e_12_mv: float,
                 e_21_mv: float, tau_syn_ms: float, delta_syn: float):
    """Two copies of ``neuron`` coupled by one synapse each way (the original synchrony motif).

    Gate 1 -> 2 has reversal ``e_12_mv`` and maximal conductance ratio_12 / R; gate 2 -> 1 has
    ``e_21_mv`` and ratio_21 / R; both decay with ``tau_syn_ms`` and increment by ``delta_syn``.

    Raises
    ------
    ValueError
        Naming ``ratio_12``, ``ratio_21``, ``tau_syn_ms`` or ``delta_syn`` when out of range.
    """
    r12 = checks.non_negative("ratio_12", ratio_12)
    r21 = checks.non_negative("ratio_21", ratio_21)
    tau = checks.positive("tau_syn_ms", tau_syn_ms)
    delta = checks.in_closed_range("delta_syn", delta_syn, 0.0, 1.0)
    e12 = checks.finite("e_12_mv", e_12_mv)
    e21 = checks.finite("e_21_mv", e_21_mv)
    return Circuit(
        (neuron, neuron),
        (Gate(0, 1, e12, tau, delta, r12 / neuron.r_mohm),
         Gate(1, 0, e21, tau, delta, r21 / neuron.r_mohm)),
    )


def without_pathways(network, n_exc: int, pathways):
    """The network of :func:`ei_network` with every connection of some pathways removed.

    An ablation: ``("I->E",)`` removes the inhibition of the excitatory neurons and keeps all
    else, as in the tests of the PING mechanism (Borgers & Kopell 2003). The removed
    connections get weight 0; a ``SparseNetwork`` keeps them stored, so the ablated network
    shares the intact one's topology and both can run in one batch.

    Parameters
    ----------
    network : Network or SparseNetwork
        Neurons 0 .. n_exc - 1 excitatory, the rest inhibitory; one gate per neuron, gate j
        driven by neuron j.
    n_exc : int
        Number of excitatory neurons (1 .. neurons).
    pathways : sequence of str
        Each one of ``PATHWAYS``: "E->E", "E->I", "I->E", "I->I" (source -> target).
    """
    n = len(network.neurons)
    if not isinstance(n_exc, (int, np.integer)) or not 1 <= n_exc <= n:
        raise ValueError(f"n_exc = {n_exc!r}: must be an int in [1, {n}]")
    if len(network.gate_sources) != n or not np.array_equal(network.gate_sources, np.arange(n)):
        raise ValueError("network: must have one gate per neuron, gate j driven by neuron j")
    exc = np.arange(n) < n_exc
    weights = np.array(network.weights_us)
    sparse = isinstance(network, SparseNetwork)
    if sparse:  # the source and target of every connection
        sources, targets = network.connection_gates(), network.target_indices
    for pathway in pathways:
        if pathway not in PATHWAYS:
            raise ValueError(f"pathways: {pathway!r} is not one of {', '.join(PATHWAYS)}")
        source = exc if pathway[0] == "E" else ~exc
        target = exc if pathway[-1] == "E" else ~exc
        if sparse:
            weights[source[sources] & target[targets]] = 0.0
        else:
            weights[np.ix_(source, target)] = 0.0
    return network.with_weights(weights)


def with_initial_potentials(network, v_0_mv):
    """The same network (``Network`` or ``SparseNetwork``) with each neuron started at its own
    membrane potential v_0_mv[i], mV."""
    v_0 = checks.finite_array("v_0_mv", v_0_mv)
    if v_0.shape != (len(network.neurons),):
        raise ValueError(f"v_0_mv has shape {v_0.shape}: must be ({len(network.neurons)},), "
                         "one value per neuron")
    neurons = tuple(replace(n, v_0_mv=float(v)) for n, v in zip(network.neurons, v_0,
                                                                 strict=True))
    return replace(network, neurons=neurons)


def psp_peak_mv(neuron: Neuron, synapse: SynapseType, weights_us, v_hold_mv: float,
                dt_ms: float = 0.01) -> np.ndarray:
    """Peak of the postsynaptic potential of one presynaptic spike, mV (signed).

    The target neuron is held at ``v_hold_mv`` by a constant current I = g_L (v_hold - E_L);
    one spike opens the synapse's gate from 0 to delta, which then decays with the synapse's
    time constant, and the membrane follows the book's conductance-based equation

        C dV/dt = -g_L (V - E_L) - w s(t) (V - E_syn) + I,   s(t) = delta exp(-t / tau_s),

    with the exact exponential update (spec "Conventions"), the threshold ignored (a
    subthreshold PSP). Returned is the extreme of V - v_hold: positive for an EPSP, negative
    for an IPSP, 0 at the synapse's reversal potential. For small w it approaches the
    current-based PSP w delta (E_syn - v_hold) / C * tau_m tau_s / (tau_m - tau_s) *
    (exp(-t*/tau_m) - exp(-t*/tau_s)) at its peak time t* (Gerstner et al. 2014, ch. 3).

    Parameters
    ----------
    neuron : Neuron
        The target neuron (E_L, R, tau_m).
    synapse : SynapseType
        Reversal potential, decay time constant and increment of the synapse.
    weights_us : float or array_like
        Maximal conductance of the connection, uS (>= 0); an array gives one peak per weight.
    v_hold_mv : float
        Holding potential, mV.
    dt_ms : float
        Integration step, ms (> 0).

    Returns
    -------
    numpy.ndarray
        Signed peaks, the shape of ``weights_us``.
    """
    w = checks.each("weights_us", np.atleast_1d(weights_us), checks.non_negative).reshape(
        np.shape(weights_us))
    v_hold = checks.finite("v_hold_mv", v_hold_mv)
    dt = checks.positive("dt_ms", dt_ms)
    g_leak, c = neuron.g_leak_us, neuron.c_nf
    current = g_leak * (v_hold - neuron.e_leak_mv)
    span = 10.0 * max(neuron.tau_m_ms, synapse.tau_ms)
    limits.grid_points("dt_ms", span / dt, "time steps of the PSP")
    v = np.full(w.shape, v_hold)
    extreme = np.zeros(w.shape)
    s = synapse.delta
    for _ in range(int(np.ceil(span / dt))):
        g = g_leak + w * s
        target = (g_leak * neuron.e_leak_mv + w * s * synapse.e_rev_mv + current) / g
        v = target + (v - target) * np.exp(-dt * g / c)
        extreme = np.where(np.abs(v - v_hold) > np.abs(extreme), v - v_hold, extreme)
        s *= np.exp(-dt / synapse.tau_ms)
    return extreme
