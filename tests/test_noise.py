"""Ornstein-Uhlenbeck input noise and seeded noisy batches."""

import numpy as np
import pytest
from scipy import signal

from neural_dynamics import noise, presets
from neural_dynamics.kernel import simulate
from neural_dynamics.presets import Protocol


def test_ou_statistics_do_not_depend_on_dt():
    for dt in (0.05, 0.5):
        x = noise.ou_current_na(np.random.default_rng(0), (4,), int(40000 / dt), dt, 5.0, 0.7)
        assert x.std() == pytest.approx(0.7, rel=0.03)
        lag = int(round(5.0 / dt))
        r = np.mean([np.corrcoef(row[:-lag], row[lag:])[0, 1] for row in x])
        assert r == pytest.approx(np.exp(-1.0), abs=0.03)


def test_ou_is_reproducible_and_zero_sigma_is_zero():
    a = noise.ou_current_na(np.random.default_rng(9), (2,), 100, 0.1, 5.0, 1.0)
    b = noise.ou_current_na(np.random.default_rng(9), (2,), 100, 0.1, 5.0, 1.0)
    np.testing.assert_array_equal(a, b)
    assert not np.any(noise.ou_current_na(np.random.default_rng(9), (2,), 100, 0.1, 5.0, 0.0))


@pytest.mark.parametrize(("dt_ms", "tau_ms", "sigma_na", "shape"),
                         [(0.1, 5.0, 0.8, (7,)), (0.05, 5.0, 0.4, (2, 3)), (0.1, 2.0, 1.6, (1,)),
                          (0.5, 0.1, 0.0, (4,))])
def test_ou_recursion_is_the_linear_filter_bit_for_bit(dt_ms, tau_ms, sigma_na, shape):
    """The compiled recursion gives the values of the first-order filter it replaced, exactly
    (the chapters' noise, and so their numbers, did not change with it)."""
    xi = np.random.default_rng(9).standard_normal(shape + (3000,))
    a = np.exp(-dt_ms / tau_ms)
    start = xi[..., :1] * sigma_na
    rest, _ = signal.lfilter([1.0], [1.0, -a], xi[..., 1:] * (sigma_na * np.sqrt(1.0 - a * a)),
                             axis=-1, zi=a * start)
    expected = np.concatenate([start, rest], axis=-1)
    got = noise.ou_current_na(np.random.default_rng(9), shape, 3000, dt_ms, tau_ms, sigma_na)
    assert got.shape == shape + (3000,)
    np.testing.assert_array_equal(got, expected)


def test_noisy_member_depends_only_on_its_seed():
    protocol = Protocol(0.05, 300.0)
    pair = presets.SYNCHRONY_PAIR
    batch = noise.simulate_with_noise(pair, 2.5, protocol, 5.0, 0.5, [3, 4, 5], max_bytes=1)
    alone = noise.simulate_with_noise(pair, 2.5, protocol, 5.0, 0.5, [4])
    for n in (0, 1):
        np.testing.assert_array_equal(batch.spike_times(1, n), alone.spike_times(0, n))
    # and the noise is the same current the plain kernel gets
    drive = 2.5 + noise.ou_current_na(np.random.default_rng(4), (2,), protocol.n_steps,
                                      protocol.dt_ms, 5.0, 0.5)
    direct = simulate(pair, drive[None], protocol)
    np.testing.assert_array_equal(direct.spike_steps, alone.spike_steps)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tau_ms": 0.0}, "tau_ms = 0.0"),
        ({"sigma_na": -1.0}, "sigma_na = -1.0"),
        ({"rng": 42}, "must be a numpy.random.Generator"),
        ({"n_steps": 0}, "n_steps = 0"),
    ],
)
def test_bad_noise_parameters(kwargs, message):
    arguments = {"rng": np.random.default_rng(0), "shape": (1,), "n_steps": 10, "dt_ms": 0.1,
                 "tau_ms": 5.0, "sigma_na": 1.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        noise.ou_current_na(**arguments)


def test_seeds_must_match_the_circuits():
    with pytest.raises(ValueError, match="2 seeds for 3 circuits"):
        noise.simulate_with_noise([presets.SYNCHRONY_PAIR] * 3, 2.5, Protocol(0.1, 10.0), 5.0,
                                  0.5, [1, 2])
