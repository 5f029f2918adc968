"""Population rhythm measures and the regime rules, against hand-built trains and closed forms."""

import math

import numpy as np
import pytest

from neural_dynamics import population as pop


def clocked_trains(rng, n_exc=60, n_inh=20, period_ms=20.0, span_ms=1000.0, p_fire=0.5,
                   jitter_ms=0.5):
    """Cells that fire on a random share p_fire of the cycles of a clock, with a small jitter;
    the clock's periods vary a little, so that the rate's autocorrelation decays with the lag."""
    cycles = np.cumsum(rng.normal(period_ms, 2.0, int(span_ms / period_ms) + 5))
    cycles = cycles[cycles < span_ms - 5.0]
    trains = []
    for _ in range(n_exc + n_inh):
        t = cycles[rng.random(cycles.size) < p_fire]
        t = np.sort(np.clip(t + rng.normal(0.0, jitter_ms, t.size), 0.0, span_ms - 1e-9))
        trains.append(t)
    return trains


def test_rhythm_measures_of_cells_on_half_the_cycles_of_a_50_hz_clock():
    rng = np.random.default_rng(1)
    trains = clocked_trains(rng)
    got = pop.rhythm_measures(trains, 60, 1000.0, 99, np.random.default_rng(2))
    assert 1000.0 / got.rhythm_hz == pytest.approx(20.0, abs=1.0)  # 1 ms lags
    assert got.p_value == pytest.approx(0.01)  # beats every surrogate
    rate_e = np.mean([t.size for t in trains[:60]])  # per second (span 1 s)
    assert got.rate_e_hz == pytest.approx(rate_e)
    assert got.rate_i_hz == pytest.approx(np.mean([t.size for t in trains[60:]]))
    assert got.e_spikes_per_cycle == pytest.approx(rate_e / got.rhythm_hz)
    assert 0.4 < got.e_spikes_per_cycle < 0.6
    # the CV, computed independently (population sd / mean of each cell's intervals)
    cvs = [np.std(np.diff(t)) / np.mean(np.diff(t)) for t in trains[:60] if t.size >= 3]
    assert got.cv_e == pytest.approx(np.mean(cvs))
    assert pop.is_fast(got.rhythm_hz, got.rate_e_hz)
    # the share of cycles a cell fires on, counted directly: about p_fire
    assert got.e_participation == pytest.approx(0.5, abs=0.08)


def test_rhythm_measures_without_inhibitory_cells_and_bad_n_exc():
    trains = clocked_trains(np.random.default_rng(3), n_exc=30, n_inh=0, p_fire=1.0)
    got = pop.rhythm_measures(trains, 30, 1000.0, 99, np.random.default_rng(4))
    assert math.isnan(got.rate_i_hz)
    assert got.e_spikes_per_cycle == pytest.approx(1.0, abs=0.05)
    assert got.e_participation == pytest.approx(1.0, abs=0.02)
    with pytest.raises(ValueError, match="n_exc = 31: must not exceed"):
        pop.rhythm_measures(trains, 31, 1000.0, 99, np.random.default_rng(4))


def test_is_fast_flags_only_rhythms_clearly_slower_than_the_cells():
    # a PING rhythm (one spike per cell per cycle, f = rate, or a little below) is not slow
    assert list(pop.is_fast([45.0, 8.3, np.nan, 20.0, 16.0, 9.9, 10.0],
                            [15.0, 21.0, 10.0, 20.0, 20.0, 20.0, 20.0])) == [
        True, False, False, True, True, False, True]


def test_cycle_participation_counts_cycles_not_spikes():
    rng = np.random.default_rng(5)
    for p_fire in (0.3, 0.7):
        trains = clocked_trains(rng, n_exc=80, n_inh=0, p_fire=p_fire)
        assert pop.cycle_participation(trains, 50.0, 1000.0) == pytest.approx(p_fire, abs=0.08)
    # doublets (a second spike 3 ms later) double the spikes per cycle, not the participation
    once = clocked_trains(np.random.default_rng(6), n_exc=40, n_inh=0, p_fire=0.5)
    twice = [np.sort(np.concatenate([t, np.minimum(t + 3.0, 999.9)])) for t in once]
    assert pop.cycle_participation(twice, 50.0, 1000.0) == pytest.approx(
        pop.cycle_participation(once, 50.0, 1000.0), abs=0.02)
    assert math.isnan(pop.cycle_participation(once, np.nan, 1000.0))


