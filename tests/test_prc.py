"""Phase response curves: closed form, direct perturbation on the kernel, centroid, guards."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from neural_dynamics import adaptation, analytic, prc
from neural_dynamics.kernel import simulate
from neural_dynamics.params import Circuit, Neuron
from neural_dynamics.presets import Protocol

NEURON = Neuron(-65.0, 10.0, 30.0, -55.0, 50.0, 10.0)  # chapter 2's neuron
FIXED = Neuron.fixed_threshold(-65.0, 10.0, 30.0, -50.0)
ADAPTED = adaptation.adaptation_circuit(NEURON, -90.0, 700.0, 0.1, 0.2)
UNADAPTED = adaptation.adaptation_circuit(NEURON, -90.0, 700.0, 0.1, 0.0)
DT = 0.05


@pytest.fixture(scope="module")
def responses():
    """PRCs at chapter 2's probe current (4 nA) on a coarse phase grid."""
    return {name: prc.phase_response(circuit, 4.0, DT, n_phases=25)
            for name, circuit in (("without", UNADAPTED), ("with", ADAPTED))}


@pytest.mark.parametrize("neuron", [NEURON, FIXED], ids=["dynamic", "fixed"])
@pytest.mark.parametrize("current", [1.8, 4.0, 9.0])
def test_closed_form_integrates_to_the_slope_of_the_period(neuron, current):
    # A small extra current dI over the whole cycle is a kick dI ds / C at every time s, so to
    # first order -dT/dI = (T / C) * integral over phase of Z: checked against a central
    # difference of the closed-form period (an independent route through analytic.py).
    period = analytic.interspike_interval_ms(neuron, current)
    area, _ = quad(lambda p: prc.closed_form_prc_ms_per_mv(neuron, current, p)[()], 0, 1,
                   epsabs=0, epsrel=1e-12)
    h = 1e-4
    slope = (analytic.interspike_interval_ms(neuron, current + h)
             - analytic.interspike_interval_ms(neuron, current - h)) / (2 * h)
    assert -slope == pytest.approx(period * area / neuron.c_nf, rel=1e-6)


def test_fixed_threshold_closed_form_is_the_textbook_lif_prc():
    # dx/dt = I - x, reset 0, threshold 1: Z(t) = e^t / I (Ermentrout & Terman 2010, ch. 8;
    # Brown, Moehlis & Holmes 2004); in these units Z = tau_m exp(phi T / tau_m) / (R I).
    current = 3.0
    phase = np.linspace(0, 1, 11)
    period = analytic.interspike_interval_ms(FIXED, current)
    textbook = FIXED.tau_m_ms * np.exp(phase * period / FIXED.tau_m_ms) / (FIXED.r_mohm * current)
    np.testing.assert_allclose(prc.closed_form_prc_ms_per_mv(FIXED, current, phase), textbook,
                               rtol=1e-12)


def test_periodic_state_without_adaptation_is_the_closed_form_period():
    state = prc.periodic_state(UNADAPTED, 4.0, DT)
    assert state.period_ms == pytest.approx(analytic.interspike_interval_ms(NEURON, 4.0), abs=1e-9)
    assert state.n_cycles == 2


def test_periodic_state_with_adaptation_matches_a_long_kernel_run():
    state = prc.periodic_state(ADAPTED, 4.0, DT)
    assert np.all(np.diff(state.intervals_ms) >= -1e-9)  # the intervals lengthen to the period
    spikes = simulate(ADAPTED, 4.0, Protocol(DT, 3000.0)).spike_times()
    # the kernel resets on the grid, up to one step late at each spike
    assert np.diff(spikes)[-3:] == pytest.approx(state.period_ms, abs=2 * DT)


def test_simulated_prc_without_adaptation_matches_the_closed_form(responses):
    r = responses["without"]
    closed = prc.closed_form_prc_ms_per_mv(NEURON, 4.0, r.phase)
    assert np.abs(r.prc_ms_per_mv - closed).max() < 1e-6 * closed.max()
    # no memory beyond a spike: the asymptotic PRC is the first-spike PRC
    np.testing.assert_array_equal(r.prc_ms_per_mv, r.first_spike_prc_ms_per_mv)


@pytest.mark.parametrize("circuit, rtol", [(UNADAPTED, 1e-6), (ADAPTED, 2e-3)])
def test_halving_the_pulse_changes_little(circuit, rtol, responses):
    full = responses["without" if circuit is UNADAPTED else "with"]
    half = prc.phase_response(circuit, 4.0, DT, charge_pc=prc.DEFAULT_CHARGE_PC / 2, n_phases=25)
    np.testing.assert_allclose(half.prc_ms_per_mv, full.prc_ms_per_mv, rtol=rtol)


def test_adaptation_scales_the_first_spike_prc_by_one_factor(responses):
    # After the first spike only a remembers the kick, through the first spike's shift.
    r = responses["with"]
    ratio = r.prc_ms_per_mv / r.first_spike_prc_ms_per_mv
    assert 0 < ratio.min() and ratio.max() < 1  # later cycles undo part of the advance
    assert np.ptp(ratio) < 2e-3 * ratio.mean()
    assert r.n_cycles > 2


