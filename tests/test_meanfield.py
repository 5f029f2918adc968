"""Mean field of the conductance-based network, each function against an independent reference."""

import numpy as np
import pytest
from scipy import integrate

from neural_dynamics import meanfield as mf
from neural_dynamics.params import Neuron, SynapseType
from neural_dynamics.transfer import shifted_siegert_rate_hz

NEURON = Neuron(-65.0, 10.0, 30.0, -55.0, -55.0, 5.0)
EXC, INH = SynapseType(0.0, 2.0, 0.2), SynapseType(-70.0, 8.0, 0.2)


def network(**change):
    arguments = {"neuron": NEURON, "n_exc": 320, "n_inh": 80, "p_connect": 0.2,
                 "excitatory": EXC, "inhibitory": INH, "w_exc_us": 0.01, "w_inh_us": 0.1,
                 "current_na": 2.5, "noise_sigma_na": 0.8, "noise_tau_ms": 5.0, **change}
    return mf.from_ei_network(**arguments)


def simulated_gate(rate_hz, tau_ms, delta, duration_ms, rng, dt_ms=0.05):
    """Event-driven Poisson gate sampled on a grid: exact decay between spikes."""
    spikes = np.cumsum(rng.exponential(1000.0 / rate_hz, int(3 * rate_hz * duration_ms / 1000)))
    spikes = spikes[spikes < duration_ms]
    grid = np.arange(0.0, duration_ms, dt_ms)
    s, last, values, k = 0.0, 0.0, np.empty(grid.size), 0
    for i, t in enumerate(grid):
        while k < spikes.size and spikes[k] <= t:
            s = s * np.exp(-(spikes[k] - last) / tau_ms)
            s += delta * (1.0 - s)
            last = spikes[k]
            k += 1
        values[i] = s * np.exp(-(t - last) / tau_ms)
    return values[grid > 10 * tau_ms]


@pytest.mark.parametrize("rate_hz, tau_ms, delta", [(50.0, 8.0, 0.2), (400.0, 2.0, 0.6)])
def test_gate_moments_match_a_simulated_poisson_gate(rate_hz, tau_ms, delta):
    s = simulated_gate(rate_hz, tau_ms, delta, 60_000.0, np.random.default_rng(1))
    assert s.mean() == pytest.approx(mf.gate_mean(rate_hz, tau_ms, delta), rel=0.02)
    assert s.var() == pytest.approx(mf.gate_variance(rate_hz, tau_ms, delta), rel=0.05)
    # autocorrelation at one correlation time is 1/e
    tau_c = mf.gate_correlation_ms(rate_hz, tau_ms, delta)
    lag = int(round(tau_c / 0.05))
    x = s - s.mean()
    assert np.mean(x[:-lag] * x[lag:]) / x.var() == pytest.approx(np.exp(-1.0), abs=0.03)


def test_gate_variance_small_delta_is_campbell():
    # Campbell's theorem for exponential shot noise of amplitude delta: nu delta^2 tau / 2
    nu, tau, delta = 20.0, 5.0, 1e-4
    assert mf.gate_variance(nu, tau, delta) == pytest.approx(nu / 1000 * delta**2 * tau / 2,
                                                             rel=1e-3)


def test_uncoupled_membrane_is_the_plain_lif():
    m = mf.membrane_input(network(w_exc_us=0.0, w_inh_us=0.0), 40.0)
    assert m.mu_mv == pytest.approx(-65.0 + 10.0 * 2.5)
    assert m.tau_eff_ms == pytest.approx(30.0)
    # membrane s.d. of an OU current: R sigma sqrt(tau_s / (tau_s + tau_m))
    assert m.sd_v_mv == pytest.approx(10.0 * 0.8 * np.sqrt(5.0 / 35.0))
    assert m.sigma_mv == pytest.approx(10.0 * 0.8 * np.sqrt(2 * 5.0 / 30.0))


def test_mean_conductance_state():
    net = network()
    m = mf.membrane_input(net, 30.0)
    g_e = 64 * 0.01 * mf.gate_mean(30.0, 2.0, 0.2)
    g_i = 16 * 0.1 * mf.gate_mean(30.0, 8.0, 0.2)
    g = 0.1 + g_e + g_i
    assert m.g_total_us == pytest.approx(g)
    assert m.mu_mv == pytest.approx((0.1 * -65.0 + g_e * 0.0 + g_i * -70.0 + 2.5) / g)
    assert m.tau_eff_ms == pytest.approx(3.0 / g)
    # without recurrent noise only the external source remains
    quiet = mf.membrane_input(net, 30.0, recurrent_noise=False)
    assert quiet.sd_v_mv < m.sd_v_mv
    assert quiet.sd_v_mv == pytest.approx(0.8 / g * np.sqrt(5.0 / (5.0 + 3.0 / g)))