def locked_trains(rng, n_cells=200, period_ms=16.0, span_ms=2000.0, jitter_ms=3.0,
                  every=1):
    """Cells locked to a clock (periods N(period, 0.5) ms), each firing one spike, jittered by
    N(0, jitter), on every ``every``-th cycle (a random phase of that pattern per cell)."""
    cycles = np.cumsum(rng.normal(period_ms, 0.5, int(span_ms / period_ms) + 5))
    cycles = cycles[cycles < span_ms - 10.0]
    trains = []
    for _ in range(n_cells):
        t = cycles[rng.integers(every)::every]
        trains.append(np.sort(np.clip(t + rng.normal(0.0, jitter_ms, t.size), 0.0,
                                      span_ms - 1e-9)))
    return trains, 1000.0 / period_ms


def poisson_trains(rng, n_cells, rate_hz, span_ms):
    return [np.sort(rng.uniform(0.0, span_ms, rng.poisson(rate_hz * span_ms / 1000.0)))
            for _ in range(n_cells)]


def test_cycle_participation_of_locked_cells_is_close_to_one():
    """One spike per cycle reads ~1 even where noise adds peaks to the rate; every other cycle
    ~1/2; doublets do not take it above 1 (the old count of peaks read 0.82-0.94 for such
    cells in chapter 5)."""
    rng = np.random.default_rng(11)
    span = 2000.0
    locked, f = locked_trains(rng, span_ms=span)
    assert pop.cycle_participation(locked, f, span) >= 0.97
    # the cycles placed by a rate that another population's irregular spikes make noisy: the
    # noise adds peaks, not cycles
    noise = poisson_trains(rng, 400, 60.0, span)
    assert pop.cycle_participation(locked, f, span, cycle_trains=locked + noise) >= 0.97
    weak, _ = locked_trains(rng, n_cells=40, span_ms=span, jitter_ms=2.0)
    assert pop.cycle_participation(weak, f, span, cycle_trains=weak + noise) >= 0.97
    # every other cycle: one half
    half, _ = locked_trains(rng, span_ms=span, every=2)
    assert pop.cycle_participation(half, f, span, cycle_trains=half + noise) == pytest.approx(
        0.5, abs=0.03)
    # doublets (a second spike 3 ms after each): not above 1
    doublets = [np.sort(np.concatenate([t, np.minimum(t + 3.0, span - 1e-9)])) for t in locked]
    got = pop.cycle_participation(doublets, f, span, cycle_trains=doublets + noise)
    assert 0.97 <= got <= 1.0
    # cells firing irregularly at twice the rhythm's rate still read at most 1
    assert pop.cycle_participation(poisson_trains(rng, 50, 2 * f, span), f, span) <= 1.0
    # fewer than 4 cycles: NaN
    assert math.isnan(pop.cycle_participation(locked, 1.9, span))


def test_rate_matched_cv_of_uncoupled_noisy_cells():
    from neural_dynamics.params import Neuron
    from neural_dynamics.presets import Protocol
    neuron = Neuron(-65.0, 10.0, 30.0, -55.0, 50.0, 5.0)  # chapter 3's dynamic threshold
    currents = [1.0, 2.0, 3.0, 4.0]
    ref = pop.rate_matched_cv(neuron, [np.nan, 1e4], currents, 0.8, 5.0, 20,
                              Protocol(0.1, 600.0, 100.0), 3)
    assert np.all(np.diff(ref.rates_hz) > 0)  # more current, higher rate
    assert np.all(np.isnan(ref.cv_at_rates))  # outside the reference's range
    # at a simulated rate the reference is that current's own CV; more drive, more regular
    at = pop.rate_matched_cv(neuron, ref.rates_hz[1:3], currents, 0.8, 5.0, 20,
                             Protocol(0.1, 600.0, 100.0), 3)
    assert at.cv_at_rates == pytest.approx(ref.cv[1:3])
    assert ref.cv[-1] < ref.cv[0] < 1.0
    with pytest.raises(ValueError, match="currents_na"):
        pop.rate_matched_cv(neuron, [10.0], [1.0], 0.8, 5.0, 20, Protocol(0.1, 600.0, 100.0), 3)


