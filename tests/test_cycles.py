"""Periodic orbits of the Jansen-Rit model: shooting, Floquet multipliers, continuation."""

import numpy as np
import pytest

from neural_dynamics import cycles
from neural_dynamics import neural_mass as nm

MODEL = nm.JansenRit()  # the base model, C = 135
P_TO_XI = 1 / 0.8  # the textbook input p is 0.8 xi


@pytest.fixture(scope="module")
def alpha_orbit():
    """The alpha cycle at p = 200 pulses/s, reached from rest."""
    orbit = cycles.orbit_from(MODEL, 200 * P_TO_XI, np.zeros(6))
    assert orbit is not None
    return orbit


def test_the_orbit_is_periodic_stable_and_independent_of_the_guess(alpha_orbit):
    assert 9.0 < alpha_orbit.frequency_hz < 12.0  # an alpha rhythm
    assert alpha_orbit.stable and alpha_orbit.multipliers.shape == (5,)
    again = cycles.periodic_orbit(MODEL, 200 * P_TO_XI, alpha_orbit.state * 1.02,
                                  alpha_orbit.period_s * 1.03)
    assert again.period_s == pytest.approx(alpha_orbit.period_s, rel=1e-10)
    assert again.amplitude_mv == pytest.approx(alpha_orbit.amplitude_mv, rel=1e-8)
    # integrating one period (an independent RK4 run on another step) returns to the start
    path = cycles.settle(MODEL, 200 * P_TO_XI, alpha_orbit.state, alpha_orbit.period_s)
    np.testing.assert_allclose(path[-1], alpha_orbit.state, atol=1e-6)
    assert path[0, 3] == 0.0  # phase condition: the point is an extremum of y_p


def test_amplitude_vanishes_as_the_square_root_at_the_supercritical_hopf(alpha_orbit):
    hopf = [b for b in nm.bifurcations(MODEL) if b.kind == "hopf" and b.input_xi > 0][0]
    branch = cycles.follow(MODEL, alpha_orbit, np.array([150, 110, 100, 95, 92, 91, 90, 89])
                           * P_TO_XI)
    assert branch.ending == "hopf"
    assert branch.hopf_xi == pytest.approx(hopf.input_xi, abs=0.02)
    near = [o for o in branch.orbits if o.input_xi < 92.5 * P_TO_XI]
    squares = [o.amplitude_mv ** 2 / (o.input_xi - hopf.input_xi) for o in near]
    assert np.ptp(squares) < 0.05 * np.mean(squares)  # amplitude^2 grows linearly: supercritical
    assert near[-1].frequency_hz == pytest.approx(hopf.frequency_hz, rel=2e-3)


def test_a_run_that_settles_to_rest_has_no_orbit():
    assert cycles.orbit_from(MODEL, 50 * P_TO_XI, np.zeros(6), settle_s=2.0) is None


def test_bad_guesses_are_refused():
    with pytest.raises(ValueError, match=r"state_guess has shape \(3,\)"):
        cycles.periodic_orbit(MODEL, 200.0, np.zeros(3), 0.1)
    with pytest.raises(ValueError, match="period_guess_s = -0.1"):
        cycles.periodic_orbit(MODEL, 200.0, np.zeros(6), -0.1)
    with pytest.raises(ValueError, match="input_xi = nan"):
        cycles.periodic_orbit(MODEL, float("nan"), np.zeros(6), 0.1)


@pytest.mark.parametrize(("coupling", "name", "cycles_hz"), [
    (122.5, "equilibrium", []),  # a stable focus: the noise makes it ring, no cycle
    (135.0, "bistable", [10.5, 3.0]),  # the alpha cycle and the spike-like cycle coexist
    (160.0, "spike-like cycle", [3.4]),
])
def test_attractors_at_the_noise_mean_name_the_regime(coupling, name, cycles_hz, alpha_orbit):
    regime = cycles.attractors(nm.JansenRit(coupling_c=coupling), 160.0, [alpha_orbit.state])
    assert regime.name(7.0) == name
    assert [o.frequency_hz for o in regime.cycles] == pytest.approx(cycles_hz, abs=0.05)
    assert all(o.stable for o in regime.cycles)


