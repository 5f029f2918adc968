"""Synchrony measures on hand-made spike trains with known answers."""

import math

import neo
import numpy as np
import pytest
import quantities as pq
from elephant.spike_train_correlation import spike_time_tiling_coefficient

from neural_dynamics import spectra, synchrony

TRAIN = np.array([10.0, 25.0, 40.0, 61.0, 80.0])


def poisson(rng, rate_hz, duration_ms):
    n = rng.poisson(rate_hz * duration_ms / 1000.0)
    return np.sort(rng.uniform(0.0, duration_ms, n))


def test_nearest_lags_and_ties():
    np.testing.assert_allclose(synchrony.nearest_spike_lags_ms([1.0, 5.0, 9.0], [2.0, 8.0]),
                               [1.0, -3.0, -1.0])  # 5.0 is 3 ms from both: the earlier wins
    assert synchrony.nearest_spike_lags_ms([], [1.0]).size == 0
    np.testing.assert_allclose(synchrony.nearest_spike_lags_ms([1.0, 20.0], [4.0]), [3.0, -16.0])


def test_identical_and_shifted_trains():
    same = synchrony.lag_summary(TRAIN, TRAIN, 2.0)
    assert same == (1.0, 0.0, 0.0, 5)
    shifted = synchrony.lag_summary(TRAIN, TRAIN + 1.5, 2.0)
    assert shifted.coincidence_fraction == 1.0
    assert shifted.mean_signed_lag_ms == pytest.approx(1.5)
    assert synchrony.lag_summary(TRAIN, TRAIN + 3.0, 2.0).coincidence_fraction == 0.0
    empty = synchrony.lag_summary([], TRAIN, 2.0)
    assert math.isnan(empty.coincidence_fraction) and empty.n_spikes == 0
    assert synchrony.lag_summary(TRAIN, [], 2.0).coincidence_fraction == 0.0


def test_sttc_limits():
    assert synchrony.sttc(TRAIN, TRAIN, 2.0, 0.0, 100.0) == pytest.approx(1.0)
    assert math.isnan(synchrony.sttc([], TRAIN, 2.0, 0.0, 100.0))
    rng = np.random.default_rng(3)
    values = [synchrony.sttc(poisson(rng, 20, 20000), poisson(rng, 50, 20000), 5.0, 0.0, 20000.0)
              for _ in range(20)]
    assert abs(np.mean(values)) < 0.02  # independent trains: 0 whatever the rates
    # a time shift of both trains and the recording changes nothing
    a, b = TRAIN, TRAIN[::2] + 1.0
    assert synchrony.sttc(a + 500, b + 500, 2.0, 500.0, 600.0) == pytest.approx(
        synchrony.sttc(a, b, 2.0, 0.0, 100.0))


def test_sttc_agrees_with_elephant():
    """Random trains on a 0.1 ms grid with a window of 2.05 ms, so that no lag sits at the window
    edge where elephant's relative tolerance (np.isclose) could count it differently."""
    rng = np.random.default_rng(11)
    for _ in range(25):
        trains = [np.unique(np.round(poisson(rng, rate, 1000.0), 1)) for rate in (20, 60)]
        if min(t.size for t in trains) == 0:
            continue
        ours = synchrony.sttc(trains[0], trains[1], 2.05, 0.0, 1000.0)
        theirs = spike_time_tiling_coefficient(
            *[neo.SpikeTrain(t * pq.ms, t_start=0 * pq.ms, t_stop=1000 * pq.ms) for t in trains],
            dt=2.05 * pq.ms)
        assert ours == pytest.approx(float(theirs), abs=1e-12)


def test_coincidence_count_is_the_brute_force_count():
    rng = np.random.default_rng(5)
    a, b = poisson(rng, 40, 2000), poisson(rng, 40, 2000)
    brute = int(np.sum(np.abs(a[:, None] - b[None, :]) <= 3.0))
    assert synchrony.coincidence_count(a, b, 3.0) == brute


