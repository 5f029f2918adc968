"""Chapter 4 as its users meet it: defaults, results table, papermill parameters."""

import pandas as pd
import papermill
import pytest

from neural_dynamics import neural_mass as nm
from neural_dynamics import spectra
from neural_dynamics.results import read_results, significant

from chapter_kernel import kernel_fixture
from notebooks import execute, glued, parameters, read

# one kernel for the input-check cases (papermill would start one per case)
kernel = kernel_fixture("neural_mass")


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


def test_committed_results_name_the_attractors(root):
    """The rows from the deterministic model: the first cycle along C at the noise's mean
    input, the alpha cycle's range from continuation (its ends are the Hopf points) and the
    criticality of the lower Hopf point."""
    table = pd.read_csv(root / "data" / "results" / "neural_mass.csv")
    values = dict(zip(table.metric, table.value, strict=True))
    assert values["cycle_onset_coupling"] == 134.0  # the focus at C <= 133.5 is stable
    assert values["alpha_cycle_min_p"] == values["hopf_low_p"]
    assert values["alpha_cycle_max_p"] == values["hopf_high_p"]
    assert values["lower_hopf_supercritical"] == 1.0
    assert values["first_slow_coupling"] == 136.0


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
        ("min_peak_hz", 6000.0,
         r"min_peak_hz = 6000\.0: above the spectra's highest frequency, 5000 Hz"),
        ("overlap_s", 3.99999,
         r"overlap_s = 3\.99999: must be shorter than segment_s = 4\.0 by at least one time step"),
        ("tau_e_sweep_ms", [0.04, 10.0], r"tau_e_sweep_ms\[0\] = 0\.04: forward Euler diverges"),
        ("bifurcation_p_count", 1, r"bifurcation_p_count = 1: must be an int >= 2"),
    ],
)
def test_papermill_bad_parameters_are_named(kernel, tmp_path, name, value, message):
    with pytest.raises(papermill.PapermillExecutionError, match=message):
        kernel.run(results_dir=str(tmp_path / "results"), **{**FAST, name: value})


def test_papermill_cycle_runs_shorter_than_a_time_step_are_named(kernel, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError,
                       match=r"cycle_duration_s = 5e-05: must be >= dt_s = 0\.0001"):
        kernel.run(results_dir=str(tmp_path / "results"), cycle_duration_s=5e-5,
                   cycle_transient_s=0.0)


VALIDATION_CELL = "# 1. Each value on its own"
GIB = r"[\d.,]+ GiB"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"duration_s": 1e7}, rf"dt_s, duration_s ask for {GIB} of Gaussian input"),
        ({"dt_s": 1e-9}, rf"dt_s, duration_s ask for {GIB} of Gaussian input"),
        ({"kinetics_duration_s": 1e6},
         rf"dt_s, kinetics_duration_s ask for {GIB} of uniform input"),
        ({"fine_c_count": 10**7},
         r"fine_c_count ask for 1e\+07 values of C in the fine sweep; the limit is 100,000 "
         r"\(neural_dynamics\.limits\.MAX_GRID_POINTS\)"),
        ({"bifurcation_p_count": 10**7},
         r"bifurcation_p_count ask for 1e\+07 constant inputs of the bifurcation diagram"),
        ({"tau_e_sweep_ms": [5.0] * 400, "tau_i_sweep_ms": [10.0] * 400},
         r"tau_e_sweep_ms, tau_i_sweep_ms ask for 160,000 combinations"),
        ({"fine_c_count": 20_000},
         rf"dt_s, duration_s, fine_c_count, segment_s, overlap_s ask for {GIB} of outputs and "
         r"work arrays of the fine sweep; the limit is 4 GiB "
         r"\(neural_dynamics\.limits\.MAX_BYTES\)"),
        ({"overlap_s": 3.9999},
         rf"dt_s, duration_s, coupling_sweep, segment_s, overlap_s ask for {GIB} of outputs and "
         r"work arrays of the coupling sweep"),
        ({"cycle_duration_s": 1e4},
         r"cycle_duration_s, cycle_transient_s, fine_c_count, coupling_sweep, tau_e_sweep_ms, "
         r"tau_i_sweep_ms ask for [\d.]+e\+\d+ neuron updates"),
        ({"kinetics_duration_s": 5000.0},
         rf"dt_s, kinetics_duration_s, tau_e_sweep_ms, tau_i_sweep_ms, segment_s, overlap_s ask "
         rf"for {GIB} of outputs and work arrays of the kinetics map"),
    ],
)
def test_work_too_large_stops_in_the_validation_cell_and_writes_nothing(kernel, tmp_path, overrides,
                                                                        message):
    with pytest.raises(papermill.PapermillExecutionError, match=message) as error:
        kernel.run(results_dir=str(tmp_path / "results"), **overrides)
    assert error.value.ename == "WorkTooLarge"
    assert VALIDATION_CELL in error.value.source  # before anything was simulated
    assert not (tmp_path / "results" / "neural_mass.csv").exists()


def test_the_committed_chapter_compares_with_the_literature_and_the_original(root):
    values = glued(read("neural_mass"))
    assert values["run_text"] == "This page was executed with the original analysis's parameters."
    assert values["reproduction_text"].startswith("The base model reproduces the original numbers")
    assert values["literature_text"].startswith("They differ from Grimbert and Faugeras's values")
    # the sweep's "alpha-like" members rest at a stable focus: named by the attractor
    assert "equilibrium at C = 110 and 122.5" in values["sweep_regime_text"]
    assert "The first limit cycle appears at C = 134" in values["fine_sweep_text"]
    assert "supercritical" in values["cycles_text"]


def test_the_committed_chapter_tests_how_the_spike_like_cycle_ends(root):
    """The saddle-node on the invariant circle is concluded from a fit T = a/sqrt(p - p0) + b
    whose p0 lies at the fold within its error, from factors rising towards sqrt 2 and from runs
    below the fold started from two states, not from the growth of the period alone; the
    alpha-cycle rows are described as the ends of the branch found by continuation."""
    values = glued(read("neural_mass"))
    text = values["cycles_text"]
    assert "the factors rise towards √2" in text
    assert "the periods diverge at p₀ − p_fold = " in text
    assert "even with two standard errors added" in text
    assert "from the peak" in text and "from the trough" in text
    assert "Every run comes to rest on the lower equilibrium" in text
    assert "Together these say the cycle ends in a saddle-node on the invariant circle" in text
    assert "homoclinic orbit to the saddle is excluded" in text
    assert "–4.66 Hz" in text  # the spike-like branch's top end, just below its fold of cycles
    table = pd.read_csv(root / "data" / "results" / "neural_mass.csv")
    described = dict(zip(table.metric, table.description, strict=True))
    for metric in ("alpha_cycle_min_p", "alpha_cycle_max_p"):
        assert "found by continuation" in described[metric]
        assert "Hopf point" in described[metric]


def test_the_committed_chapter_measures_the_peak_over_several_seeds(root):
    """The dominant peak's dependence on the noise is computed (several seeds), the power
    weighting of the spike-like cycle is explained, and no claim that the peak follows the time
    spent on a cycle is made."""
    values = glued(read("neural_mass"))
    text = values["attractor_time_text"]
    assert "with seeds 42, 43, 44, 45 and 46" in text
    assert "grows with the square of the swing" in text
    assert "thus the run spending most of its time" not in text
    assert "the 7 mV threshold" in values["spike_gap_text"]
    table = pd.read_csv(root / "data" / "results" / "neural_mass.csv")
    values_csv = dict(zip(table.metric, table.value, strict=True))
    assert values_csv["lower_hopf_supercritical"] == 1.0