def test_two_stable_equilibria_are_bistable_without_cycles():
    regime = cycles.attractors(nm.JansenRit(coupling_c=84.0), 160.0)
    assert regime.cycles == [] and len(regime.stable_equilibria) == 2
    assert regime.kinds(7.0) == ["equilibrium", "equilibrium"]
    assert regime.name(7.0) == "bistable"


def test_spike_like_cycle_ends_at_a_fold_of_cycles():
    spike = cycles.orbit_from(MODEL, 160.0, np.zeros(6))
    assert spike.amplitude_mv > 7.0
    branch = cycles.follow(MODEL, spike, np.array([165.0, 170.0, 175.0]), min_step=1e-2)
    assert branch.ending == "fold"
    assert 0.8 * branch.end_xi == pytest.approx(137.38, abs=0.05)


def test_attractor_arguments_are_checked():
    with pytest.raises(ValueError, match="window_s = 5.0: must be <= settle_s = 4.0"):
        cycles.attractors(MODEL, 160.0, settle_s=4.0, window_s=5.0)


def test_continuation_does_not_jump_to_a_cycle_traversed_several_times():
    """Stepping the spike-like cycle from p = 128 to 120 lands Newton, unguarded, on the alpha
    cycle run five times over (a period close to the spike-like one's); the branch must stay on
    its own cycle until its period passes the 0.5 s that ends a branch as "homoclinic"
    (p ~ 114.06, above the fold at 113.59 where the cycle really ends)."""
    spike = cycles.orbit_from(MODEL, 160.0, np.zeros(6))
    branch = cycles.follow(MODEL, spike, np.array([120.0, 110.0]) * P_TO_XI, min_step=1e-2)
    assert branch.ending == "homoclinic"
    assert all(o.amplitude_mv > 7.0 for o in branch.orbits)
    assert 0.8 * branch.end_xi == pytest.approx(114.06, abs=0.05)


def test_the_alpha_cycle_near_its_hopf_point_is_found_without_extra_starts():
    """At C = 135 the upper focus repels at only 0.47 /s: a run from it does not reach the alpha
    cycle within the search's 6 s, but the starts around the focus refined by shooting do."""
    for coupling, swing_mv in [(134.0, 1.03), (135.0, 2.26)]:
        regime = cycles.attractors(nm.JansenRit(coupling_c=coupling), 160.0, settle_s=6.0,
                                   window_s=2.0)
        assert regime.name(7.0) == "bistable"
        alpha = regime.cycles[0]
        assert alpha.stable and 10.0 < alpha.frequency_hz < 11.0
        assert alpha.amplitude_mv == pytest.approx(swing_mv, abs=0.01)


def test_focus_orbits_need_an_unstable_focus():
    model = nm.JansenRit(coupling_c=122.5)  # a stable focus at the noise's mean
    stable = [p for p in nm.equilibria(model, 160.0) if p.stable]
    assert stable and all(cycles._focus_orbits(model, 160.0, p) == [] for p in stable)


def test_the_shared_rk4_step_gives_the_trajectory_and_the_final_state():
    """_trajectory and _advance take the same steps (one _rk4_step): the last row of the one is
    the other's result, bit for bit, and a step of the field agrees with RK4 written out."""
    par = np.array(MODEL.as_row(), dtype=float)
    start = np.array([0.1, 20.0, 10.0, 1.0, -2.0, 0.5])
    path = cycles._trajectory(par, 200.0, start, 0.05, 500)
    np.testing.assert_array_equal(path[-1], cycles._advance(par, 200.0, start, 0.05, 500))
    h, x = 1e-4, start.copy()
    k = [np.empty(6) for _ in range(4)]
    cycles._field(par, 200.0, x, k[0])
    cycles._field(par, 200.0, x + 0.5 * h * k[0], k[1])
    cycles._field(par, 200.0, x + 0.5 * h * k[1], k[2])
    cycles._field(par, 200.0, x + h * k[2], k[3])
    np.testing.assert_allclose(path[1], x + h / 6 * (k[0] + 2 * k[1] + 2 * k[2] + k[3]),
                               rtol=1e-14, atol=1e-14)