def test_interval_jitter_keeps_each_spike_in_its_window():
    rng = np.random.default_rng(1)
    train = poisson(rng, 30, 5000)
    jittered = synchrony.interval_jitter(train, 10.0, np.random.default_rng(2))
    assert jittered.size == train.size
    np.testing.assert_array_equal(np.sort(np.floor(jittered / 10.0)), np.floor(train / 10.0))
    np.testing.assert_array_equal(
        jittered, synchrony.interval_jitter(train, 10.0, np.random.default_rng(2)))


def test_jitter_test_separates_synchrony_from_chance():
    rng = np.random.default_rng(4)
    a = poisson(rng, 20, 20000)
    locked = np.sort(a + rng.normal(0.0, 0.5, a.size))
    strong = synchrony.jitter_test(a, locked, 2.0, 20.0, 99, np.random.default_rng(0))
    assert strong.p_value == pytest.approx(0.01) and strong.excess > 2
    independent = synchrony.jitter_test(a, poisson(rng, 20, 20000), 2.0, 20.0, 99,
                                        np.random.default_rng(0))
    assert independent.p_value > 0.05 and abs(independent.excess) < 0.2


def test_locking_of_periodic_trains():
    t1 = np.arange(0.0, 3000.0, 15.0)  # neuron 1 period 15 ms
    t2 = np.arange(3.0, 3000.0, 10.0)  # neuron 2 period 10 ms: 3 spikes per 2 of neuron 1
    locking = synchrony.locking_ratio(t1, t2)
    assert (locking.p, locking.q) == (3, 2) and locking.rate_ratio == pytest.approx(1.5)
    assert synchrony.locking_order(synchrony.stroboscopic_phases(t1, t2)) == 2
    drifting = np.arange(3.0, 3000.0, 10.0 / math.sqrt(2.0))  # irrational ratio
    assert synchrony.locking_order(synchrony.stroboscopic_phases(t1, drifting)) == 0


def test_chi_limits():
    rng = np.random.default_rng(0)
    common = rng.normal(size=2000)
    assert synchrony.synchrony_chi(np.tile(common, (10, 1))) == pytest.approx(1.0)
    independent = synchrony.synchrony_chi(rng.normal(size=(100, 20000)))
    assert independent == pytest.approx(0.1, rel=0.1)  # 1 / sqrt(N)


def test_population_rate_rhythm_and_spectrum():
    trains = [np.arange(5.0, 1000.0, 40.0)] * 10  # all neurons fire together at 25 Hz
    rate = synchrony.population_rate_hz(trains, 1000.0, 1.0)
    assert rate.size == 1000 and rate.mean() == pytest.approx(25.0)
    beat = synchrony.rhythm(rate, 1.0)
    assert beat.frequency_hz == pytest.approx(25.0) and beat.strength > 0.8
    noise = synchrony.rhythm(np.random.default_rng(0).normal(size=5000), 1.0)
    assert noise.strength < 0.1
    t = np.arange(0, 10.0, 0.001)
    spectrum = spectra.welch(np.sin(2 * np.pi * 12.0 * t), 1000.0, 2.0)
    assert spectrum.frequencies_hz[np.argmax(spectrum.power)] == pytest.approx(12.0)


