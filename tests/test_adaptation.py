"""The adaptation gate builder and the mean-adaptation reduction."""

import math

import numpy as np
import pytest

from neural_dynamics import adaptation, analytic, presets, sweeps
from neural_dynamics.kernel import simulate
from neural_dynamics.params import Circuit, Gate
from neural_dynamics.presets import Protocol

NEURON = presets.ADAPTIVE_NEURON
LONG = Protocol(dt_ms=0.05, duration_ms=8000.0, transient_ms=100.0)


def test_periodic_gate_mean_matches_the_iterated_map():
    """Iterate jump-and-decay over many periods and average a(t) over the last one."""
    rate_hz, tau_ms, delta = 12.5, 700.0, 0.1
    period = 1000.0 / rate_hz
    a = 0.0
    for _ in range(2000):
        a = a + delta * (1 - a)  # spike
        after = a
        a *= math.exp(-period / tau_ms)
    t = np.linspace(0.0, period, 200001)
    mean = np.trapezoid(after * np.exp(-t / tau_ms), t) / period
    assert adaptation.periodic_gate_mean(rate_hz, tau_ms, delta) == pytest.approx(mean, rel=1e-9)


def test_periodic_gate_mean_limits():
    assert adaptation.periodic_gate_mean(0.0, 700.0, 0.1) == 0.0
    # delta small and f tau large: a_mean ~ delta tau f / (1 + delta tau f)
    x = 0.001 * 1000.0 * 50.0 / 1000.0
    mean = adaptation.periodic_gate_mean(50.0, 1000.0, 0.001)
    assert mean == pytest.approx(x / (1 + x), rel=0.02)
    assert adaptation.periodic_gate_mean(10.0, 100.0, 1.0) == pytest.approx(
        100.0 / 100.0 * (1 - math.exp(-1.0)), rel=1e-12
    )


def test_tonic_conductance_isi_matches_a_frozen_gate():
    """A gate that starts open and never decays or moves is a tonic conductance: the simulated
    ISI then lies within one step above the closed-form one."""
    g_us = 0.15
    frozen = Circuit((NEURON,), (Gate(0, 0, -90.0, 1e15, 0.0, g_us, s_0=1.0),))
    protocol = Protocol(dt_ms=0.01, duration_ms=500.0)
    for current in (8.0, 12.0):
        isi = analytic.interspike_interval_ms(NEURON, current, g_us, -90.0)
        assert math.isfinite(isi)
        simulated = np.diff(simulate(frozen, current, protocol).spike_times())[-1]
        assert isi <= simulated <= isi + protocol.dt_ms + 1e-9


def test_without_adaptation_the_reduction_is_the_plain_rate():
    off = adaptation.adaptation_circuit(NEURON, -90.0, 700.0, 0.1, 0.0)
    assert adaptation.mean_adaptation_rate_hz(off, 4.0) == pytest.approx(
        analytic.rate_hz(NEURON, [4.0])[0], rel=1e-9
    )
    assert adaptation.mean_adaptation_rate_hz(presets.ADAPTIVE_CIRCUIT, 0.5) == 0.0


def test_reduction_predicts_fast_adapted_firing_within_five_percent():
    """Where the inter-spike interval is below a tenth of tau_a, the mean-adaptation model is
    within 5 % of long simulations (the chapter shows the error grows towards rheobase, where
    a varies a lot within one interval)."""
    currents = np.array([5.0, 6.0, 8.0, 10.0])
    simulated = sweeps.current_sweep(presets.ADAPTIVE_CIRCUIT, currents, LONG).steady_rate_hz
    predicted = [adaptation.mean_adaptation_rate_hz(presets.ADAPTIVE_CIRCUIT, i) for i in currents]
    assert np.all(1000.0 / simulated < 0.1 * 700.0)
    np.testing.assert_allclose(predicted, simulated, rtol=0.05)
    # the mean overstates the conductance at the end of the interval: never an overestimate
    assert np.all(np.array(predicted) <= simulated.to_numpy() * (1 + 1e-9))


def test_reduction_rate_falls_with_adaptation_strength():
    rates = [adaptation.mean_adaptation_rate_hz(
        adaptation.adaptation_circuit(NEURON, -90.0, 700.0, 0.1, g), 4.0) for g in (0.0, 0.1, 0.3)]
    assert rates[0] > rates[1] > rates[2] > 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tau_a_ms": -700.0}, r"tau_a_ms = -700.0: must be a finite number > 0"),
        ({"delta_a": 1.5}, r"delta_a = 1.5: must be a finite number in \[0.0, 1.0\]"),
        ({"delta_a": -0.1}, r"delta_a = -0.1"),
        ({"gbar_a_us": -0.2}, r"gbar_a_us = -0.2: must be a finite number >= 0"),
        ({"e_a_mv": math.nan}, r"e_a_mv = nan: must be a finite number"),
    ],
)
def test_bad_adaptation_parameters_are_named(change, message):
    arguments = {"e_a_mv": -90.0, "tau_a_ms": 700.0, "delta_a": 0.1, "gbar_a_us": 0.2, **change}
    with pytest.raises(ValueError, match=message):
        adaptation.adaptation_circuit(NEURON, **arguments)


def test_reduction_rejects_other_circuits():
    with pytest.raises(ValueError, match="one adaptation gate onto itself"):
        adaptation.mean_adaptation_rate_hz(Circuit.of(NEURON), 4.0)
