"""Network builders: the E-I network and the coupled pair."""

import numpy as np
import pytest

from neural_dynamics import networks, presets
from neural_dynamics.kernel import simulate
from neural_dynamics.params import SynapseType
from neural_dynamics.presets import Protocol

EXC, INH = SynapseType(0.0, 2.0, 0.2), SynapseType(-70.0, 8.0, 0.2)


def build(**change):
    arguments = {"neuron": presets.SYNCHRONY_NEURON, "n_exc": 80, "n_inh": 20, "p_connect": 0.2,
                 "excitatory": EXC, "inhibitory": INH, "w_e_to_e_us": 0.01, "w_e_to_i_us": 0.02,
                 "w_i_to_e_us": 0.1, "w_i_to_i_us": 0.2, "rng": np.random.default_rng(0),
                 **change}
    return networks.ei_network(**arguments)


def test_ei_network_structure():
    net = build()
    w = net.weights_us
    assert w.shape == (100, 100) and not np.any(np.diag(w))
    assert set(np.unique(w[:80, :80])) <= {0.0, 0.01} and set(np.unique(w[80:, :80])) <= {0.0, 0.1}
    assert set(np.unique(w[:80, 80:])) <= {0.0, 0.02} and set(np.unique(w[80:, 80:])) <= {0.0, 0.2}
    assert np.mean(w > 0) == pytest.approx(0.2 * 99 / 100, abs=0.02)
    assert net.gate_types == (0,) * 80 + (1,) * 20
    np.testing.assert_array_equal(build().weights_us, w)  # same seed, same network


def test_coupled_pair_is_the_spec_circuit():
    pair = networks.coupled_pair(presets.SYNCHRONY_NEURON, 2.0, 2.0, 0.0, -70.0, 10.0, 0.2)
    assert pair == presets.SYNCHRONY_PAIR


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_exc": 0}, "n_exc = 0"),
        ({"p_connect": 1.5}, "p_connect = 1.5"),
        ({"w_i_to_e_us": -0.1}, "w_i_to_e_us = -0.1"),
        ({"rng": 1}, "must be a numpy.random.Generator"),
    ],
)
def test_bad_network_parameters(change, message):
    with pytest.raises(ValueError, match=message):
        build(**change)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((-1.0, 2.0, 0.0, -70.0, 10.0, 0.2), "ratio_12 = -1.0"),
        ((2.0, float("nan"), 0.0, -70.0, 10.0, 0.2), "ratio_21 = nan"),
        ((2.0, 2.0, 0.0, -70.0, 0.0, 0.2), "tau_syn_ms = 0.0"),
        ((2.0, 2.0, 0.0, -70.0, 10.0, 1.2), "delta_syn = 1.2"),
    ],
)
def test_bad_pair_parameters(arguments, message):
    with pytest.raises(ValueError, match=message):
        networks.coupled_pair(presets.SYNCHRONY_NEURON, *arguments)


def test_without_pathways_removes_exactly_one_block():
    net = build()
    for pathway, block in (("E->E", (slice(0, 80), slice(0, 80))),
                           ("E->I", (slice(0, 80), slice(80, 100))),
                           ("I->E", (slice(80, 100), slice(0, 80))),
                           ("I->I", (slice(80, 100), slice(80, 100)))):
        cut = networks.without_pathways(net, 80, [pathway]).weights_us
        assert not np.any(cut[block])
        kept = np.array(net.weights_us)
        kept[block] = 0.0
        np.testing.assert_array_equal(cut, kept)
    with pytest.raises(ValueError, match="'E-E' is not one of"):
        networks.without_pathways(net, 80, ["E-E"])


def test_with_initial_potentials_starts_each_neuron_there():
    net = build(n_exc=3, n_inh=1)
    start = np.array([-60.0, -58.0, -56.0, -64.0])
    moved = networks.with_initial_potentials(net, start)
    assert [n.initial_v_mv for n in moved.neurons] == list(start)
    np.testing.assert_array_equal(moved.weights_us, net.weights_us)
    run = simulate(moved, 0.0, Protocol(0.1, 0.1, 0.0), record=True)
    np.testing.assert_array_equal(run.v_mv[0, :, 0], start)
    with pytest.raises(ValueError, match="must be \\(4,\\)"):
        networks.with_initial_potentials(net, start[:3])


def test_psp_is_signed_and_approaches_the_current_based_kernel():
    neuron, tau_m, tau_s, c = presets.SYNCHRONY_NEURON, 30.0, 2.0, 3.0
    w, v_hold = 1e-4, -60.0
    small = float(networks.psp_peak_mv(neuron, EXC, w, v_hold, dt_ms=0.005))
    # linear theory: a current w delta (E - V) exp(-t / tau_s) into C, leak tau_m
    t_peak = np.log(tau_m / tau_s) * tau_m * tau_s / (tau_m - tau_s)
    amplitude = w * EXC.delta * (EXC.e_rev_mv - v_hold) / c
    linear = amplitude * tau_m * tau_s / (tau_m - tau_s) * (np.exp(-t_peak / tau_m)
                                                          - np.exp(-t_peak / tau_s))
    assert small == pytest.approx(linear, rel=2e-3)
    ipsp = networks.psp_peak_mv(neuron, INH, [0.1, 1.0], v_hold)
    assert np.all(ipsp < 0) and ipsp[1] < ipsp[0]
    # the driving force limits a large conductance: never past the reversal potential
    assert v_hold + ipsp[1] > INH.e_rev_mv
    assert networks.psp_peak_mv(neuron, INH, 1.0, INH.e_rev_mv) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="weights_us"):
        networks.psp_peak_mv(neuron, EXC, -1.0, v_hold)