def test_cross_correlogram_is_the_brute_force_histogram():
    rng = np.random.default_rng(7)
    a, b = poisson(rng, 40, 2000), poisson(rng, 60, 2000)
    edges = np.arange(-10.0, 10.5, 0.5)
    lags = (b[None, :] - a[:, None]).ravel()
    brute = [np.sum((lags > lo) & (lags <= hi))
             for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    np.testing.assert_array_equal(synchrony.cross_correlogram(a, b, edges), brute)
    # a pure delay of train 2 puts every pair of a spike with its copy in the bin of that delay
    counts = synchrony.cross_correlogram(TRAIN, TRAIN + 1.2, np.array([-2.0, 0.0, 1.0, 1.5]))
    np.testing.assert_array_equal(counts, [0, 0, TRAIN.size])


def test_window_test_finds_a_causal_delay_and_not_independence():
    rng = np.random.default_rng(3)
    a = poisson(rng, 20, 20000)
    follower = np.sort(np.concatenate([a + rng.uniform(0.2, 1.8, a.size),
                                       poisson(rng, 20, 20000)]))
    edges = np.arange(-10.0, 10.5, 1.0)
    ccg = synchrony.jitter_correlogram(a, follower, edges, 20.0, 99, np.random.default_rng(0))
    causal = synchrony.window_test(ccg, 0.0, 2.0)
    anti = synchrony.window_test(ccg, -2.0, 0.0)
    assert causal.ratio > 3 and causal.p_above == pytest.approx(0.01)
    # no excess before neuron 1's spikes (a deficit, yes: the surrogates smear the causal peak
    # over the neighbouring lags)
    assert anti.p_above > 0.05 and anti.ratio < 1
    independent = synchrony.jitter_correlogram(a, poisson(rng, 30, 20000), edges, 20.0, 99,
                                               np.random.default_rng(0))
    for lags in ((0.0, 2.0), (-2.0, 0.0), (-2.0, 2.0)):
        test = synchrony.window_test(independent, *lags)
        assert test.ratio == pytest.approx(1.0, abs=0.25)
        assert min(test.p_above, test.p_below) > 0.01
    with pytest.raises(ValueError, match="must be bin edges"):
        synchrony.window_test(ccg, 0.0, 2.5)


def test_circular_shift_keeps_each_train_and_breaks_alignment():
    rng = np.random.default_rng(0)
    cycles = np.cumsum(rng.normal(40.0, 3.0, 24))  # a common rhythm of variable cycles
    trains = [np.sort(cycles + rng.normal(0.0, 1.0, cycles.size)) for _ in range(50)]
    shifted = synchrony.circular_shift(trains, 1000.0, np.random.default_rng(0))
    for original, moved in zip(trains, shifted, strict=True):
        assert moved.size == original.size
        # a rotation: every interval is kept but the one across the wrap
        kept = np.isin(np.round(np.diff(moved), 6), np.round(np.diff(original), 6))
        assert kept.sum() >= moved.size - 2
    test = synchrony.rhythm_test(trains, 1000.0, 1.0, 19, np.random.default_rng(1))
    assert test.rhythm.frequency_hz == pytest.approx(25.0, abs=3.0)
    assert test.p_value == pytest.approx(0.05)
    assert np.all(test.surrogate_strengths < 0.5 * test.rhythm.strength)
    noise = [poisson(rng, 30, 1000) for _ in range(50)]
    assert synchrony.rhythm_test(noise, 1000.0, 1.0, 19, np.random.default_rng(1)).p_value > 0.05


def test_permutation_p_greater():
    assert synchrony.permutation_p_greater([5, 6, 7], [1, 2, 3]) == pytest.approx(1 / 20)
    assert synchrony.permutation_p_greater([1, 2, 3], [5, 6, 7]) == pytest.approx(1.0)
    same = synchrony.permutation_p_greater([1, 2, 3, 4], [1, 2, 3, 4])
    assert 0.4 < same < 0.7
    big = synchrony.permutation_p_greater(np.arange(12) + 20.0, np.arange(12.0),
                                          np.random.default_rng(0), max_splits=999)
    assert big == pytest.approx(1 / 1000)
    with pytest.raises(ValueError, match="must be a numpy.random.Generator"):
        synchrony.permutation_p_greater(np.arange(12.0), np.arange(12.0), max_splits=10)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: synchrony.lag_summary(TRAIN, TRAIN, 0.0), "window_ms = 0.0"),
        (lambda: synchrony.sttc(TRAIN, TRAIN, 2.0, 50.0, 40.0), "t_stop_ms = 40.0"),
        (lambda: synchrony.sttc(TRAIN, TRAIN, 2.0, 20.0, 100.0), "must lie within"),
        (lambda: synchrony.interval_jitter(TRAIN, 5.0, 3), "must be a numpy.random.Generator"),
        (lambda: synchrony.jitter_test(TRAIN, TRAIN, 2.0, 5.0, 0, None), "n_surrogates = 0"),
        (lambda: synchrony.synchrony_chi(np.ones(5)), "must be \\(neurons >= 2"),
        (lambda: synchrony.cross_correlogram(TRAIN, TRAIN, [1.0, 1.0]), "strictly increasing"),
        (lambda: synchrony.jitter_correlogram(TRAIN, TRAIN, [0.0, 1.0], 5.0, 0, None),
         "n_surrogates = 0"),
        (lambda: synchrony.circular_shift([TRAIN], 50.0, np.random.default_rng(0)),
         "must lie within"),
        (lambda: synchrony.rhythm_test([TRAIN], 100.0, 1.0, 0, None), "n_surrogates = 0"),
        (lambda: spectra.welch(np.ones(10), 1000.0, 1.0), "segment_s = 1.0"),
        (lambda: spectra.welch(np.ones(10), 10.0, 0.5, 0.5), "overlap_s = 0.5"),
    ],
)
def test_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _co_modulated(rng, n, duration_ms, rate_hz):
    """Inhomogeneous Poisson trains sharing one rate profile rate_hz(t) (1 ms grid)."""
    t = np.arange(0.0, duration_ms, 1.0)
    probability = rate_hz(t) / 1000.0
    return [t[rng.random(t.size) < probability] + 0.5 for _ in range(n)]


