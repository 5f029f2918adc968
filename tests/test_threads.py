"""Independent computations in threads, results in order (``threads.in_threads``)."""

import numpy as np
import pytest

from neural_dynamics import presets, spectra, sweeps, threads, transfer


def _noisy_rates(seed):
    """Rates of a small noisy population with its own stream (as the chapters' seed runs)."""
    protocol = presets.Protocol(0.1, 300.0, 50.0)
    return transfer.population_rates_hz(presets.FIXED_THRESHOLD_NEURON, [1.2, 1.6, 2.0], 0.8,
                                        5.0, 20, protocol, seed).rates_hz


def test_in_threads_gives_the_serial_results_in_order():
    seeds = [3, 1, 4, 1, 5]
    threaded = threads.in_threads(_noisy_rates, seeds, workers=2)
    serial = [_noisy_rates(s) for s in seeds]
    assert len(threaded) == len(serial)
    for a, b in zip(threaded, serial, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(threaded[0], threaded[2])  # the seeds differ, so must the rates
    assert threads.in_threads(str, range(3)) == ["0", "1", "2"]
    assert threads.in_threads(str, []) == []


def test_in_threads_raises_what_a_call_raises():
    def fail_on_two(x):
        if x == 2:
            raise ValueError(f"x = {x}: bad")
        return x

    with pytest.raises(ValueError, match="x = 2: bad"):
        threads.in_threads(fail_on_two, range(4), workers=2)


def test_the_chapters_name_for_it_is_the_same_function():
    assert sweeps.in_threads is threads.in_threads


def test_spectra_split_over_threads_equal_each_row_alone():
    """welch splits a batch's rows over threads; each row's spectrum is the one it has alone."""
    rows = np.random.default_rng(5).standard_normal((5, 2000))
    batch = spectra.welch(rows, 1000.0, 0.2)
    for row, power in zip(rows, batch.power, strict=True):
        np.testing.assert_array_equal(spectra.welch(row, 1000.0, 0.2).power, power)
