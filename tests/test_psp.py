"""The PSP module against an ODE solve, argmax and synthetic kernels."""

import numpy as np
import pytest
from scipy import integrate

from neural_dynamics import presets, psp
from neural_dynamics.presets import Protocol

NEURON = presets.FIXED_THRESHOLD_NEURON


@pytest.mark.parametrize(("tau_s", "e_syn"), [(2.0, 0.0), (8.0, -70.0), (30.0, 0.0)])
def test_closed_form_matches_the_linearised_ode(tau_s, e_syn):
    tau_m, r, g0, e_l = 30.0, 10.0, 0.002, -65.0

    def rhs(t, v):
        return (-v + r * g0 * np.exp(-t / tau_s) * (e_syn - e_l)) / tau_m

    t = np.linspace(0, 200, 401)
    solution = integrate.solve_ivp(rhs, (0, 200), [0.0], t_eval=t, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(psp.psp_mv(t, tau_m, tau_s, r, g0, e_syn, e_l), solution.y[0],
                               rtol=1e-7, atol=1e-12)


def test_full_conductance_ode_approaches_the_closed_form_for_small_g():
    tau_m, tau_s, r, e_l, e_syn = 30.0, 2.0, 10.0, -65.0, 0.0
    for g0, tolerance in ((0.002, 0.03), (0.0002, 0.003)):
        def rhs(t, v, g0=g0):
            return (-v - r * g0 * np.exp(-t / tau_s) * (v + e_l - e_syn)) / tau_m
        t = np.linspace(0, 100, 201)
        full = integrate.solve_ivp(rhs, (0, 100), [0.0], t_eval=t, rtol=1e-11, atol=1e-14).y[0]
        closed = psp.psp_mv(t, tau_m, tau_s, r, g0, e_syn, e_l)
        assert np.max(np.abs(full - closed)) / np.max(closed) < tolerance


@pytest.mark.parametrize(("tau_m", "tau_s"), [(30.0, 2.0), (30.0, 8.0), (10.0, 20.0), (5.0, 5.0)])
def test_peak_time_is_the_argmax(tau_m, tau_s):
    t = np.arange(0, 200, 1e-4)
    v = psp.psp_mv(t, tau_m, tau_s, 1.0, 1.0, 1.0, 0.0)
    assert psp.peak_time_ms(tau_m, tau_s) == pytest.approx(t[np.argmax(v)], abs=2e-4)


def test_equal_time_constants_give_the_alpha_kernel():
    t = np.linspace(0, 100, 201)
    tau = 10.0
    v = psp.psp_mv(t, tau, tau, 1.0, 1.0, 1.0, 0.0)
    # (t / tau) e^{-t / tau} = A a t e^{-a t} with a = 1 / tau = 100 / s and A = 1 mV
    np.testing.assert_allclose(v, psp.alpha_kernel_mv(t, 1.0, 100.0), rtol=1e-12, atol=1e-15)
    near = psp.psp_mv(t, tau, tau * (1 + 1e-7), 1.0, 1.0, 1.0, 0.0)
    np.testing.assert_allclose(near, v, rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize(("amplitude", "a"), [(3.25, 100.0), (-22.0, 50.0), (0.1, 250.0)])
def test_alpha_fit_recovers_a_synthetic_kernel(amplitude, a):
    t = np.arange(0, 300, 0.1)
    got_a, got_amplitude = psp.fit_alpha_kernel(t, psp.alpha_kernel_mv(t, amplitude, a))
    assert (got_a, got_amplitude) == pytest.approx((a, amplitude), rel=1e-7)


def test_kernel_fits_of_an_alpha_shaped_psp_all_agree():
    fits = psp.kernel_fits(10.0, 10.0, np.arange(0, 300, 0.05))
    assert fits.least_squares_per_s == pytest.approx(100.0, rel=1e-6)
    assert fits.peak_per_s == pytest.approx(100.0, rel=1e-12)
    assert fits.centroid_per_s == pytest.approx(100.0, rel=1e-12)


def test_centroid_of_the_psp_is_tau_m_plus_tau_s():
    t = np.arange(0, 2000, 0.01)
    v = psp.psp_mv(t, 30.0, 8.0, 1.0, 1.0, 1.0, 0.0)
    assert np.sum(t * v) / np.sum(v) == pytest.approx(38.0, rel=1e-4)


def test_simulated_psp_matches_closed_form_peak():
    protocol = Protocol(0.01, 60.0)
    v = psp.simulated_psp_mv(NEURON, 0.0, 2.0, 0.0005, protocol)
    closed = psp.psp_mv(protocol.times_ms, 30.0, 2.0, 10.0, 0.0005, 0.0, -65.0)
    assert protocol.times_ms[np.argmax(v)] == pytest.approx(psp.peak_time_ms(30.0, 2.0), abs=0.02)
    assert np.max(np.abs(v - closed)) < 0.01 * np.max(closed)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: psp.psp_mv([0.0], 0.0, 2.0, 10.0, 0.1, 0.0, -65.0), "tau_m_ms"),
        (lambda: psp.psp_mv([0.0], 30.0, -2.0, 10.0, 0.1, 0.0, -65.0), "tau_s_ms"),
        (lambda: psp.psp_mv([0.0], 30.0, 2.0, 10.0, -0.1, 0.0, -65.0), "g0_us"),
        (lambda: psp.psp_mv([np.inf], 30.0, 2.0, 10.0, 0.1, 0.0, -65.0), "t_ms"),
        (lambda: psp.peak_time_ms(30.0, 0.0), "tau_s_ms"),
        (lambda: psp.fit_alpha_kernel([0.0, 1.0, 2.0], [0.0, 0.0, 0.0]), "psp_values_mv"),
        (lambda: psp.fit_alpha_kernel([0.0, 1.0], [0.0, 1.0]), "t_ms"),
        (lambda: psp.simulated_psp_mv(NEURON, 0.0, 2.0, 0.001, None), "protocol"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