def test_rhythm_test_ignores_slow_co_modulation():
    # A shared 6 Hz modulation of the rates is an alignment, but not a rhythm of the band: the
    # band's high-pass and its peak rule must not turn it into one (a false positive before).
    slow = _co_modulated(np.random.default_rng(3), 200, 2000.0,
                         lambda t: 30.0 * (1.0 + 0.8 * np.sin(2 * np.pi * t / 1000.0 * 6.0)))
    old_style = synchrony.rhythm_test(slow, 2000.0, 1.0, 19, np.random.default_rng(1), 5.0)
    assert old_style.p_value == pytest.approx(0.05)  # in a band that holds 6 Hz it is found
    assert old_style.rhythm.frequency_hz == pytest.approx(6.0, abs=0.5)
    test = synchrony.rhythm_test(slow, 2000.0, 1.0, 19, np.random.default_rng(1), 15.0, 200.0)
    assert not test.p_value <= 0.05  # NaN (no peak in the band) or not significant
    # the same test finds a 40 Hz co-modulation of the same depth
    fast = _co_modulated(np.random.default_rng(3), 200, 2000.0,
                         lambda t: 30.0 * (1.0 + 0.8 * np.sin(2 * np.pi * t / 1000.0 * 40.0)))
    rhythmic = synchrony.rhythm_test(fast, 2000.0, 1.0, 19, np.random.default_rng(1), 15.0)
    assert rhythmic.p_value == pytest.approx(0.05)
    assert rhythmic.rhythm.frequency_hz == pytest.approx(40.0, abs=1.5)


