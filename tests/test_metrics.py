"""Spike-train metrics on hand-made trains with known answers, and their edge cases."""

import math

import numpy as np
import pytest

from neural_dynamics import metrics

REGULAR = np.arange(1, 11) * 10.0  # 10, 20, ..., 100 ms
SLOWING = np.array([10.0, 20.0, 35.0, 55.0, 80.0])  # ISIs 10, 15, 20, 25


def test_no_spikes():
    assert metrics.spike_count([]) == 0
    assert math.isnan(metrics.first_spike_latency_ms([]))
    assert metrics.mean_rate_hz([], 300.0, 50.0) == 0.0
    assert metrics.steady_rate_hz([]) == 0.0
    assert math.isnan(metrics.adaptation_index([]))


def test_one_spike():
    assert metrics.first_spike_latency_ms([42.0]) == 42.0
    assert metrics.steady_rate_hz([42.0]) == 0.0
    assert metrics.interspike_intervals_ms([42.0]).size == 0
    assert math.isnan(metrics.adaptation_index([42.0]))


def test_two_spikes():
    assert metrics.steady_rate_hz([10.0, 30.0]) == pytest.approx(50.0)
    assert math.isnan(metrics.adaptation_index([10.0, 30.0]))  # one ISI only


def test_regular_train():
    assert metrics.spike_count(REGULAR) == 10
    assert metrics.steady_rate_hz(REGULAR) == pytest.approx(100.0)
    assert metrics.adaptation_index(REGULAR) == pytest.approx(0.0)
    # spikes at t >= 50 ms: 50..100 -> 6 spikes in 0.1 s
    assert metrics.mean_rate_hz(REGULAR, 150.0, 50.0) == pytest.approx(60.0)


def test_steady_rate_uses_the_last_three_intervals():
    assert metrics.steady_rate_hz(SLOWING) == pytest.approx(1000.0 / 20.0)
    assert metrics.steady_rate_hz(SLOWING, n_last=1) == pytest.approx(1000.0 / 25.0)
    assert metrics.adaptation_index(SLOWING) == pytest.approx((25.0 - 10.0) / 10.0)


def test_a_time_shift_changes_rates_but_not_intervals():
    np.testing.assert_allclose(
        metrics.interspike_intervals_ms(SLOWING + 7.0), metrics.interspike_intervals_ms(SLOWING)
    )
    assert metrics.steady_rate_hz(SLOWING + 7.0) == pytest.approx(metrics.steady_rate_hz(SLOWING))


def test_grid_rheobase():
    assert metrics.grid_rheobase_na([0.0, 0.5, 1.0, 1.5], [0.0, 0.0, 3.0, 9.0]) == 1.0
    assert math.isnan(metrics.grid_rheobase_na([0.0, 0.5], [0.0, 0.0]))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: metrics.mean_rate_hz([1.0], 50.0, 50.0), "duration_ms = 50.0: must be >"),
        (lambda: metrics.mean_rate_hz([1.0], 300.0, -1.0), "transient_ms = -1.0"),
        (lambda: metrics.spike_count([3.0, 1.0]), "must be sorted"),
        (lambda: metrics.spike_count([1.0, np.inf]), "spike_times_ms contains inf"),
        (lambda: metrics.steady_rate_hz([1.0, 2.0], n_last=0), "n_last = 0"),
        (lambda: metrics.grid_rheobase_na([0.0, 1.0], [0.0]), "must be 1-D of one length"),
        (lambda: metrics.grid_rheobase_na([1.0, 0.0], [0.0, 1.0]), "strictly increasing"),
    ],
)
def test_bad_metric_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_initial_and_instantaneous_rates():
    assert metrics.initial_rate_hz(SLOWING) == pytest.approx(100.0)
    assert metrics.initial_rate_hz([5.0]) == 0.0
    course = metrics.instantaneous_rate_hz(SLOWING)
    np.testing.assert_allclose(course.times_ms, SLOWING[1:])
    np.testing.assert_allclose(course.rates_hz, 1000.0 / np.array([10.0, 15.0, 20.0, 25.0]))
    with pytest.raises(ValueError, match="same time"):
        metrics.instantaneous_rate_hz([1.0, 1.0])


