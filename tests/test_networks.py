"""Network builders: the E-I network and the coupled pair."""

import numpy as np
import pytest

from neural_dynamics import networks, presets
from neural_dynamics.params import SynapseType

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
