"""Closed forms, and the simulated neuron converging to them as dt shrinks."""

import math

import numpy as np
import pytest

from neural_dynamics import analytic, presets, sweeps
from neural_dynamics.kernel import simulate
from neural_dynamics.params import Circuit, Neuron
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


def test_latency_asymptote_is_the_leading_term_near_rheobase():
    rheobase = analytic.rheobase_na(FIXED)
    excess = np.array([1e-6, 1e-4, 1e-2])
    asymptote = analytic.latency_asymptote_ms(FIXED, rheobase * (1 + excess))
    np.testing.assert_allclose(asymptote, -30.0 * np.log(excess), rtol=1e-6)
    # exact latency = asymptote + tau_m ln(I / I_rh)
    exact = [analytic.first_spike_latency_ms(FIXED, i) for i in rheobase * (1 + excess)]
    np.testing.assert_allclose(np.array(exact) - asymptote, 30.0 * np.log1p(excess), atol=1e-6)
    # the dynamic threshold's first spike sees only theta_0: same function of I / I_rh
    np.testing.assert_allclose(
        analytic.latency_asymptote_ms(DYNAMIC, analytic.rheobase_na(DYNAMIC) * (1 + excess)),
        asymptote, rtol=1e-9)
    assert np.all(np.isnan(analytic.latency_asymptote_ms(FIXED, [0.0, rheobase])))


def test_refractory_period_adds_to_every_interval_and_saturates_the_rate():
    currents = np.array([1.0, 1.5, 2.0, 4.0, 10.5])
    without = analytic.rate_hz(FIXED, currents)
    np.testing.assert_array_equal(
        analytic.rate_with_refractory_period_hz(FIXED, currents, 0.0), without)
    with_ref = analytic.rate_with_refractory_period_hz(FIXED, currents, 2.0)
    # the rheobase does not move: silent currents stay silent, firing ones keep firing
    np.testing.assert_array_equal(with_ref[:2], [0.0, 0.0])
    # 1/f grows by exactly t_ref: at 4 nA 1000 / (2 + 30 ln 1.6)
    assert with_ref[3] == pytest.approx(1000 / (2.0 + 30 * math.log(1.6)), rel=1e-12)
    np.testing.assert_allclose(1000 / with_ref[2:] - 1000 / without[2:], 2.0, rtol=1e-12)
    # the rate saturates at 1000 / t_ref as I grows, and never exceeds it
    huge = analytic.rate_with_refractory_period_hz(FIXED, [1e6], 2.0)[0]
    assert 499.0 < huge < 500.0
    assert analytic.rate_hz(FIXED, [1e6])[0] > 1e5  # without a refractory period, no ceiling


def test_refractory_closed_form_refuses_bad_input():
    with pytest.raises(ValueError, match="refractory_ms = -1.0"):
        analytic.rate_with_refractory_period_hz(FIXED, [4.0], -1.0)
    with pytest.raises(ValueError, match="needs a fixed threshold"):
        analytic.rate_with_refractory_period_hz(DYNAMIC, [4.0], 2.0)


@pytest.mark.parametrize("neuron", [FIXED, DYNAMIC])
def test_quasi_static_rates_under_a_constant_current_are_the_f_i_curve(neuron):
    """A constant current: every simulated interval is the continuous one rounded up to dt."""
    protocol = Protocol(0.05, 300.0, 50.0)
    times = simulate(Circuit.of(neuron), 4.0, protocol).spike_times()
    assert times.size > 10
    got = analytic.quasi_static_rates(neuron, times, lambda t: np.full_like(t, 4.0))
    np.testing.assert_allclose(got.midpoint_ms, (times[1:] + times[:-1]) / 2)
    isi = analytic.interspike_interval_ms(neuron, 4.0)
    np.testing.assert_allclose(got.f_i_hz, 1000 / isi)
    assert np.all(1000 / got.instantaneous_hz[1:] >= isi - 1e-9)
    assert np.all(1000 / got.instantaneous_hz[1:] <= isi + 0.05 + 1e-9)


def test_quasi_static_rates_follow_a_slow_sine_within_a_few_hz():
    """The chapter's rectified sine (half period 300 ms): each interval's rate is the f-I rate at
    its midpoint to within about 1 Hz (0.05 ms grid); a drive ten times faster breaks this."""
    def deviation_hz(period_ms):
        protocol = Protocol(0.05, 300.0, 50.0)
        t = protocol.step_times_ms

        def drive(t_ms):
            return np.abs(4.0 * np.sin(np.pi * t_ms / period_ms))

        times = simulate(Circuit.of(FIXED), drive(t)[None, None, :], protocol).spike_times()
        got = analytic.quasi_static_rates(FIXED, times, drive)
        return np.max(np.abs(got.instantaneous_hz - got.f_i_hz))

    assert deviation_hz(300.0) < 1.5
    assert deviation_hz(30.0) > 5.0


def test_quasi_static_rates_edge_cases():
    empty = analytic.quasi_static_rates(FIXED, [12.0], lambda t: np.full_like(t, 4.0))
    assert empty.midpoint_ms.size == empty.instantaneous_hz.size == empty.f_i_hz.size == 0
    with pytest.raises(ValueError, match="same time"):
        analytic.quasi_static_rates(FIXED, [1.0, 1.0], lambda t: np.full_like(t, 4.0))