def test_exponential_fit_recovers_a_known_approach():
    t = np.linspace(30.0, 800.0, 40)
    y = 10.0 + (40.0 - 10.0) * np.exp(-(t - 30.0) / 150.0)
    fit = metrics.fit_exponential_approach(t, y)
    assert fit.tau_ms == pytest.approx(150.0, rel=1e-6)
    assert fit.initial == pytest.approx(40.0, rel=1e-6)
    assert fit.final == pytest.approx(10.0, rel=1e-6)
    assert fit.rms_residual < 1e-6
    with pytest.raises(ValueError, match="length >= 4"):
        metrics.fit_exponential_approach([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="no interior minimum"):
        metrics.fit_exponential_approach(t, 3.0 * t)  # a straight line approaches nothing
    with pytest.raises(ValueError, match="no interior minimum"):
        metrics.fit_exponential_approach(t, np.full(t.size, 7.0))  # nor does a constant


def test_exponential_fit_is_the_least_squares_minimum_of_noisy_data():
    """Against scipy's curve_fit (an independent minimiser), and with the final value fixed."""
    from scipy.optimize import curve_fit

    rng = np.random.default_rng(1)
    t = np.linspace(0.0, 700.0, 25)
    y = 9.5 + 31.0 * np.exp(-t / 160.0) + rng.normal(0.0, 0.8, t.size)
    fit = metrics.fit_exponential_approach(t, y)

    def model(x, tau, initial, final):
        return final + (initial - final) * np.exp(-x / tau)

    (tau, initial, final), _ = curve_fit(model, t, y, p0=(100.0, 40.0, 10.0), xtol=1e-14,
                                         ftol=1e-14, gtol=1e-14)
    assert (fit.tau_ms, fit.initial, fit.final) == pytest.approx((tau, initial, final), rel=1e-6)
    assert fit.rms_residual == pytest.approx(np.sqrt(np.mean((model(t, tau, initial, final) - y)
                                                             ** 2)), rel=1e-9)
    held = metrics.fit_exponential_approach(t, y, final=9.0)
    assert held.final == 9.0
    (tau_held, initial_held), _ = curve_fit(lambda x, tau, a: model(x, tau, a, 9.0), t, y,
                                            p0=(100.0, 40.0), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    assert (held.tau_ms, held.initial) == pytest.approx((tau_held, initial_held), rel=1e-6)


def test_mean_confidence_interval():
    ci = metrics.mean_confidence_interval([1.0, 2.0, 3.0, 4.0])
    # t(0.975, 3) = 3.182446..., s.d. = 1.290994..., n = 4
    assert ci.mean == 2.5
    assert ci.high - ci.mean == pytest.approx(3.182446305284263 * 1.2909944487358056 / 2)
    assert metrics.mean_confidence_interval([np.nan, 2.0]) == (2.0, 2.0, 2.0)
    assert all(math.isnan(x) for x in metrics.mean_confidence_interval([]))


def test_local_time_constants_are_constant_for_an_exponential_and_nan_at_the_floor():
    t = np.linspace(0.0, 500.0, 11)
    y = 10.0 + 30.0 * np.exp(-t / 80.0)
    local = metrics.local_time_constants_ms(t, y, final=10.0, floor=1e-6)
    np.testing.assert_allclose(local, 80.0, rtol=1e-9)
    local = metrics.local_time_constants_ms(t, y, final=10.0, floor=1.0)
    assert np.isnan(local[-1]) and np.isfinite(local[0])
    # a deviation that changes sign gives no local value
    assert np.isnan(metrics.local_time_constants_ms([0, 1], [2.0, -1.0], 0.0, 0.1)[0])


def test_local_time_constants_show_a_non_exponential_approach():
    t = np.arange(6.0) * 50.0
    y = 5.0 + np.array([40.0, 30.0, 20.0, 10.0, 2.0, 0.2])  # linear, then fast
    local = metrics.local_time_constants_ms(t, y, final=5.0, floor=0.1)
    assert local[0] > 2 * local[-1]


def test_linear_fit_recovers_a_line_and_reports_r_squared():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    fit = metrics.linear_fit(x, 3.0 * x - 2.0)
    assert fit.slope == pytest.approx(3.0) and fit.intercept == pytest.approx(-2.0)
    assert fit.r_squared == pytest.approx(1.0)
    assert metrics.linear_fit(x, [0.0, 1.0, 0.0, 1.0]).r_squared == pytest.approx(0.2)
    assert math.isnan(metrics.linear_fit([1.0], [2.0]).slope)
    assert math.isnan(metrics.linear_fit([1.0, 2.0], [2.0, 3.0]).r_squared)
    with pytest.raises(ValueError, match="must be 1-D of one length"):
        metrics.linear_fit([1.0, 2.0], [1.0])
