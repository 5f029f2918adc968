"""Builders of recurrent networks on the book's integrate-and-fire kernel."""

from __future__ import annotations

import numpy as np

from . import checks
from .params import Circuit, Gate, Network, Neuron, SynapseType


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