def test_membrane_input_with_separate_inhibitory_rate():
    net = network()
    same = mf.membrane_input(net, 30.0)
    assert mf.membrane_input(net, 30.0, rate_inh_hz=30.0) == same
    apart = mf.membrane_input(net, 30.0, rate_inh_hz=60.0)
    g_e = 64 * 0.01 * mf.gate_mean(30.0, 2.0, 0.2)
    g_i = 16 * 0.1 * mf.gate_mean(60.0, 8.0, 0.2)
    assert apart.mu_mv == pytest.approx((0.1 * -65.0 + g_i * -70.0 + 2.5) / (0.1 + g_e + g_i))
    assert apart.sd_v_mv != same.sd_v_mv
    with pytest.raises(ValueError, match="rate_inh_hz"):
        mf.membrane_input(net, 30.0, rate_inh_hz=-1.0)


def siegert_by_quadrature(mu, sigma, tau, theta, reset):
    """The first-passage integral written with exp(u^2)(1 + erf(u)), where it does not overflow."""
    from scipy.special import erf
    value, _ = integrate.quad(lambda u: np.exp(u * u) * (1 + erf(u)),
                              (reset - mu) / sigma, (theta - mu) / sigma, limit=200,
                              epsabs=0.0, epsrel=1e-11)
    return 1000.0 / (tau * np.sqrt(np.pi) * value)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("mu, sigma", [(-50.0, 3.0), (-58.0, 4.0), (-40.0, 5.0)])
def test_siegert_against_direct_quadrature(mu, sigma):
    assert shifted_siegert_rate_hz(mu, sigma, 30.0, -55.0, -65.0) == pytest.approx(
        siegert_by_quadrature(mu, sigma, 30.0, -55.0, -65.0), rel=1e-7)


def test_siegert_limits():
    closed = 1000.0 / (30.0 * np.log(25.0 / 15.0))
    assert shifted_siegert_rate_hz(-40.0, 0.0, 30.0, -55.0, -65.0) == pytest.approx(closed)
    assert shifted_siegert_rate_hz(-40.0, 1e-3, 30.0, -55.0, -65.0) == pytest.approx(
        closed, rel=1e-4)
    assert shifted_siegert_rate_hz(-60.0, 0.0, 30.0, -55.0, -65.0) == 0.0
    far = shifted_siegert_rate_hz(-300.0, 1.0, 30.0, -55.0, -65.0)  # no overflow, no NaN
    assert far == 0.0
    assert shifted_siegert_rate_hz(-40.0, 2.0, 30.0, -55.0, -65.0, tau_ref_ms=1e9) < 1e-6


def test_fixed_point_at_zero_coupling_is_the_uncoupled_siegert_rate():
    net = network().scaled(0.0)
    fp = mf.fixed_points(net)
    assert fp.rates_hz.size == 1
    m = mf.membrane_input(net, 0.0)
    assert fp.rates_hz[0] == pytest.approx(
        shifted_siegert_rate_hz(-40.0, m.sigma_mv, 30.0, -55.0, -65.0, m.shift_mv), rel=1e-9)