def test_clearly_rhythmic_index_is_the_first_half_maximum_after_the_onset():
    strength = [0.1, 0.16, 0.2, 0.27, 0.3, 0.43, 0.9]
    rhythmic = [False, True, True, True, True, True, False]  # the 0.9 does not count
    assert pop.clearly_rhythmic_index(strength, rhythmic) == 3  # 0.27 >= 0.215
    assert pop.clearly_rhythmic_index(strength, rhythmic, after=4) == 5
    assert pop.clearly_rhythmic_index(strength, rhythmic, after=5) is None
    assert pop.clearly_rhythmic_index(strength, [False] * 7) is None
    with pytest.raises(ValueError, match="shapes"):
        pop.clearly_rhythmic_index([0.1, 0.2], [True])


def test_log_sensitivity_recovers_a_power_law():
    tau = np.array([4.0, 8.0, 16.0])
    assert pop.log_sensitivity(3.0 * tau**-0.7, tau) == pytest.approx(-0.7)
    # NaN values are left out; one value left is not enough
    assert pop.log_sensitivity([np.nan, 2.0, 1.0], tau) == pytest.approx(-1.0)
    assert math.isnan(pop.log_sensitivity([np.nan, 2.0, np.nan], tau))
    with pytest.raises(ValueError, match="scales"):
        pop.log_sensitivity([1.0, 2.0], [0.0, 1.0])


@pytest.mark.parametrize(
    ("cycles", "cv", "s_net", "agrees", "name"),
    [
        ([0.3, 0.4], [0.9, 1.0], -0.1, False, "sparse"),  # every measure says sparse
        ([0.3, 0.4], [0.5, 0.6], -0.1, False, ""),  # cells too regular
        ([0.3, 0.4], [0.9, 1.0], -0.6, False, ""),  # follows tau_I like PING
        ([0.3, 0.4], [0.9, 1.0], np.nan, False, "sparse"),  # tau_I not measured
        ([0.95, 1.0], [0.2, 0.1], -0.6, True, "PING"),
        ([0.95, 1.0], [0.2, 0.1], -0.1, True, ""),  # does not follow tau_I
        ([0.95, 1.0], [0.2, 0.1], -0.6, False, ""),  # frequencies disagree
        ([0.8, 1.0], [0.9, 1.0], -0.1, False, ""),  # mixed participation
        ([0.95, 1.0], [0.9, 1.0], -0.6, True, ""),  # every cycle, but as irregular as independent
        ([], [], np.nan, False, ""),
    ],
)
def test_name_regime_names_only_when_the_measures_agree(cycles, cv, s_net, agrees, name):
    verdict = pop.name_regime(cycles, cv, s_net, -0.6, agrees)
    assert verdict.name == name
    if cycles:
        every = pop.EVERY_CYCLE_PARTICIPATION
        assert verdict.skips_cycles == all(c < every for c in cycles)
        assert verdict.fires_every_cycle == all(c >= every for c in cycles)
    else:
        assert verdict.skips_cycles is None and verdict.irregular is None
    assert verdict.follows_tau_inh is (None if np.isnan(s_net) else abs(s_net) >= 0.3)


