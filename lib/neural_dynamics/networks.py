"""Builders of recurrent networks on the book's integrate-and-fire kernel."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import checks, limits
from .params import Circuit, Gate, Network, Neuron, SynapseType

PATHWAYS = ("E->E", "E->I", "I->E", "I->I")


def ei_network(neuron: Neuron, n_exc: int, n_inh: int, p_connect: float,
               excitatory: SynapseType, inhibitory: SynapseType, w_e_to_e_us: float,
               w_e_to_i_us: float, w_i_to_e_us: float, w_i_to_i_us: float,
               rng: np.random.Generator) -> Network:
    """A random excitatory-inhibitory network (Erdos-Renyi connectivity, no self-connections).

    Neurons 0 .. n_exc - 1 are excitatory, the next n_inh inhibitory; every neuron drives one
    gate of its population's synapse type, which acts on each neuron it connects to with the
    weight of that pair of populations (a Brunel-2000-style network of conductance synapses).

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
    for name, value in (("n_exc", n_exc), ("n_inh", n_inh)):
        if not isinstance(value, (int, np.integer)) or value < (1 if name == "n_exc" else 0):
            raise ValueError(f"{name} = {value!r}: must be an int >= {1 if name == 'n_exc' else 0}")
    p = checks.in_closed_range("p_connect", p_connect, 0.0, 1.0)
    w = {name: checks.non_negative(name, value) for name, value in (
        ("w_e_to_e_us", w_e_to_e_us), ("w_e_to_i_us", w_e_to_i_us),
        ("w_i_to_e_us", w_i_to_e_us), ("w_i_to_i_us", w_i_to_i_us))}
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator")
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


def without_pathways(network: Network, n_exc: int, pathways) -> Network:
    """The network of :func:`ei_network` with every connection of some pathways removed.

    An ablation: ``("I->E",)`` removes the inhibition of the excitatory neurons and keeps all
    else, as in the tests of the PING mechanism (Borgers & Kopell 2003).

    Parameters
    ----------
    network : Network
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
    if len(network.gate_sources) != n or network.gate_sources != tuple(range(n)):
        raise ValueError("network: must have one gate per neuron, gate j driven by neuron j")
    exc = np.arange(n) < n_exc
    weights = np.array(network.weights_us)
    for pathway in pathways:
        if pathway not in PATHWAYS:
            raise ValueError(f"pathways: {pathway!r} is not one of {', '.join(PATHWAYS)}")
        source = exc if pathway[0] == "E" else ~exc
        target = exc if pathway[-1] == "E" else ~exc
        weights[np.ix_(source, target)] = 0.0
    return network.with_weights(weights)


def with_initial_potentials(network: Network, v_0_mv) -> Network:
    """The same network with each neuron started at its own membrane potential v_0_mv[i], mV."""
    v_0 = checks.finite_array("v_0_mv", v_0_mv)
    if v_0.shape != (len(network.neurons),):
        raise ValueError(f"v_0_mv has shape {v_0.shape}: must be ({len(network.neurons)},), "
                         "one value per neuron")
    neurons = tuple(replace(n, v_0_mv=float(v)) for n, v in zip(network.neurons, v_0,
                                                                 strict=True))
    return Network(neurons, network.synapse_types, network.gate_sources, network.gate_types,
                   network.weights_us, network.gate_initial)


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
