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


def test_rhythm_measures_without_inhibitory_cells_and_bad_n_exc():
    trains = clocked_trains(np.random.default_rng(3), n_exc=30, n_inh=0, p_fire=1.0)
    got = pop.rhythm_measures(trains, 30, 1000.0, 99, np.random.default_rng(4))
    assert math.isnan(got.rate_i_hz)
    assert got.e_spikes_per_cycle == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="n_exc = 31: must not exceed"):
        pop.rhythm_measures(trains, 31, 1000.0, 99, np.random.default_rng(4))


def test_is_fast_compares_the_rhythm_with_the_cells_rate():
    assert list(pop.is_fast([45.0, 8.3, np.nan, 20.0], [15.0, 21.0, 10.0, 20.0])) == [
        True, False, False, False]


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
        ([1.0, 1.2], [0.2, 0.1], -0.6, True, "PING"),
        ([1.0, 1.2], [0.2, 0.1], -0.1, True, ""),  # does not follow tau_I
        ([1.0, 1.2], [0.2, 0.1], -0.6, False, ""),  # frequencies disagree
        ([0.8, 1.2], [0.9, 1.0], -0.1, False, ""),  # mixed participation
        ([], [], np.nan, False, ""),
    ],
)
def test_name_regime_names_only_when_the_measures_agree(cycles, cv, s_net, agrees, name):
    verdict = pop.name_regime(cycles, cv, s_net, -0.6, agrees)
    assert verdict.name == name
    if cycles:
        assert verdict.skips_cycles == all(c < 1 for c in cycles)
        assert verdict.fires_every_cycle == all(c >= 1 for c in cycles)
    else:
        assert verdict.skips_cycles is None and verdict.irregular is None
    assert verdict.follows_tau_inh is (None if np.isnan(s_net) else abs(s_net) >= 0.3)