@pytest.mark.parametrize(
    ("cycles", "drive", "s_net", "name"),
    [
        ([0.3, 0.4], [-2.0, -5.0], -0.1, "sparse"),  # skip, irregular, fluctuation-driven
        ([0.3, 0.4], [1.0, -5.0], -0.1, ""),  # mean-driven at one coupling: not sparse
        ([0.3, 0.4], [-2.0, -5.0], -0.6, ""),  # fluctuation-driven, but follows tau_I
        ([0.3, 0.4], [np.nan, np.nan], -0.1, "sparse"),  # not measured at any coupling
        ([0.95, 1.0], [1.0, 2.0], -0.6, ""),  # every cycle, but irregular: never "PING"
    ],
)
def test_name_regime_with_the_mean_drive(cycles, drive, s_net, name):
    verdict = pop.name_regime(cycles, [0.9, 1.0], s_net, -0.6, True, drive)
    assert verdict.name == name
    finite = [d for d in drive if np.isfinite(d)]
    assert verdict.fluctuation_driven == (all(d < 0 for d in finite) if finite else None)
    assert pop.name_regime(cycles, [0.9, 1.0], s_net, -0.6, True).fluctuation_driven is None
    # with the membrane's s.d., fluctuation-driven means z = (mu - theta) / sd <= -1
    sd = [1.5, 1.5]
    with_sd = pop.name_regime(cycles, [0.9, 1.0], s_net, -0.6, True, drive, sd)
    assert with_sd.fluctuation_driven == (all(d <= -1.5 for d in finite) if finite else None)
    # no verdict is read off the vector strength: name_regime does not take it
    assert "locked" not in pop.RegimeVerdict._fields


def test_name_regime_near_threshold_is_not_fluctuation_driven():
    # 0.5 s.d. below threshold: near threshold, neither mean- nor fluctuation-driven
    near = pop.name_regime([0.3, 0.4], [0.9, 1.0], -0.1, -0.6, True, [-1.0, -5.0], [2.0, 2.0])
    assert near.fluctuation_driven is False and near.name == ""
    clear = pop.name_regime([0.3, 0.4], [0.9, 1.0], -0.1, -0.6, True, [-2.0, -5.0], [2.0, 2.0])
    assert clear.fluctuation_driven is True and clear.name == "sparse"


def modulated_poisson(rng, n, rate_hz, depth, f_hz, span_ms):
    """Poisson trains with rate rate_hz (1 + depth cos(2 pi f t)) (thinning)."""
    trains = []
    for _ in range(n):
        t = rng.uniform(0.0, span_ms, rng.poisson(2.0 * rate_hz * span_ms / 1000.0))
        keep = rng.random(t.size) < 0.5 * (1.0 + depth * np.cos(2 * np.pi * f_hz * t / 1000.0))
        trains.append(np.sort(t[keep]))
    return trains


def von_mises_poisson(rng, n, rate_hz, kappa, f_hz, span_ms, dt_ms=0.1):
    """Poisson trains with rate proportional to exp(kappa cos(2 pi f t)), mean rate_hz."""
    t = np.arange(0.0, span_ms, dt_ms)
    shape = np.exp(kappa * np.cos(2 * np.pi * f_hz * t / 1000.0))
    p = rate_hz * dt_ms / 1000.0 * shape / shape.mean()
    return [t[rng.random(t.size) < p] for _ in range(n)]


def test_phase_locking_of_locked_skipping_and_poisson_trains():
    """Locked cells read near 1 whether or not they skip cycles; Poisson cells near 0 and not
    significant; a Poisson process with a rate modulated to full depth reads m / 2 = 1/2."""
    rng = np.random.default_rng(5)
    locked = clocked_trains(rng, p_fire=1.0, jitter_ms=1.0)
    skipping = clocked_trains(rng, p_fire=0.3, jitter_ms=1.0)
    for trains, low in ((locked, 0.9), (skipping, 0.85)):
        got = pop.phase_locking(trains[:60], 50.0, 1000.0, 99, np.random.default_rng(6),
                                trains[60:])
        assert low < got.vector_strength <= 1.0
        assert got.p_value == pytest.approx(0.01) and got.surrogate_mean < 0.1
    poisson = modulated_poisson(rng, 200, 20.0, 0.0, 50.0, 1000.0)
    got = pop.phase_locking(poisson, 50.0, 1000.0, 99, np.random.default_rng(7))
    assert got.vector_strength < 0.05 and got.p_value > 0.05
    full = modulated_poisson(rng, 400, 20.0, 1.0, 50.0, 1000.0)
    got = pop.phase_locking(full, 50.0, 1000.0, 99, np.random.default_rng(8))
    assert got.vector_strength == pytest.approx(0.5, abs=0.05)
    assert got.p_value == pytest.approx(0.01)


