"""Work too big to run stops at once, with the parameters, the size and the limit named."""

import numpy as np
import pytest

from neural_dynamics import limits, neural_mass, presets, sweeps
from neural_dynamics.kernel import simulate
from neural_dynamics.noise import ou_current_na
from neural_dynamics.params import Circuit
from neural_dynamics.presets import Protocol


def test_the_message_names_parameters_size_and_limit():
    with pytest.raises(limits.WorkTooLarge, match=(
            r"^dt_ms, duration_ms ask for 149 GiB of recorded traces; the limit is 4 GiB "
            r"\(neural_dynamics\.limits\.MAX_BYTES\)$")):
        limits.memory("dt_ms, duration_ms", 149 * 2**30, "recorded traces")
    with pytest.raises(limits.WorkTooLarge, match=r"ask for 200,000 values.*100,000"):
        limits.grid_points("a", 2e5, "values")
    with pytest.raises(limits.WorkTooLarge, match="nan"):
        limits.neuron_steps("a", float("nan"))
    limits.grid_points("a", limits.MAX_GRID_POINTS, "values")  # the limit itself is allowed
    assert issubclass(limits.WorkTooLarge, ValueError)


def test_a_grid_too_fine_is_refused_before_it_is_built():
    with pytest.raises(limits.WorkTooLarge, match=(
            r"current_min_na, current_max_na, current_step_na ask for 1\.05e\+10 values")):
        sweeps.current_grid_na(0.0, 10.5, 1e-9)
    assert sweeps.current_grid_na(0.0, 10.5, 0.5).size == 22


def test_simulations_too_long_are_refused_before_allocating():
    neuron = presets.FIXED_THRESHOLD_NEURON
    long = Protocol(0.05, 2e9, 50.0)
    with pytest.raises(limits.WorkTooLarge, match=r"dt_ms, duration_ms and the batch ask for "
                                                  r"4e\+10 neuron updates"):
        simulate(Circuit.of(neuron), 4.0, long)
    with pytest.raises(limits.WorkTooLarge, match="GiB of recorded traces and spike buffer"):
        simulate(Circuit.of(neuron), 4.0, Protocol(0.05, 1e8, 50.0), record=True)
    with pytest.raises(limits.WorkTooLarge, match="neuron updates"):
        simulate(Circuit.of(neuron), np.full((10**6, 1), 4.0), Protocol(0.05, 1e6, 50.0))


def test_noise_and_neural_mass_inputs_too_large_are_refused():
    with pytest.raises(limits.WorkTooLarge, match="shape, n_steps ask for"):
        ou_current_na(np.random.default_rng(0), (10**4,), 10**6, 0.1, 5.0, 1.0)
    with pytest.raises(limits.WorkTooLarge, match="n_steps ask for"):
        neural_mass.noise_input(0, 10**10)
    with pytest.raises(limits.WorkTooLarge, match="dt_s, duration_s and the batch"):
        neural_mass.simulate_mass(neural_mass.JansenRit(), 160.0, 1e-4, 1e7)


def test_the_spike_buffer_of_a_huge_sweep_counts_too():
    """100,000 members of 1e5 steps pass the update limit but would reserve 5.5 GiB of buffer."""
    with pytest.raises(limits.WorkTooLarge, match="spike buffer"):
        simulate(Circuit.of(presets.FIXED_THRESHOLD_NEURON), np.full((100_000, 1), 4.0),
                 Protocol(0.05, 5000.0, 50.0))