def test_fixed_point_is_self_consistent_and_unique():
    net = network().scaled(2.0)
    for recurrent in (True, False):
        fp = mf.fixed_points(net, recurrent_noise=recurrent)
        assert fp.rates_hz.size == 1
        nu = fp.rates_hz[0]
        assert mf.transfer_hz(net, nu, recurrent) == pytest.approx(nu, abs=1e-6)
        assert abs(fp.residuals_hz[0]) < 1e-6
    # inhibition-dominated: coupling lowers the rate
    assert fp.rates_hz[0] < mf.fixed_points(network().scaled(0.0)).rates_hz[0]


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="rate_hz"):
        mf.gate_mean(-1.0, 2.0, 0.2)
    with pytest.raises(ValueError, match="delta"):
        mf.gate_variance(10.0, 2.0, 1.5)
    with pytest.raises(ValueError, match="tau_ms"):
        mf.gate_correlation_ms(10.0, 0.0, 0.2)
    with pytest.raises(ValueError, match="sigma_mv"):
        shifted_siegert_rate_hz(-50.0, -1.0, 30.0, -55.0, -65.0)
    with pytest.raises(ValueError, match="theta_mv"):
        shifted_siegert_rate_hz(-50.0, 1.0, 30.0, -70.0, -65.0)
    with pytest.raises(ValueError, match="coupling"):
        network().scaled(-1.0)
    with pytest.raises(ValueError, match="max_rate_hz"):
        mf.fixed_points(network(), max_rate_hz=0.0)
    with pytest.raises(ValueError, match="delta"):
        network(inhibitory=SynapseType(-70.0, 8.0, 1.3))
    with pytest.raises(ValueError, match="excitatory"):
        mf.MeanFieldNetwork(-65.0, 10.0, 30.0, -55.0, 64.0, 16.0, 0.01, 0.1, (0.0, 2.0, 0.2),
                            SynapseType(-70.0, 8.0, 0.2), 2.5, 0.8, 5.0)
    with pytest.raises(ValueError, match="w_inh_us"):
        network(w_inh_us=-0.1)


def test_ping_period_without_inhibition_is_the_lif_period():
    # fixed threshold, no inhibition: T = tau_m ln(R I / (R I - (theta - E_L)))
    period = mf.ping_period_ms(NEURON, 2.5, 0.0, INH, 2.0, dt_ms=0.001)
    assert period == pytest.approx(30.0 * np.log(25.0 / 15.0), abs=0.002)


def test_ping_period_against_an_ode_solve():
    from scipy.integrate import solve_ivp
    g_peak, delay = 0.3, 2.0

    def rhs(t, v):
        g = g_peak * np.exp(-(t - delay) / 8.0) if t >= delay else 0.0
        return [(-(v[0] + 65.0) / 10.0 - g * (v[0] + 70.0) + 2.5) / 3.0]

    def crossing(t, v):
        return v[0] + 55.0
    crossing.terminal, crossing.direction = True, 1
    solved = solve_ivp(rhs, (0.0, 500.0), [-65.0], events=crossing, max_step=0.01, rtol=1e-9,
                       atol=1e-9)
    period = mf.ping_period_ms(NEURON, 2.5, g_peak, INH, delay, dt_ms=0.001)
    assert period == pytest.approx(solved.t_events[0][0], abs=0.01)
    # more inhibition, a longer cycle; too little drive, no cycle
    assert mf.ping_period_ms(NEURON, 2.5, 0.6, INH, delay) > period
    assert mf.ping_period_ms(NEURON, 0.5, 0.0, INH, delay) == np.inf
    with pytest.raises(ValueError, match="g_inh_us"):
        mf.ping_period_ms(NEURON, 2.5, -0.1, INH, delay)


# --- the open-loop control and the loop gain ---------------------------------------------------

def open_loop(net, rate_hz, seed=3, n=200, duration_ms=1500.0):
    return mf.open_loop_rate_hz(net, rate_hz, n, 0.1, duration_ms, 100.0,
                                np.random.default_rng(seed))


def uncoupled_rate_hz(n, dt_ms, duration_ms, transient_ms, rng):
    """Independent reference: chapter 1's fixed-threshold neuron with the OU current (exact
    OU and membrane updates, vectorised over neurons), mean rate and its standard error."""
    a_ou = np.exp(-dt_ms / 5.0)
    eta = 0.8 * rng.standard_normal(n)
    v = rng.uniform(-65.0, -55.0, n)
    counts = np.zeros(n)
    for k in range(int(round(duration_ms / dt_ms))):
        target = -65.0 + 10.0 * (2.5 + eta)
        v = target + (v - target) * np.exp(-dt_ms / 30.0)
        eta = a_ou * eta + 0.8 * np.sqrt(1 - a_ou ** 2) * rng.standard_normal(n)
        fired = v >= -55.0
        v[fired] = -65.0
        if (k + 1) * dt_ms >= transient_ms:
            counts += fired
    rates = counts / ((duration_ms - transient_ms) / 1000.0)
    return rates.mean(), rates.std(ddof=1) / np.sqrt(n)