@pytest.mark.parametrize("kappa", [1.0, 2.0, 4.0])
def test_poisson_cells_under_a_von_mises_rate_reach_its_first_moment(kappa):
    """Poisson cells with no locking of their own (CV about 1, a third of a spike per cycle)
    under a rate proportional to exp(kappa cos phi) read VS = I1(kappa) / I0(kappa), Mardia &
    Jupp (2000), beyond 1/2 for kappa >= 1.2: a large VS is a deep modulation of the rate."""
    from scipy import special

    trains = von_mises_poisson(np.random.default_rng(int(10 * kappa)), 400, 15.0, kappa, 45.0,
                               800.0)
    got = pop.phase_locking(trains[:320], 45.0, 800.0, 19, np.random.default_rng(1),
                            trains[320:])
    theory = special.i1(kappa) / special.i0(kappa)
    assert got.vector_strength == pytest.approx(theory, abs=0.03)
    cv = np.mean([np.std(np.diff(t)) / np.mean(np.diff(t)) for t in trains if t.size > 3])
    assert 0.8 < cv < 1.1


def test_poisson_under_rate_keeps_counts_and_reproduces_the_vector_strength():
    """The control keeps each train's count within the window, draws its spikes from the pooled
    rate (in distribution: the pooled histogram), and, for cells locked to a clock, gives about
    their vector strength: the VS is the pooled rate's concentration."""
    rng = np.random.default_rng(11)
    span = 1000.0
    locked = clocked_trains(rng, n_exc=120, n_inh=0, p_fire=0.4, jitter_ms=1.5, span_ms=span)
    control = pop.poisson_under_rate(locked, span, np.random.default_rng(2))
    assert [t.size for t in control] == [np.count_nonzero((t >= 0) & (t < span)) for t in locked]
    assert all(np.all(np.diff(t) >= 0) and np.all((t >= 0) & (t < span)) for t in control)
    net = pop.phase_locking(locked, 50.0, span, 19, np.random.default_rng(3))
    ctl = pop.phase_locking(control, 50.0, span, 19, np.random.default_rng(3))
    assert net.vector_strength > 0.8
    assert ctl.vector_strength == pytest.approx(net.vector_strength, abs=0.03)
    # under a flat rate the control follows the pooled rate's counting noise only: small VS
    # (it copies that noise, so it reads above the flat trains' own VS; see the docstring)
    flat = [np.sort(rng.uniform(0.0, span, 20)) for _ in range(200)]
    own = pop.phase_locking(flat, 50.0, span, 19, np.random.default_rng(5))
    got = pop.phase_locking(pop.poisson_under_rate(flat, span, np.random.default_rng(4)), 50.0,
                            span, 19, np.random.default_rng(5))
    assert own.vector_strength < got.vector_strength < 0.1
    # the spikes follow the rate of rate_trains: all in the one bin that holds its spikes
    one_bin = pop.poisson_under_rate([np.array([1.0, 2.0, 3.0])], 10.0,
                                     np.random.default_rng(6), rate_trains=[np.array([5.2])])
    assert one_bin[0].size == 3 and np.all((one_bin[0] >= 5.0) & (one_bin[0] < 6.0))
    # deterministic for a seeded generator; empty without spikes; bad input named
    again = pop.poisson_under_rate(locked, span, np.random.default_rng(2))
    assert all(np.array_equal(a, b) for a, b in zip(control, again, strict=True))
    assert [t.size for t in pop.poisson_under_rate([np.empty(0)] * 2, span, rng)] == [0, 0]
    with pytest.raises(ValueError, match="rng"):
        pop.poisson_under_rate(locked, span, 42)
    with pytest.raises(ValueError, match="span_ms"):
        pop.poisson_under_rate(locked, 0.5, rng)


