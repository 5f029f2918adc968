"""The adaptation gate builder and the mean-adaptation reduction."""

import math

import numpy as np
import pytest

from neural_dynamics import adaptation, analytic, presets, sweeps
from neural_dynamics.kernel import simulate
from neural_dynamics.params import Circuit, Gate, Neuron
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


def test_critical_adaptation_state_is_the_closed_form_three_sevenths_at_4_na():
    """(I - g_L (theta_0 - E_L)) / (gbar_a (theta_0 - E_a)) = (4 - 0.1*10) / (0.2*35) = 3/7."""
    a_c = adaptation.critical_adaptation_state(NEURON, 4.0, -90.0, 0.2)
    assert a_c == pytest.approx(3.0 / 7.0, rel=1e-14)
    # at a_c the steady target of the membrane is the baseline threshold
    g = 0.2 * a_c
    v_inf = (NEURON.g_leak_us * NEURON.e_leak_mv + g * -90.0 + 4.0) / (NEURON.g_leak_us + g)
    assert v_inf == pytest.approx(NEURON.theta_0_mv, abs=1e-12)
    # 0 at the rheobase, 1 where a fully open conductance just holds the neuron at threshold
    assert adaptation.critical_adaptation_state(NEURON, analytic.rheobase_na(NEURON), -90.0,
                                                0.2) == pytest.approx(0.0, abs=1e-15)
    assert adaptation.critical_adaptation_state(NEURON, 8.0, -90.0, 0.2) == pytest.approx(1.0)
    assert math.isnan(adaptation.critical_adaptation_state(NEURON, 4.0, -90.0, 0.0))


def test_critical_adaptation_state_rejects_a_reversal_at_or_above_threshold():
    with pytest.raises(ValueError, match=r"e_a_mv = -55\.0: must be < theta_0_mv = -55\.0"):
        adaptation.critical_adaptation_state(NEURON, 4.0, -55.0, 0.2)


def test_simulated_adaptation_hovers_around_the_critical_state():
    """In the adapted steady state at 4 nA, a dips just below a_c before each spike and the
    spike lifts it above: the rate is pinned where a crosses a_c."""
    a_c = adaptation.critical_adaptation_state(NEURON, 4.0, -90.0, 0.2)
    spikes = simulate(presets.ADAPTIVE_CIRCUIT, 4.0, LONG).spike_times()
    at = adaptation.gate_at_spikes(spikes, 700.0, 0.1)
    assert at.before[-1] < a_c < at.after[-1]
    assert a_c - at.before[-1] < 0.05 * a_c


def test_gate_at_spikes_matches_the_simulated_trace():
    protocol = Protocol(dt_ms=0.05, duration_ms=800.0)
    run = simulate(presets.ADAPTIVE_CIRCUIT, 4.0, protocol, record=True)
    spikes, trace = run.spike_times(), run.s[0, 0]
    at = adaptation.gate_at_spikes(spikes, 700.0, 0.1)
    index = np.rint(spikes / protocol.dt_ms).astype(int)
    np.testing.assert_allclose(at.after, trace[index], rtol=1e-10)
    np.testing.assert_allclose(at.before, trace[index - 1] * math.exp(-0.05 / 700.0), rtol=1e-10)
    assert adaptation.gate_at_spikes([], 700.0, 0.1).after.size == 0


def test_pinned_rate_is_the_decay_time_from_a_plus_to_a_c_and_bounds_the_simulation():
    a_c = 3.0 / 7.0
    a_plus = a_c + 0.1 * (1 - a_c)
    expected = 1000.0 / (700.0 * math.log(a_plus / a_c))
    assert adaptation.pinned_rate_hz(NEURON, 4.0, -90.0, 700.0, 0.1, 0.2) == pytest.approx(
        expected, rel=1e-14)
    # the membrane and threshold lag: the simulated rate is below the limit but close to it,
    # and the post-spike threshold hardly matters (the limit does not depend on it)
    for theta_spike in (-55.0, 0.0, 50.0):
        neuron = Neuron(-65.0, 10.0, 30.0, -55.0, theta_spike, 10.0)
        circuit = adaptation.adaptation_circuit(neuron, -90.0, 700.0, 0.1, 0.2)
        rate = sweeps.circuit_sweep([circuit], 4.0, LONG).steady_rate_hz.iloc[0]
        assert 0.9 * expected < rate < expected
    assert adaptation.pinned_rate_hz(NEURON, 0.5, -90.0, 700.0, 0.1, 0.2) == 0.0
    assert math.isnan(adaptation.pinned_rate_hz(NEURON, 10.0, -90.0, 700.0, 0.1, 0.2))  # a_c > 1
    assert math.isnan(adaptation.pinned_rate_hz(NEURON, 4.0, -90.0, 700.0, 0.0, 0.2))


def test_pinned_first_interval_near_rheobase_is_the_decay_from_delta_to_a_c():
    """At 1.5 nA, a_c = 0.5/7 < delta_a: the first spike alone holds the neuron until a has
    decayed to a_c. The simulated first interval is a little longer (membrane lag)."""
    a_c = 0.5 / 7.0
    expected = 700.0 * math.log(0.1 / a_c)
    got = adaptation.pinned_first_interval_ms(NEURON, 1.5, -90.0, 700.0, 0.1, 0.2)
    assert got == pytest.approx(expected, rel=1e-12)
    spikes = simulate(presets.ADAPTIVE_CIRCUIT, 1.5, Protocol(0.05, 800.0)).spike_times()
    first = spikes[1] - spikes[0]
    assert expected < first < 1.2 * expected
    assert math.isnan(adaptation.pinned_first_interval_ms(NEURON, 4.0, -90.0, 700.0, 0.1, 0.2))


def test_product_limit_matches_the_mean_adaptation_model_for_small_increments():
    for tau, delta in ((700.0, 0.001), (70000.0, 0.00001)):
        circuit = adaptation.adaptation_circuit(NEURON, -90.0, tau, delta, 0.2 * 100)
        exact = adaptation.mean_adaptation_rate_hz(circuit, 6.0)
        limit = adaptation.product_limit_rate_hz(NEURON, 6.0, -90.0, 0.2 * 100, tau * delta)
        assert limit == pytest.approx(exact, rel=0.02)
    assert adaptation.product_limit_rate_hz(NEURON, 4.0, -90.0, 0.2, 0.0) == pytest.approx(
        analytic.rate_hz(NEURON, [4.0])[0], rel=1e-12)
    assert adaptation.product_limit_rate_hz(NEURON, 0.5, -90.0, 0.2, 70.0) == 0.0


def test_current_at_critical_state_inverts_the_critical_state():
    for a in (0.0, 0.1, 3.0 / 7.0, 1.0):
        current = adaptation.current_at_critical_state_na(NEURON, a, -90.0, 0.2)
        assert adaptation.critical_adaptation_state(NEURON, current, -90.0, 0.2) == (
            pytest.approx(a, abs=1e-14))
    assert adaptation.current_at_critical_state_na(NEURON, 1.0, -90.0, 0.2) == pytest.approx(8.0)