def test_adaptation_moves_the_centroid_to_later_phases(responses):
    without = responses["without"].centroid_phase
    with_ = responses["with"].centroid_phase
    assert with_ > without + 0.1
    for charge, dt in [(prc.DEFAULT_CHARGE_PC / 2, DT), (prc.DEFAULT_CHARGE_PC, DT / 2),
                       (4 * prc.DEFAULT_CHARGE_PC, DT)]:
        other = prc.phase_response(ADAPTED, 4.0, dt, charge_pc=charge, n_phases=25)
        assert other.centroid_phase == pytest.approx(with_, abs=2e-3)


def test_centroid_of_known_shapes():
    phase = np.linspace(0, 1, 2001)
    assert prc.centroid_phase(phase, np.full_like(phase, 3.0)) == pytest.approx(0.5, abs=1e-12)
    assert prc.centroid_phase(phase, phase) == pytest.approx(2 / 3, abs=1e-6)
    assert prc.centroid_phase(phase, 1 - phase) == pytest.approx(1 / 3, abs=1e-6)
    k = 4.0  # Z = e^{k phi}: centroid 1/(1 - e^{-k}) - 1/k
    assert prc.centroid_phase(phase, np.exp(k * phase)) == pytest.approx(
        1 / (1 - math.exp(-k)) - 1 / k, abs=1e-6)
    # two points: the trapezoid is exact for a linear PRC
    assert prc.centroid_phase([0.0, 1.0], [1.0, 1.0]) == 0.5


@pytest.mark.parametrize("kwargs, match", [
    ({"charge_pc": 0.0}, "charge_pc = 0.0: must be a finite number > 0"),
    ({"charge_pc": -1.0}, "charge_pc = -1.0"),
    ({"n_phases": 2}, "n_phases = 2: must be an int >= 3"),
    ({"dt_ms": 0.0}, "dt_ms = 0.0"),
    ({"n_phases": 1000}, "n_phases = 1000: the period"),
    ({"charge_pc": 30.0}, "charge_pc = 30.0"),
])
def test_phase_response_guards(kwargs, match):
    arguments = {"circuit": UNADAPTED, "current_na": 4.0, "dt_ms": DT, **kwargs}
    with pytest.raises(ValueError, match=match):
        prc.phase_response(**arguments)


def test_below_rheobase_is_not_periodic():
    with pytest.raises(prc.NotPeriodic, match="current_na = 0.5"):
        prc.phase_response(UNADAPTED, 0.5, DT, max_interval_ms=2000.0)
    with pytest.raises(prc.NotPeriodic, match="rheobase"):
        prc.closed_form_prc_ms_per_mv(NEURON, 0.5, [0.5])


