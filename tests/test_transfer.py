"""The transfer-function module against independent references."""

import numpy as np
import pytest
from scipy import integrate, special

from neural_dynamics import analytic, presets, transfer
from neural_dynamics.presets import Protocol

NEURON = presets.FIXED_THRESHOLD_NEURON
THETA, RESET, TAU_M = NEURON.theta_0_mv, NEURON.e_leak_mv, NEURON.tau_m_ms


def direct_siegert_hz(mu, sigma, theta=THETA, reset=RESET, tau_m=TAU_M):
    """The textbook integrand exp(u^2)(1 + erf u), integrated by quad (no erfcx)."""
    value = integrate.quad(lambda u: np.exp(u * u) * (1.0 + special.erf(u)),
                           (reset - mu) / sigma, (theta - mu) / sigma, epsabs=0, epsrel=1e-12,
                           limit=200)[0]
    return 1000.0 / (tau_m * np.sqrt(np.pi) * value)


# lower limits (V_r - mu)/sigma >= -3, where 1 + erf(u) keeps its digits, and upper <= 4
@pytest.mark.parametrize(("mu", "sigma"), [(-70.0, 2.0), (-62.0, 2.0), (-58.0, 3.0),
                                           (-50.0, 5.0), (-55.0, 5.0), (-40.0, 10.0),
                                           (-35.0, 10.0), (-80.0, 10.0)])
def test_siegert_matches_direct_quadrature_of_the_first_passage_integral(mu, sigma):
    expected = direct_siegert_hz(mu, sigma)
    got = transfer.siegert_rate_hz(mu, sigma, TAU_M, THETA, RESET)
    assert got == pytest.approx(expected, rel=1e-7)


def test_erfcx_form_stays_accurate_where_the_textbook_integrand_cancels():
    """At mu far above threshold the textbook integrand loses its digits; erfcx does not."""
    mu, sigma = -30.0, 2.0
    got = transfer.siegert_rate_hz(mu, sigma, TAU_M, THETA, RESET)
    deterministic = analytic.rate_hz(NEURON, (mu - RESET) / NEURON.r_mohm)
    # noise this small barely changes the deterministic rate
    assert got == pytest.approx(deterministic, rel=0.01)


def test_zero_noise_limit_is_chapter_1s_closed_form():
    currents = np.array([1.6, 2.0, 3.0, 6.0, 10.0])
    mu = NEURON.e_leak_mv + NEURON.r_mohm * currents
    got = transfer.siegert_rate_hz(mu, 1e-4, TAU_M, THETA, RESET)
    np.testing.assert_allclose(got, analytic.rate_hz(NEURON, currents), rtol=1e-6)


def test_refractory_period_adds_to_the_period():
    rate = transfer.siegert_rate_hz(-45.0, 4.0, TAU_M, THETA, RESET)
    with_ref = transfer.siegert_rate_hz(-45.0, 4.0, TAU_M, THETA, RESET, tau_ref_ms=2.0)
    assert 1000 / with_ref == pytest.approx(1000 / rate + 2.0, rel=1e-12)


def test_large_arguments_neither_overflow_nor_give_nan():
    with np.errstate(all="raise"):
        far_below = transfer.siegert_rate_hz([-200.0, -120.0, -65.0], 0.5, TAU_M, THETA, RESET)
        far_above = transfer.siegert_rate_hz([100.0, 1e4], 0.01, TAU_M, THETA, RESET)
    assert np.all(np.isfinite(far_below)) and np.all(far_below >= 0)
    assert far_below[0] == 0.0
    assert np.all(np.isfinite(far_above)) and np.all(np.diff(far_above) > 0)


def test_coloured_correction_raises_threshold_and_reset_by_the_stated_shift():
    sigma, tau_s = 4.0, 5.0
    shift = sigma * transfer.ALPHA_COLOURED / 2 * np.sqrt(tau_s / TAU_M)
    got = transfer.siegert_rate_hz(-48.0, sigma, TAU_M, THETA, RESET, tau_s_ms=tau_s)
    assert got == pytest.approx(direct_siegert_hz(-48.0, sigma, THETA + shift, RESET + shift),
                                rel=1e-8)
    assert transfer.ALPHA_COLOURED == pytest.approx(2.0652531522, rel=1e-9)  # sqrt2 |zeta(1/2)|


def test_noise_conventions():
    # sigma_V^2 tends to sigma^2 / 2 when tau_s << tau_m (white-noise membrane variance)
    sigma = transfer.brunel_sigma_mv(0.8, 0.01, 10.0, 30.0)
    assert transfer.membrane_sd_mv(0.8, 0.01, 10.0, 30.0) == pytest.approx(sigma / np.sqrt(2),
                                                                            rel=1e-3)
    assert transfer.membrane_sd_mv(0.8, 5.0, 10.0, 30.0) == pytest.approx(
        8.0 * np.sqrt(5.0 / 35.0), rel=1e-12)


