"""Current grids and sweeps."""

import numpy as np
import pytest

from neural_dynamics import presets, sweeps


def test_current_grid_of_the_spec():
    grid = sweeps.current_grid_na(0.0, 10.5, 0.5)
    assert grid.size == 22 and grid[0] == 0.0 and grid[-1] == 10.5
    assert sweeps.current_grid_na(0.0, 10.5, 0.01).size == 1051
    assert sweeps.current_grid_na(2.0, 2.0, 0.5).tolist() == [2.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.0, 10.5, 0.0), r"current_step_na = 0.0: must be a finite number > 0"),
        ((0.0, 10.5, -0.5), r"current_step_na = -0.5"),
        ((5.0, 1.0, 0.5), r"current_max_na = 1.0: must be >= current_min_na = 5.0"),
        ((np.nan, 1.0, 0.5), r"current_min_na = nan"),
    ],
)
def test_bad_current_grid(args, message):
    with pytest.raises(ValueError, match=message):
        sweeps.current_grid_na(*args)


def test_sweep_reproduces_the_original_chapter1_numbers():
    """The spec's original results (grid rheobase 2.0 / 1.5 nA; 70.67 / 53.48 Hz at 4 nA)."""
    grid = sweeps.current_grid_na(0.0, 10.5, 0.5)
    protocol = presets.EXCITABILITY_PROTOCOL
    fixed = sweeps.current_sweep(presets.FIXED_THRESHOLD_NEURON, grid, protocol)
    dynamic = sweeps.current_sweep(presets.DYNAMIC_THRESHOLD_NEURON, grid, protocol)
    first_fixed = fixed.loc[fixed.mean_rate_hz > 0, "current_na"].min()
    first_dynamic = dynamic.loc[dynamic.mean_rate_hz > 0, "current_na"].min()
    assert (first_fixed, first_dynamic) == (2.0, 1.5)
    at4 = grid == 4.0
    assert fixed.steady_rate_hz[at4].item() == pytest.approx(70.67, abs=0.005)
    assert dynamic.steady_rate_hz[at4].item() == pytest.approx(53.48, abs=0.005)


def test_sweep_rejects_bad_model_and_bracket():
    protocol = presets.EXCITABILITY_PROTOCOL
    with pytest.raises(ValueError, match="model = 3: must be a Neuron or a Circuit"):
        sweeps.current_sweep(3, [1.0], protocol)
    with pytest.raises(ValueError, match="must bracket the threshold current"):
        sweeps.smallest_spiking_current_na(presets.FIXED_THRESHOLD_NEURON, protocol, 3.0, 4.0)
