"""Closed forms, and the simulated neuron converging to them as dt shrinks."""

import math

import numpy as np
import pytest

from neural_dynamics import analytic, presets, sweeps
from neural_dynamics.params import Neuron
from neural_dynamics.presets import Protocol

FIXED = presets.FIXED_THRESHOLD_NEURON
DYNAMIC = presets.DYNAMIC_THRESHOLD_NEURON


def test_rheobase_closed_form():
    assert analytic.rheobase_na(FIXED) == pytest.approx(1.5, abs=1e-12)
    assert analytic.rheobase_na(DYNAMIC) == pytest.approx(1.0, abs=1e-12)


def test_fixed_threshold_rate_closed_form():
    # f(I) = 1000 / (tau_m ln(RI / (RI - 15))) at 4 nA: 1000 / (30 ln 1.6)
    assert analytic.rate_hz(FIXED, [4.0])[0] == pytest.approx(1000 / (30 * math.log(1.6)), 1e-12)
    np.testing.assert_array_equal(analytic.rate_hz(FIXED, [0.0, 1.0, 1.5]), [0.0, 0.0, 0.0])


def test_dynamic_isi_solves_the_crossing_equation():
    isi = analytic.interspike_interval_ms(DYNAMIC, 4.0)
    v = -65.0 + 40.0 * (1 - math.exp(-isi / 30.0))
    theta = -55.0 + 55.0 * math.exp(-isi / 10.0)
    assert v == pytest.approx(theta, abs=1e-9)
    assert isi > analytic.interspike_interval_ms(
        Neuron.fixed_threshold(-65.0, 10.0, 30.0, -55.0), 4.0
    )


def test_dynamic_with_equal_spike_threshold_is_the_fixed_closed_form():
    nearly_fixed = Neuron(-65.0, 10.0, 30.0, -50.0, -50.0 + 1e-12, 10.0)
    assert analytic.interspike_interval_ms(nearly_fixed, 3.0) == pytest.approx(
        analytic.interspike_interval_ms(FIXED, 3.0), rel=1e-9
    )


@pytest.mark.parametrize("neuron", [FIXED, DYNAMIC])
@pytest.mark.parametrize("dt_ms", [0.1, 0.05, 0.01, 0.002])
def test_simulated_isi_is_the_continuous_isi_rounded_up_to_the_grid(neuron, dt_ms):
    """A spike is detected at the first grid time after the crossing, so every simulated ISI
    lies in [ISI, ISI + dt]: the rate converges to the closed form at first order in dt."""
    currents = np.array([2.0, 4.0, 7.5, 10.5])
    table = sweeps.current_sweep(neuron, currents, Protocol(dt_ms, 300.0, 50.0))
    isi = np.array([analytic.interspike_interval_ms(neuron, i) for i in currents])
    simulated = 1000.0 / table["steady_rate_hz"].to_numpy()
    assert np.all(simulated >= isi - 1e-9)
    assert np.all(simulated <= isi + dt_ms + 1e-9)


def test_first_spike_latency_and_finite_duration_rheobase():
    t = analytic.first_spike_latency_ms(FIXED, 2.0)
    assert t == pytest.approx(30.0 * math.log(20.0 / 5.0), rel=1e-12)
    assert analytic.first_spike_latency_ms(FIXED, 1.5) == math.inf
    current = analytic.finite_duration_rheobase_na(FIXED, 300.0)
    assert current == pytest.approx(1.5 / (1.0 - math.exp(-10.0)), rel=1e-12)
    assert analytic.first_spike_latency_ms(FIXED, current) == pytest.approx(300.0, rel=1e-9)


def test_simulated_finite_duration_rheobase_is_near_the_closed_form():
    """The grid delays each crossing by less than dt, which at T = 300 ms corresponds to a
    current excess of (dV/dI)^-1 dV/dt * dt, far below 1e-5 nA."""
    simulated = sweeps.smallest_spiking_current_na(
        FIXED, presets.EXCITABILITY_PROTOCOL, 1.0, 2.0, tol_na=1e-9
    )
    closed = analytic.finite_duration_rheobase_na(FIXED, 300.0)
    assert closed <= simulated <= closed + 1e-5


def test_analytic_inputs_are_checked():
    with pytest.raises(ValueError, match="current_na = nan"):
        analytic.interspike_interval_ms(FIXED, math.nan)
    with pytest.raises(ValueError, match="duration_ms = -1.0"):
        analytic.finite_duration_rheobase_na(FIXED, -1.0)