def test_open_loop_without_coupling_is_the_uncoupled_neuron():
    """Weights 0: chapter 1's noisy neuron, against an independent simulation."""
    mean, se = uncoupled_rate_hz(200, 0.1, 1500.0, 100.0, np.random.default_rng(5))
    got = open_loop(network().scaled(0.0), 40.0)
    assert abs(got.rate_hz - mean) < 4 * np.hypot(got.se_hz, se)


def test_open_loop_input_rate_zero_equals_no_weights():
    a, b = open_loop(network(), 0.0, seed=8), open_loop(network().scaled(0.0), 30.0, seed=9)
    assert abs(a.rate_hz - b.rate_hz) < 4 * np.hypot(a.se_hz, b.se_hz)


def test_open_loop_follows_the_input_rate_and_its_sign():
    """Excitation alone speeds the neurons up, more with a faster input; inhibition slows them."""
    excitatory_only = network(w_inh_us=0.0, w_exc_us=0.05)
    inhibitory_only = network(w_exc_us=0.0)
    base = open_loop(network().scaled(0.0), 0.0).rate_hz
    slow, fast = open_loop(excitatory_only, 10.0), open_loop(excitatory_only, 40.0)
    assert base + 4 * slow.se_hz < slow.rate_hz < fast.rate_hz - 4 * fast.se_hz
    assert open_loop(inhibitory_only, 40.0).rate_hz < base - 10.0


def test_open_loop_agrees_with_the_mean_field_for_many_weak_inputs():
    """Diffusion limit: 400 weak excitatory inputs (one spike: 0.5 % of g_L); the simulated
    transfer's change with the input rate matches the mean field's within 15 %."""
    weak = mf.MeanFieldNetwork(-65.0, 10.0, 30.0, -55.0, 400.0, 0.0, 0.0025, 0.0, EXC, INH,
                               2.0, 0.8, 5.0)
    sim = (open_loop(weak, 50.0, duration_ms=1000.0).rate_hz
           - open_loop(weak, 0.0, duration_ms=1000.0).rate_hz)
    theory = mf.transfer_hz(weak, 50.0) - mf.transfer_hz(weak, 0.0)
    assert theory > 20.0
    assert abs(sim - theory) < 0.15 * theory