def test_mean_free_potential_against_the_closed_form_and_the_mean_field():
    """Uncoupled: E_L + R I. Equal rates: meanfield.membrane_input's mu. Inhibition pulls the
    mean towards E_I, so a stronger coupling at the same rates moves it down."""
    from neural_dynamics import meanfield
    from neural_dynamics.params import Neuron, SynapseType

    neuron = Neuron(-65.0, 10.0, 30.0, -55.0, -55.0, 5.0)
    net = meanfield.from_ei_network(neuron, 320, 80, 0.2, SynapseType(0.0, 2.0, 0.2),
                                    SynapseType(-70.0, 8.0, 0.2), 0.01, 0.1, 2.5, 0.8, 5.0)
    assert pop.mean_free_potential_mv(net.scaled(0.0), 30.0, 30.0) == pytest.approx(-40.0)
    for c, nu in ((1.0, 20.0), (8.0, 15.0)):
        assert pop.mean_free_potential_mv(net.scaled(c), nu, nu) == pytest.approx(
            meanfield.membrane_input(net.scaled(c), nu).mu_mv, rel=1e-12)
    mu = pop.mean_free_potential_mv(net.scaled(np.array([1.0, 8.0, 30.0])[0]),
                                    np.array([30.0, 15.0]), np.array([30.0, 15.0]))
    assert mu.shape == (2,) and mu[0] < mu[1]  # more presynaptic firing: more inhibition here
    assert (pop.mean_free_potential_mv(net.scaled(30.0), 15.0, 15.0)
            < pop.mean_free_potential_mv(net.scaled(8.0), 15.0, 15.0) < -55.0)
    with pytest.raises(ValueError, match="network"):
        pop.mean_free_potential_mv(neuron, 1.0, 1.0)
    with pytest.raises(ValueError, match="rate_hz"):
        pop.mean_free_potential_mv(net, -1.0, 1.0)


def test_phase_locking_without_rhythm_or_spikes_and_bad_input():
    rng = np.random.default_rng(1)
    assert math.isnan(pop.phase_locking([np.array([1.0])], np.nan, 100.0, 9, rng).p_value)
    assert math.isnan(pop.phase_locking([np.empty(0)], 50.0, 100.0, 9, rng).vector_strength)
    with pytest.raises(ValueError, match="n_surrogates"):
        pop.phase_locking([np.array([1.0])], 50.0, 100.0, 0, rng)
    with pytest.raises(ValueError, match="rng"):
        pop.alignment_test([np.array([1.0])], 100.0, 9, 42)
    with pytest.raises(ValueError, match="span_ms"):
        pop.alignment_test([np.array([1.0])], -1.0, 9, rng)


def test_alignment_test_tells_regular_independent_cells_from_aligned_ones():
    """Regular cells at their own random phases: variance ratio about 1, not significant, though
    the pooled rate's autocorrelation peaks at their period; the same cells in step: large."""
    rng = np.random.default_rng(3)
    period, span = 16.0, 800.0
    phases = rng.uniform(0.0, period, 300)
    independent = [np.arange(ph, span, period) + rng.normal(0.0, 0.3, int(np.ceil(
        (span - ph) / period))) for ph in phases]
    independent = [np.sort(np.clip(t, 0.0, span - 1e-9)) for t in independent]
    got = pop.alignment_test(independent, span, 99, np.random.default_rng(4))
    # one draw of random phases: |sum of phasors|^2 is exponentially distributed, mean as shifted
    assert 0.3 < got.variance_ratio < 3.0 and got.p_value > 0.05
    in_step = [np.sort(np.clip(np.arange(2.0, span, period) + rng.normal(0.0, 1.0, 50), 0.0,
                               span - 1e-9)) for _ in range(300)]
    got = pop.alignment_test(in_step, span, 99, np.random.default_rng(4))
    assert got.variance_ratio > 10.0 and got.p_value == pytest.approx(0.01)
    assert math.isnan(pop.alignment_test([np.empty(0)], span, 9, rng).variance_ratio)