def test_rhythm_test_on_noiseless_periodic_trains():
    # Identical periodic trains at independent random phases are not aligned: the test must
    # hold its level although every train, and so the population rate, is periodic and the
    # window (200 ms) is not a whole number of periods (33 ms). Bunched phases do pass.
    def trains(seed, spread):
        phases = np.random.default_rng(seed).random(100) * 33.0 * spread
        return [np.arange(phase, 200.0, 33.0) for phase in phases]

    p_values = np.array([
        synchrony.rhythm_test(trains(s, 1.0), 200.0, 1.0, 39, np.random.default_rng(100 + s),
                              15.0).p_value for s in range(40)])
    assert np.mean(p_values <= 0.05) <= 0.15
    bunched = synchrony.rhythm_test(trains(0, 0.1), 200.0, 1.0, 39, np.random.default_rng(1), 15.0)
    assert bunched.p_value == pytest.approx(1 / 40)
    assert bunched.rhythm.frequency_hz == pytest.approx(1000.0 / 33.0, rel=0.05)


def _cycle_population(period_ms, duration_ms, skip_every, rng):
    """Neurons firing near the peak of a 1/period rhythm, each skipping every n-th cycle."""
    peaks = np.arange(period_ms / 2, duration_ms, period_ms)
    trains = []
    for n in skip_every:
        keep = np.ones(peaks.size, bool) if n == 0 else (np.arange(peaks.size) % n) != 0
        trains.append(np.sort(peaks[keep] + rng.normal(0.0, 0.5, keep.sum())))
    trains = [t[(t >= 0) & (t < duration_ms)] for t in trains]
    rate = synchrony.population_rate_hz(trains, duration_ms, 1.0)
    return trains, rate


def test_cycle_participation_counts_cycles_with_a_spike():
    rng = np.random.default_rng(0)
    # 40 neurons on every cycle, 40 on every other cycle (skip every 2nd): mean 0.75
    trains, rate = _cycle_population(25.0, 2000.0, [0] * 40 + [2] * 40, rng)
    part = synchrony.cycle_participation(trains, rate, 1.0, 40.0)
    assert part.n_cycles >= 75
    assert part.fraction == pytest.approx(0.75, abs=0.03)
    assert part.fraction_low == pytest.approx(0.5, abs=0.05)
    assert part.fraction_high == pytest.approx(1.0, abs=0.03)
    assert part.vector_strength > 0.9  # spikes at the peaks: strongly locked
    # a neuron firing twice on one cycle and skipping the next has a rate equal to the rhythm's
    # frequency but takes part in half of the cycles
    double = np.sort(np.concatenate([np.arange(12.5, 2000, 50.0), np.arange(14.0, 2000, 50.0)]))
    part = synchrony.cycle_participation(trains + [double], rate, 1.0, 40.0)
    assert part.fraction < 0.75


def test_cycle_participation_undefined_and_bad_input():
    rng = np.random.default_rng(1)
    trains, rate = _cycle_population(25.0, 500.0, [0] * 5, rng)
    assert synchrony.cycle_participation(trains, rate, 1.0, math.nan).n_cycles == 0
    assert math.isnan(synchrony.cycle_participation([], rate, 1.0, 40.0).fraction)
    with pytest.raises(ValueError, match="half_width"):
        synchrony.cycle_participation(trains, rate, 1.0, 40.0, half_width=1.5)
    with pytest.raises(ValueError, match="bin_ms"):
        synchrony.cycle_participation(trains, rate, 0.0, 40.0)


def test_mean_difference_ci_matches_welch():
    from scipy import stats
    a = np.array([1.2, 1.4, 1.1, 1.5, 1.3, 1.6])
    b = np.array([0.9, 1.0, 1.2, 0.8])
    d = synchrony.mean_difference_ci(a, b)
    assert d.difference == pytest.approx(a.mean() - b.mean())
    # the interval is the one inverted from Welch's t-test: its ends have two-sided p = 0.05
    for end in (d.low, d.high):
        p = stats.ttest_ind(a - end, b, equal_var=False).pvalue
        assert p == pytest.approx(0.05, rel=1e-6)
    assert math.isnan(synchrony.mean_difference_ci([1.0], b).difference)
    assert synchrony.mean_difference_ci([1.0, 1.0], [0.5, 0.5]) == (0.5, 0.5, 0.5)