def test_open_loop_is_seeded_and_checks_its_input():
    assert open_loop(network(), 20.0, seed=4) == open_loop(network(), 20.0, seed=4)
    with pytest.raises(ValueError, match="input_rate_hz"):
        open_loop(network(), -1.0)
    with pytest.raises(ValueError, match="duration_ms"):
        mf.open_loop_rate_hz(network(), 1.0, 10, 0.1, 50.0, 100.0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        mf.open_loop_rate_hz(network(), 1.0, 10, 0.1, 500.0, 100.0, 0)


def test_open_loop_with_in_degrees():
    """Equal in-degrees give the same rate as the homogeneous control (to the noise); fewer
    inhibitory inputs make neurons faster; bad in-degrees are named."""
    net = network().scaled(3.0)
    n = 60
    same = (np.full(n, round(net.k_exc)), np.full(n, round(net.k_inh)))
    run = mf.open_loop_rate_hz(net, 20.0, n, 0.1, 600.0, 100.0, np.random.default_rng(2), same)
    base = mf.open_loop_rate_hz(net, 20.0, n, 0.1, 600.0, 100.0, np.random.default_rng(3))
    assert abs(run.rate_hz - base.rate_hz) < 4 * np.hypot(run.se_hz, base.se_hz)
    fewer = (same[0], same[1] // 2)
    low = mf.open_loop_rate_hz(net, 20.0, n, 0.1, 600.0, 100.0, np.random.default_rng(2), fewer)
    assert low.rate_hz > run.rate_hz + 4 * np.hypot(run.se_hz, low.se_hz)
    with pytest.raises(ValueError, match=r"in_degrees\[1\]"):
        mf.open_loop_rate_hz(net, 20.0, n, 0.1, 600.0, 100.0, np.random.default_rng(2),
                             (same[0], np.full(n - 1, 3)))


def test_transfer_slope():
    net = network().scaled(2.0)
    nu = 30.0
    expected = (mf.transfer_hz(net, nu + 0.5) - mf.transfer_hz(net, nu - 0.5)) / 1.0
    assert mf.transfer_slope(net, nu) == pytest.approx(expected, rel=1e-3)
    assert mf.transfer_slope(net, nu) < 0  # inhibition-dominated: faster input, slower output
    assert mf.transfer_slope(network().scaled(0.0), nu) == 0.0
    assert mf.transfer_slope(net, 0.0) == pytest.approx(
        (mf.transfer_hz(net, 1e-3) - mf.transfer_hz(net, 0.0)) / 1e-3)
    with pytest.raises(ValueError, match="step_hz"):
        mf.transfer_slope(net, nu, step_hz=0.0)


def test_seed_interval_is_scipys_t_interval_and_skips_nan():
    from scipy import stats

    data = np.array([[1.0, 2.0, np.nan], [2.0, 4.0, 5.0], [4.0, 3.0, np.nan], [3.0, 7.0, np.nan]])
    got = mf.seed_interval(data)
    for j in range(2):
        col = data[:, j]
        low, high = stats.t.interval(0.95, col.size - 1, loc=col.mean(), scale=stats.sem(col))
        assert got.mean[j] == pytest.approx(col.mean())
        assert (got.low[j], got.high[j]) == pytest.approx((low, high))
    assert got.n.tolist() == [4, 4, 1]
    assert got.mean[2] == 5.0 and np.isnan(got.low[2]) and np.isnan(got.high[2])
    with pytest.raises(ValueError, match="confidence = 1.5"):
        mf.seed_interval(data, 1.5)


def test_first_outside_band_needs_the_whole_interval_outside():
    low = np.array([-0.05, -0.2, np.nan, -0.3, 0.12])
    high = np.array([0.05, -0.05, np.nan, -0.11, 0.2])
    assert mf.first_outside_band(low, high, 0.1) == 3
    assert mf.first_outside_band(low[:3], high[:3], 0.1) is None
    assert mf.first_outside_band([0.11], [0.3], 0.1) == 0
    with pytest.raises(ValueError, match="tolerance"):
        mf.first_outside_band(low, high, 0.0)


def test_first_not_inside_band():
    assert mf.first_not_inside_band([-0.05, -0.12, -0.3], [0.05, 0.0, -0.2], 0.1) == 1
    assert mf.first_not_inside_band([np.nan, -0.05], [np.nan, 0.05], 0.1) is None


def test_in_degree_difference_recovers_a_planted_degree_effect():
    """Rates built from in-degrees alone: the fit predicts the whole excess, label coefficient 0;
    a planted label effect is recovered as the residual."""
    from neural_dynamics import networks

    neuron = Neuron(-65.0, 10.0, 30.0, -55.0, -55.0, 5.0)
    net = networks.ei_network(neuron, 160, 40, 0.2, SynapseType(0.0, 2.0, 0.2),
                              SynapseType(-70.0, 8.0, 0.2), 0.01, 0.01, 0.1, 0.1,
                              np.random.default_rng(3))
    types = np.array(net.gate_types)
    k_e = (net.weights_us[types == 0] > 0).sum(0)
    k_i = (net.weights_us[types == 1] > 0).sum(0)
    group = np.arange(200) >= 160
    rates = 30.0 + 0.5 * k_e - 3.0 * k_i
    got = mf.in_degree_difference(rates, net, group)
    assert got.observed_hz == pytest.approx(got.predicted_hz)
    assert got.residual_hz == pytest.approx(0.0, abs=1e-9)
    assert got.k_inh_difference == pytest.approx(k_i[group].mean() - k_i[~group].mean())
    planted = mf.in_degree_difference(rates + 2.0 * group, net, group)
    assert planted.residual_hz == pytest.approx(2.0)
    with pytest.raises(ValueError, match="in_group"):
        mf.in_degree_difference(rates, net, np.zeros(200, bool))


def test_open_loop_runs_in_threads_give_the_serial_results():
    """The compiled loops release the GIL; runs with their own generators do not interact."""
    from neural_dynamics.threads import in_threads

    jobs = [(0.5, 20.0, 1), (1.0, 40.0, 2), (2.0, 10.0, 3), (1.0, 40.0, 2)]

    def run(job):
        factor, rate_hz, seed = job
        return mf.open_loop_rate_hz(network().scaled(factor), rate_hz, 20, 0.1, 400.0, 50.0,
                                    np.random.default_rng(seed)).rate_hz

    serial = [run(job) for job in jobs]
    assert in_threads(run, jobs, workers=3) == serial
    assert serial[1] == serial[3] and serial[0] != serial[1]