def _sweep_networks():
    """A small E-I network at three couplings, its drive and protocol."""
    from neural_dynamics import networks, noise
    from neural_dynamics.params import Neuron, SynapseType
    from neural_dynamics.presets import Protocol

    rng = np.random.default_rng(4)
    neuron = Neuron(-65.0, 10.0, 30.0, -55.0, 50.0, 5.0)
    built = networks.ei_network(neuron, 40, 10, 0.3, SynapseType(0.0, 2.0, 0.2),
                                SynapseType(-70.0, 8.0, 0.2), 0.01, 0.01, 0.1, 0.1, rng)
    protocol = Protocol(0.1, 300.0)
    drive = 2.5 + noise.ou_current_na(rng, (50,), protocol.n_steps, 0.1, 5.0, 0.8)[None]
    return [built.with_weights(built.weights_us * c) for c in (0.0, 5.0, 20.0)], drive, protocol


def test_simulate_each_is_the_batch_bit_for_bit():
    from neural_dynamics.kernel import simulate

    members, drive, protocol = _sweep_networks()
    batch = simulate(members, drive, protocol)
    got = pop.simulate_each(members, drive, protocol)
    assert got.spike_steps.size > 0
    np.testing.assert_array_equal(got.spike_steps, batch.spike_steps)
    np.testing.assert_array_equal(got.offsets, batch.offsets)
    assert got.n_circuits == 3
    with pytest.raises(ValueError, match="current_na"):
        pop.simulate_each(members, np.repeat(drive, 3, axis=0), protocol)
    with pytest.raises(ValueError, match="circuits"):
        pop.simulate_each([], drive, protocol)


def test_surrogate_tests_are_those_of_one_surrogate_at_a_time():
    """The vectorised surrogates draw and compute what one surrogate at a time does."""
    rng = np.random.default_rng(8)
    trains = clocked_trains(rng, n_exc=30, n_inh=10, span_ms=600.0)
    lock = pop.phase_locking(trains[:30], 50.0, 600.0, 19, np.random.default_rng(3), trains[30:])
    draws = np.random.default_rng(3)
    shifts = [draws.integers(0, 600, 30) for _ in range(19)]
    # the same shifts, one surrogate at a time (as the reference)
    cell, spike_bin = pop._binned(trains[:30], 600, 1.0)
    freqs = np.fft.fftfreq(600, 1e-3)
    gain = np.where((freqs >= pop.PHASE_BAND[0] * 50.0) & (freqs <= pop.PHASE_BAND[1] * 50.0),
                    2.0, 0.0)
    counts = np.zeros((30, 600))
    np.add.at(counts, (cell, spike_bin), 1.0)
    own = np.fft.ifft(np.fft.fft(counts, axis=1) * gain, axis=1)
    _, ref_bin = pop._binned(trains[30:], 600, 1.0)
    extra = np.fft.ifft(np.fft.fft(np.bincount(ref_bin, minlength=600).astype(float)) * gain)
    others = own.sum(axis=0) + extra - own
    unit = others / np.abs(others)
    expected = [abs(unit[cell, (spike_bin + s[cell]) % 600].mean()) for s in shifts]
    assert lock.surrogate_mean == pytest.approx(np.mean(expected), rel=1e-12)
    assert lock.p_value == (1 + np.sum(np.array(expected) >= lock.vector_strength)) / 20
    aligned = pop.alignment_test(trains[:30], 600.0, 19, np.random.default_rng(3))
    kernel = np.fft.rfft(np.r_[np.ones(3), np.zeros(597)] / 3, 600)

    def variance(s):
        rate = np.bincount((spike_bin + s[cell]) % 600, minlength=600).astype(float)
        return np.var(np.fft.irfft(np.fft.rfft(rate) * kernel, 600))

    surrogate = np.array([variance(s) for s in shifts])
    observed = variance(np.zeros(30, dtype=np.int64))
    assert aligned.variance_ratio == pytest.approx(observed / surrogate.mean(), rel=1e-12)
    assert aligned.p_value == (1 + np.sum(surrogate >= observed)) / 20