def test_the_small_cycle_can_be_named_by_its_origin(alpha_orbit):
    """Regime.kinds and name take the small cycle's name (the default stays "alpha cycle")."""
    regime = cycles.attractors(MODEL, 200 * P_TO_XI, settle_s=6.0, window_s=2.0)
    assert regime.name(7.0) == "alpha cycle"
    assert regime.name(7.0, "Hopf cycle") == "Hopf cycle"
    assert regime.kinds(7.0, small_name="Hopf cycle") == ["Hopf cycle"]


def test_the_spike_like_cycle_slows_down_towards_the_end_of_its_branch():
    """The continuation stops at p ~ 114.06 pulses/s (period 1 s); followed on towards the
    fold of equilibria (p ~ 113.59) the period keeps growing."""
    spike = cycles.orbit_from(MODEL, 160.0, np.zeros(6))
    branch = cycles.follow(MODEL, spike, np.array([120.0, 115.0, 110.0]) * P_TO_XI,
                           min_step=1e-2)
    last = branch.orbits[-1]
    targets = branch.end_xi + (last.input_xi - branch.end_xi) * 0.5 ** np.arange(1, 5)
    approach = cycles.slowing(MODEL, last, targets)
    periods = [last.period_s] + [o.period_s for o in approach]
    assert len(periods) >= 4 and np.all(np.diff(periods) > 0)
    assert periods[-1] > 2 * spike.period_s


def test_slowing_finds_the_orbits_that_continuation_finds():
    """Run on from the last orbit and refined by Newton, the orbits are the exact periodic
    orbits of natural continuation (same period to Newton's tolerance), and stable."""
    spike = cycles.orbit_from(MODEL, 160.0, np.zeros(6))
    targets = np.array([155.0, 150.0])
    by_run = cycles.slowing(MODEL, spike, targets)
    by_continuation = cycles.follow(MODEL, spike, targets, min_step=1e-2).orbits
    assert len(by_run) == 2 and all(o.stable for o in by_run)
    for one, other in zip(by_run, by_continuation, strict=True):
        assert one.input_xi == other.input_xi
        assert one.period_s == pytest.approx(other.period_s, rel=1e-8)


def test_slowing_stops_where_the_cycle_is_gone():
    """Far below the fold the model rests: no orbit there, nor at the inputs after it."""
    spike = cycles.orbit_from(MODEL, 160.0, np.zeros(6))
    found = cycles.slowing(MODEL, spike, np.array([150.0, 50.0, 150.0]))
    assert [o.input_xi for o in found] == [150.0]


def test_slowing_rejects_bad_arguments():
    spike = cycles.orbit_from(MODEL, 160.0, np.zeros(6))
    with pytest.raises(ValueError, match="settle_periods"):
        cycles.slowing(MODEL, spike, [150.0], settle_periods=0.0)
    with pytest.raises(ValueError, match="inputs_xi"):
        cycles.slowing(MODEL, spike, [np.nan])


def test_the_last_orbit_before_a_fold_of_cycles_is_kept():
    """The spike-like cycle is lost at its fold of cycles (p ~ 137.38); the grid's last orbit
    is at p = 135 (3.71 Hz), the last orbit found lies within two min_step of the end and is
    faster (above 4.5 Hz: the top of the branch's frequency range)."""
    spike = cycles.orbit_from(MODEL, 160.0, np.zeros(6))
    branch = cycles.follow(MODEL, spike, np.array([135.0, 140.0]) * P_TO_XI, min_step=1e-2)
    assert branch.ending == "fold"
    last = branch.last_orbit
    assert last is not None and last.stable
    assert branch.orbits[-1].input_xi < last.input_xi < branch.end_xi
    assert branch.end_xi - last.input_xi <= 2e-2
    assert last.frequency_hz > 4.5 > branch.orbits[-1].frequency_hz
    assert cycles.follow(MODEL, spike, [150.0]).last_orbit is None  # the range was done


