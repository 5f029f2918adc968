"""Chapter 4 as its users meet it: defaults, results table, papermill parameters."""

import pandas as pd
import papermill
import pytest

from neural_dynamics import neural_mass as nm
from neural_dynamics import spectra
from neural_dynamics.results import read_results, significant

from notebooks import execute, parameters

REQUIRED = {
    "dominant_frequency_hz": (3.0, 1e-9),
    "peak_power": (1.449, 5e-4),
    "rms_mv": (2.502, 5e-4),
    "max_peak_power": (16.84, 5e-3),
    "max_peak_coupling": (160.0, 1e-9),
    "max_peak_frequency_hz": (3.5, 1e-9),
}
FAST = {"fine_c_count": 4, "bifurcation_p_count": 6, "cycle_duration_s": 1.0,
        "cycle_transient_s": 0.5, "tau_e_sweep_ms": [5.0, 10.0], "tau_i_sweep_ms": [10.0, 20.0],
        "kinetics_duration_s": 7.0}


def test_parameter_defaults_are_the_spec_values():
    p = parameters("neural_mass")
    model = nm.JansenRit(p["a_per_s"], p["b_per_s"], p["a_mv"], p["b_mv"], p["coupling_c"],
                         p["e_max_per_s"], p["v0_mv"], p["r_per_mv"])
    assert model == nm.JansenRit()
    assert (p["coupling_c"], p["coupling_sweep"], p["seed"]) == (
        135.0, [110.0, 122.5, 135.0, 147.5, 160.0], 42)
    assert (p["dt_s"], p["duration_s"], p["transient_s"], p["segment_s"], p["overlap_s"]) == (
        1e-4, 20.0, 2.0, 4.0, 2.0)
    assert (p["input_mean"], p["input_sd"], p["min_peak_hz"]) == (160.0, 200.0, 3.0)


def test_committed_results_table_has_the_original_numbers(root):
    table = pd.read_csv(root / "data" / "results" / "neural_mass.csv")
    values = dict(zip(table.metric, table.value, strict=True))
    for metric, (original, tolerance) in REQUIRED.items():
        assert values[metric] == pytest.approx(original, abs=tolerance), metric


def test_papermill_other_coupling_sweep(tmp_path):
    sweep = [100.0, 150.0, 170.0]
    execute("neural_mass", tmp_path, coupling_sweep=sweep, **FAST)
    got = read_results("neural_mass", tmp_path / "results")
    run = nm.simulate_mass([nm.JansenRit(coupling_c=c) for c in sweep], nm.noise_input(42, 200000),
                           1e-4, 20.0)
    batch = nm.eeg_spectrum(run.eeg_mv, 1e-4, 2.0, 4.0, 2.0)
    peaks = [spectra.dominant_peak(spectra.Spectrum(batch.frequencies_hz, p), 3.0)
             for p in batch.power]
    best = max(range(3), key=lambda i: peaks[i].power)
    assert got["max_peak_coupling"] == sweep[best]
    assert got["max_peak_power"] == significant(peaks[best].power)
    assert got["dominant_frequency_hz"] == 3.0  # the base model is unchanged


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("dt_s", 0.05, r"dt_s = 0\.05: forward Euler diverges"),
        ("coupling_sweep", [135.0, -1.0], r"coupling_sweep\[1\] = -1\.0"),
        ("duration_s", 5.0, r"duration_s = 5\.0: must be > transient_s \+ segment_s"),
    ],
)
def test_papermill_bad_parameters_are_named(tmp_path, name, value, message):
    with pytest.raises(papermill.PapermillExecutionError, match=message):
        execute("neural_mass", tmp_path, **{**FAST, name: value})