def test_other_guards():
    with pytest.raises(ValueError, match="circuit"):
        prc.periodic_state(Circuit((NEURON, NEURON)), 4.0, DT)
    with pytest.raises(ValueError, match=r"phase: every value must be in \[0, 1\]"):
        prc.closed_form_prc_ms_per_mv(NEURON, 4.0, [1.5])
    with pytest.raises(ValueError, match="same length"):
        prc.centroid_phase([0.0, 0.5, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="increase"):
        prc.centroid_phase([0.0, 0.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="integral is 0"):
        prc.centroid_phase([0.0, 1.0], [1.0, -1.0])


def test_chunked_batches_give_the_same_prc(monkeypatch, responses):
    # members are independent: running them a few at a time changes nothing, bit for bit
    monkeypatch.setattr(prc, "CHUNK_BYTES", 8.0 * 3 * 4000 * 7)
    chunked = prc.phase_response(ADAPTED, 4.0, DT, n_phases=25)
    np.testing.assert_array_equal(chunked.prc_ms_per_mv, responses["with"].prc_ms_per_mv)


def test_a_large_kick_is_refused():
    # late in the adapted cycle V creeps towards theta: 0.1 mV is no longer a small kick there
    with pytest.raises(ValueError, match="charge_pc = 0.3: a pulse makes the neuron fire"):
        prc.phase_response(ADAPTED, 4.0, DT, charge_pc=0.3)


@pytest.mark.parametrize("neuron", [NEURON, FIXED], ids=["dynamic", "fixed"])
def test_closed_form_centroid_over_the_whole_cycle(neuron):
    phase = np.linspace(0, 1, 20001)
    expected = prc.centroid_phase(phase, prc.closed_form_prc_ms_per_mv(neuron, 4.0, phase))
    assert prc.closed_form_centroid_phase(neuron, 4.0) == pytest.approx(expected, abs=1e-8)
    with pytest.raises(prc.NotPeriodic, match="rheobase"):
        prc.closed_form_centroid_phase(neuron, 0.5)


# --- controls at equal rate, and the weak-coupling interaction function ---------------------

@pytest.mark.parametrize("g_tonic", [0.0, 0.05, 0.0855])
def test_closed_form_with_a_tonic_conductance_integrates_to_the_slope_of_the_period(g_tonic):
    # as above, with a frozen conductance reversing at -90 mV: -dT/dI = (T / C) integral of Z
    current, e_tonic = 4.0, -90.0
    period = analytic.interspike_interval_ms(NEURON, current, g_tonic, e_tonic)
    area, _ = quad(lambda p: prc.closed_form_prc_ms_per_mv(NEURON, current, p, g_tonic,
                                                           e_tonic)[()], 0, 1,
                   epsabs=0, epsrel=1e-12)
    h = 1e-4
    slope = (analytic.interspike_interval_ms(NEURON, current + h, g_tonic, e_tonic)
             - analytic.interspike_interval_ms(NEURON, current - h, g_tonic, e_tonic)) / (2 * h)
    # near its rheobase (g = 0.0855) the period is steep: the finite difference limits the match
    assert -slope == pytest.approx(period * area / NEURON.c_nf, rel=2e-4)


def test_period_matching_current_and_conductance_reproduce_the_period():
    period = 91.3
    current = prc.period_matching_current_na(NEURON, period)
    assert analytic.interspike_interval_ms(NEURON, current) == pytest.approx(period, rel=1e-10)
    g = prc.period_matching_conductance_us(NEURON, 4.0, period, -90.0)
    assert analytic.interspike_interval_ms(NEURON, 4.0, g, -90.0) == pytest.approx(period,
                                                                                   rel=1e-10)
    with pytest.raises(ValueError, match="period_ms"):
        prc.period_matching_conductance_us(NEURON, 4.0, 10.0, -90.0)  # shorter than without


def test_cycle_voltage_without_adaptation_is_the_closed_form_relaxation(responses):
    run = responses["without"]
    v = prc.cycle_voltage_mv(UNADAPTED, 4.0, DT, run.phase, run.state)
    v_inf = NEURON.e_leak_mv + NEURON.r_mohm * 4.0
    decay = np.exp(-run.phase * run.period_ms / NEURON.tau_m_ms)
    exact = v_inf + (NEURON.e_leak_mv - v_inf) * decay
    np.testing.assert_allclose(v, exact, atol=0.02)  # linear interpolation between samples


SYNAPSE = dict(e_syn_mv=0.0, tau_syn_ms=10.0, delta_syn=0.2, gbar_syn_us=0.002)


def _closed_form_cycle(n):
    period = analytic.interspike_interval_ms(NEURON, 4.0)
    phase = (np.arange(n) + 0.5) / n
    v_inf = NEURON.e_leak_mv + NEURON.r_mohm * 4.0
    v = v_inf + (NEURON.e_leak_mv - v_inf) * np.exp(-phase * period / NEURON.tau_m_ms)
    return phase, prc.closed_form_prc_ms_per_mv(NEURON, 4.0, phase), v, period


def test_synchrony_slope_is_the_derivative_of_the_odd_part_of_h():
    # Independent route: G(h) / h from H itself on a very fine grid, where the midpoint rule
    # resolves the jump of the synaptic gate.
    phase, z, v, period = _closed_form_cycle(400_000)
    h = 0.02
    h_values = prc.interaction_function([-h, h], phase, z, v, period, NEURON.c_nf, **SYNAPSE)
    brute = (h_values[0] - h_values[1]) / h
    slope = prc.synchrony_slope_per_ms(phase, z, v, period, NEURON.c_nf, **SYNAPSE)
    assert slope == pytest.approx(brute, rel=0.02)
    # from 100 phases only, as the chapter measures them: the same within 15 %
    coarse = prc.synchrony_slope_per_ms(*_closed_form_cycle(100)[:3], period, NEURON.c_nf,
                                        **SYNAPSE)
    assert coarse == pytest.approx(slope, rel=0.15)
    # linear in the synaptic conductance, and G is odd
    double = prc.synchrony_slope_per_ms(phase, z, v, period, NEURON.c_nf,
                                        **{**SYNAPSE, "gbar_syn_us": 0.004})
    assert double == pytest.approx(2 * slope, rel=1e-12)


def test_lead_phase_wraps_to_the_nearest_half_cycle():
    times, lead = prc.lead_phase([0.0, 10.0, 20.0, 30.0], [2.0, 19.0, 21.0])
    np.testing.assert_allclose(times, [0.0, 10.0, 20.0])
    np.testing.assert_allclose(lead, [0.2, -0.1, 0.1])


def test_a_weakly_coupled_adapted_pair_synchronises_as_predicted():
    # the direct test of the prediction: the adapted pair's lead shrinks to a time step
    pair = prc.coupled_pair(ADAPTED, partner_v_0_mv=-60.0, **SYNAPSE)
    assert len(pair.gates) == 4 and {(g.source, g.target) for g in pair.gates} == {
        (0, 0), (1, 1), (0, 1), (1, 0)}
    run = simulate(pair, 4.0, Protocol(DT, 12000.0))
    _, lead = prc.lead_phase(*run.circuit_trains(0))
    assert abs(lead[0]) > 0.1 and abs(lead[-1]) < 2 * DT / 91.3
