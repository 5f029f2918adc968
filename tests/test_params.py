"""Parameter objects reject bad values with a message naming the parameter and the value."""

import math

import numpy as np
import pytest

from neural_dynamics.params import Circuit, Gate, Neuron
from neural_dynamics.presets import Protocol

GOOD_NEURON = {"e_leak_mv": -65.0, "r_mohm": 10.0, "tau_m_ms": 30.0, "theta_0_mv": -55.0,
               "theta_spike_mv": 0.0, "tau_theta_ms": 10.0}
GOOD_GATE = {"source": 0, "target": 0, "e_rev_mv": -90.0, "tau_ms": 700.0, "delta": 0.1,
             "gbar_us": 0.2}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"r_mohm": 0.0}, r"r_mohm = 0.0: must be a finite number > 0"),
        ({"tau_m_ms": -30.0}, r"tau_m_ms = -30.0: must be a finite number > 0"),
        ({"tau_theta_ms": 0.0}, r"tau_theta_ms = 0.0: must be a finite number > 0"),
        ({"e_leak_mv": math.nan}, r"e_leak_mv = nan: must be a finite number"),
        ({"theta_0_mv": -70.0}, r"theta_0_mv = -70.0: must be > e_leak_mv = -65.0"),
        ({"theta_spike_mv": -60.0}, r"theta_spike_mv = -60.0: must be >= theta_0_mv = -55.0"),
        ({"v_0_mv": math.inf}, r"v_0_mv = inf: must be a finite number"),
        ({"r_mohm": "ten"}, r"r_mohm = 'ten': must be a finite number > 0"),
    ],
)
def test_bad_neuron(change, message):
    with pytest.raises(ValueError, match=message):
        Neuron(**{**GOOD_NEURON, **change})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tau_ms": -700.0}, r"tau_ms = -700.0: must be a finite number > 0"),
        ({"delta": 1.5}, r"delta = 1.5: must be a finite number in \[0.0, 1.0\]"),
        ({"delta": -0.1}, r"delta = -0.1: must be a finite number in \[0.0, 1.0\]"),
        ({"gbar_us": -0.2}, r"gbar_us = -0.2: must be a finite number >= 0"),
        ({"source": -1}, r"source = -1: must be a neuron index"),
        ({"target": 0.5}, r"target = 0.5: must be a neuron index"),
        ({"s_0": 2.0}, r"s_0 = 2.0: must be a finite number in \[0.0, 1.0\]"),
    ],
)
def test_bad_gate(change, message):
    with pytest.raises(ValueError, match=message):
        Gate(**{**GOOD_GATE, **change})


def test_gate_must_index_a_neuron_of_the_circuit():
    with pytest.raises(ValueError, match=r"gate target = 1: must index one of the 1 neurons"):
        Circuit((Neuron(**GOOD_NEURON),), (Gate(**{**GOOD_GATE, "target": 1}),))
    with pytest.raises(ValueError, match="at least one neuron"):
        Circuit(())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dt_ms": -0.05, "duration_ms": 300.0}, r"dt_ms = -0.05: must be a finite number > 0"),
        ({"dt_ms": 0.0, "duration_ms": 300.0}, r"dt_ms = 0.0: must be a finite number > 0"),
        ({"dt_ms": 0.05, "duration_ms": math.nan}, r"duration_ms = nan"),
        ({"dt_ms": 5.0, "duration_ms": 1.0}, r"dt_ms = 5.0: must be <= duration_ms = 1.0"),
        ({"dt_ms": 0.05, "duration_ms": 40.0, "transient_ms": 50.0},
         r"duration_ms = 40.0: must be longer than transient_ms = 50.0"),
        ({"dt_ms": 0.05, "duration_ms": 300.0, "transient_ms": -5.0}, r"transient_ms = -5.0"),
    ],
)
def test_bad_protocol(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Protocol(**kwargs)


def test_good_values_build_and_derive():
    neuron = Neuron(**GOOD_NEURON)
    assert neuron.c_nf == pytest.approx(3.0)
    assert neuron.g_leak_us == pytest.approx(0.1)
    assert neuron.initial_v_mv == -65.0
    assert not neuron.is_fixed_threshold
    assert Neuron.fixed_threshold(-65.0, 10.0, 30.0, -50.0).is_fixed_threshold
    assert Protocol(0.05, 300.0).n_steps == 6000


def test_integer_check_names_the_parameter():
    from neural_dynamics import checks

    assert checks.integer("n_seeds", 3, 2) == 3
    assert checks.integer("seed", np.int64(0), 0) == 0
    for bad in (1, 2.0, True, "3"):
        with pytest.raises(ValueError, match=r"^n_seeds = .*: must be an int >= 2$"):
            checks.integer("n_seeds", bad, 2)