def test_vanishing_input_finds_where_a_snic_period_diverges():
    """T = pi / sqrt(k (p - p_sn)): 1/T^2 is linear in p and vanishes at p_sn exactly. A
    logarithmic (homoclinic) law ending at p_h extrapolates 0.038 away from p_h, far outside a
    tenth of the smallest distance sampled (the chapter's tolerance)."""
    p_sn, distances = 113.586, np.array([0.4, 0.2, 0.1, 0.05])
    periods = np.pi / np.sqrt(0.3 * distances)
    assert cycles.vanishing_input(p_sn + distances, periods) == pytest.approx(p_sn, abs=1e-9)
    log_periods = -np.log(distances) / 2.0
    tolerance = 0.1 * distances.min()
    assert abs(cycles.vanishing_input(p_sn + distances, log_periods) - p_sn) > 5 * tolerance


def test_vanishing_input_rejects_bad_arguments():
    with pytest.raises(ValueError, match="two distinct"):
        cycles.vanishing_input([1.0, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="must match"):
        cycles.vanishing_input([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="> 0"):
        cycles.vanishing_input([1.0, 2.0], [1.0, -2.0])
    with pytest.raises(ValueError, match="no zero"):
        cycles.vanishing_input([1.0, 2.0], [1.0, 1.0])


def test_below_the_fold_the_spike_like_cycle_falls_to_the_lower_node():
    """Started on the spike-like cycle and held 0.5 pulses/s below the fold of equilibria
    (p ~ 113.586), the model comes to rest at the lower node; above it (p = 128) it stays on
    the cycle, swinging by ~9.6 mV."""
    spike = cycles.orbit_from(MODEL, 160.0, np.zeros(6))
    below_xi = (113.586 - 0.5) * P_TO_XI
    end = cycles.relax(MODEL, below_xi, spike.state, 10.0, 1.0)
    node = min((e for e in nm.equilibria(MODEL, below_xi) if e.stable), key=lambda e: e.eeg_mv)
    assert node.ringing_hz == 0.0
    assert end.swing_mv < 1e-6
    assert end.eeg_mv == pytest.approx(node.eeg_mv, abs=1e-6)
    on_cycle = cycles.relax(MODEL, 160.0, spike.state, 2.0, 1.0)
    assert on_cycle.swing_mv == pytest.approx(spike.amplitude_mv, abs=0.01)
    with pytest.raises(ValueError, match="window_s = 3.0: must be <= duration_s = 2.0"):
        cycles.relax(MODEL, 160.0, spike.state, 2.0, 3.0)


def test_a_peak_on_the_alpha_cycle_is_not_a_harmonic_of_the_spike_like_cycle():
    """At C = 134 and p = 128 the spike-like cycle (~3.5 Hz) times 3 falls within a 0.25 Hz bin
    of the alpha cycle (~10.5 Hz): the peak there is the alpha cycle's own rhythm. Without the
    alpha cycle the same peak is the spike-like cycle's third harmonic."""
    regime = cycles.attractors(nm.JansenRit(coupling_c=134.0), 160.0, settle_s=6.0,
                               window_s=2.0)
    alpha, spike = sorted(regime.cycles, key=lambda o: o.amplitude_mv)
    bin_hz = 0.25
    peak_hz = round(alpha.frequency_hz / bin_hz) * bin_hz  # the alpha cycle's Welch bin
    assert abs(peak_hz - 3 * spike.frequency_hz) <= bin_hz  # the trap
    assert cycles.peak_source(peak_hz, regime.cycles, bin_hz) == (alpha, 1)
    assert cycles.peak_source(peak_hz, [spike], bin_hz) == (spike, 3)
    assert cycles.peak_source(2 * spike.frequency_hz, regime.cycles, bin_hz) == (spike, 2)
    assert cycles.peak_source(7.3, regime.cycles, bin_hz) == (None, 0)


# --- fit_period_divergence: T = a / sqrt(p - p0) + b ------------------------------------------

DISTANCES = np.array([0.4, 0.2, 0.1, 0.05, 0.025])


def test_the_period_fit_recovers_an_exact_square_root_law():
    periods = 0.58 / np.sqrt(DISTANCES - 0.003) + 0.16
    fit = cycles.fit_period_divergence(DISTANCES, periods)
    assert fit.end == pytest.approx(0.003, abs=1e-9)
    assert fit.scale == pytest.approx(0.58, rel=1e-7)
    assert fit.offset_s == pytest.approx(0.16, rel=1e-6)
    assert fit.end_se < 1e-8  # no residual, no uncertainty
    # the order of the points does not matter
    shuffled = cycles.fit_period_divergence(DISTANCES[::-1], periods[::-1])
    assert shuffled.end == pytest.approx(fit.end, abs=1e-12)


def test_the_period_fit_gives_a_standard_error_that_covers_the_truth():
    rng = np.random.default_rng(3)
    periods = 0.58 / np.sqrt(DISTANCES + 0.002) + 0.16
    noisy = periods * (1 + 1e-3 * rng.standard_normal(DISTANCES.size))
    fit = cycles.fit_period_divergence(DISTANCES, noisy)
    assert 0 < fit.end_se < 0.01
    assert abs(fit.end + 0.002) < 4 * fit.end_se
    # three points determine the fit exactly: no standard error
    assert np.isnan(cycles.fit_period_divergence(DISTANCES[:3], periods[:3]).end_se)


def test_the_period_fit_does_not_pin_a_logarithmic_growth_to_the_fold():
    """A homoclinic orbit's T = -c ln(d) + b, fitted with the square-root law, does not put the
    divergence within a tenth of the smallest distance of d = 0, even allowing two errors."""
    fit = cycles.fit_period_divergence(DISTANCES, -0.5 * np.log(DISTANCES) + 1.0)
    assert abs(fit.end) + 2 * fit.end_se > 0.1 * DISTANCES.min()


def test_the_period_fit_refuses_bad_input():
    with pytest.raises(ValueError, match="3 distinct"):
        cycles.fit_period_divergence([0.1, 0.1, 0.2], [1.0, 1.0, 0.8])
    with pytest.raises(ValueError, match="must match"):
        cycles.fit_period_divergence([0.1, 0.2, 0.3], [1.0, 0.8])
    with pytest.raises(ValueError, match="periods_s"):
        cycles.fit_period_divergence([0.1, 0.2, 0.3], [1.0, -0.8, 0.7])


def test_the_corrected_period_fit_removes_the_bias_of_the_next_term():
    """With a c sqrt(d) term in the data, the plain law misplaces p0; the corrected fit does not,
    and it still refuses to pin a homoclinic orbit's logarithmic growth to the fold."""
    periods = 0.58 / np.sqrt(DISTANCES) + 0.1 + 0.9 * np.sqrt(DISTANCES)
    plain = cycles.fit_period_divergence(DISTANCES, periods)
    corrected = cycles.fit_period_divergence(DISTANCES, periods, correction=True)
    assert abs(plain.end) > 1e-3
    assert abs(corrected.end) < 1e-9 and corrected.scale == pytest.approx(0.58, rel=1e-6)
    homoclinic = cycles.fit_period_divergence(DISTANCES, -0.5 * np.log(DISTANCES - 0.01) + 1,
                                              correction=True)
    assert abs(homoclinic.end) + 2 * homoclinic.end_se > 0.1 * DISTANCES.min()
    with pytest.raises(ValueError, match="4 distinct"):
        cycles.fit_period_divergence(DISTANCES[:3], periods[:3], correction=True)