def test_membrane_sd_matches_a_simulated_free_membrane():
    """Threshold far above: the membrane is a filtered OU current; its s.d. is sigma_V."""
    from neural_dynamics.noise import simulate_with_noise
    from neural_dynamics.params import Circuit, Neuron
    free = Neuron.fixed_threshold(-65.0, 10.0, 30.0, 1e6)
    protocol = Protocol(0.1, 2000.0)
    run = simulate_with_noise(Circuit((free,) * 50), 0.0, protocol, 5.0, 0.8, [3], record=True)
    v = run.v_mv[0, :, 2000:]
    assert v.std() == pytest.approx(transfer.membrane_sd_mv(0.8, 5.0, 10.0, 30.0), rel=0.05)


def test_population_rates_agree_with_corrected_siegert():
    currents = np.array([1.5, 2.5])
    run = transfer.population_rates_hz(NEURON, currents, 0.8, 5.0, 40,
                                       Protocol(0.05, 1100.0, 100.0), 1)
    sigma = transfer.brunel_sigma_mv(0.8, 5.0, 10.0, 30.0)
    theory = transfer.siegert_rate_hz(-65 + 10 * currents, sigma, TAU_M, THETA, RESET, tau_s_ms=5.0)
    assert run.rates_hz.shape == (2, 40)
    np.testing.assert_allclose(run.mean_hz, theory, rtol=0.15)
    assert np.all(run.sem_hz > 0)


def test_population_rates_are_reproducible():
    args = (NEURON, [2.0], 0.8, 5.0, 5, Protocol(0.1, 300.0, 50.0), 7)
    np.testing.assert_array_equal(transfer.population_rates_hz(*args).rates_hz,
                                  transfer.population_rates_hz(*args).rates_hz)


def test_fit_logistic_recovers_known_parameters():
    v = np.linspace(-70, -30, 41)
    rates = transfer.logistic_hz(v, 50.0, 0.3, -48.0)
    fit = transfer.fit_logistic(v, rates)
    assert (fit.e0_per_s, fit.r_per_mv, fit.v0_mv) == pytest.approx((25.0, 0.3, -48.0), rel=1e-6)
    assert fit.rms_residual_hz < 1e-6


def test_logistic_gaussian_constant():
    k = transfer.logistic_gaussian_constant()
    assert k == pytest.approx(1.702, abs=1e-3)
    x = np.linspace(-8, 8, 2001)
    assert np.max(np.abs(special.ndtr(x) - special.expit(k * x))) < 0.0095


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: transfer.siegert_rate_hz(-50.0, 0.0, 30.0, -50.0, -65.0), "sigma_mv"),
        (lambda: transfer.siegert_rate_hz(-50.0, 1.0, -30.0, -50.0, -65.0), "tau_m_ms"),
        (lambda: transfer.siegert_rate_hz(-50.0, 1.0, 30.0, -50.0, -40.0), "v_reset_mv"),
        (lambda: transfer.siegert_rate_hz(np.nan, 1.0, 30.0, -50.0, -65.0), "mu_mv"),
        (lambda: transfer.brunel_sigma_mv(-1.0, 5.0, 10.0, 30.0), "sigma_na"),
        (lambda: transfer.membrane_sd_mv(0.8, 0.0, 10.0, 30.0), "tau_s_ms"),
        (lambda: transfer.population_rates_hz(NEURON, [1.0], 0.8, 5.0, 1,
                                              Protocol(0.1, 10.0), 0), "n_neurons"),
        (lambda: transfer.fit_logistic([1, 2, 3], [1, 2, 3]), "v_mv"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_simulate_noisy_each_is_the_batch_bit_for_bit():
    from neural_dynamics.noise import simulate_with_noise
    from neural_dynamics.params import Circuit

    circuit = Circuit((NEURON,) * 20)
    protocol = Protocol(0.1, 500.0)
    mean = np.repeat(np.array([1.0, 1.6, 2.2])[:, None], 20, axis=1)
    batch = simulate_with_noise(circuit, mean, protocol, 5.0, 0.8, [3, 4, 5])
    got = transfer.simulate_noisy_each(circuit, mean, protocol, 5.0, 0.8, [3, 4, 5])
    assert got.spike_steps.size > 0
    np.testing.assert_array_equal(got.spike_steps, batch.spike_steps)
    np.testing.assert_array_equal(got.offsets, batch.offsets)
    with pytest.raises(ValueError, match="mean_current_na"):
        transfer.simulate_noisy_each(circuit, mean, protocol, 5.0, 0.8, [3, 4])
