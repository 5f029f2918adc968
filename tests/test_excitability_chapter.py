"""Chapter 1 as its users meet it: defaults, papermill parameters, results table, prose."""

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest

from neural_dynamics import metrics, presets
from neural_dynamics.params import Circuit
from neural_dynamics.results import read_results, significant

import reference
from chapter_kernel import kernel_fixture
from notebooks import execute, glued, parameters, read, unresolved_or_not_a_number

# one kernel for the input-check cases (papermill would start one per case)
kernel = kernel_fixture("excitability")


REQUIRED = {
    "rheobase_grid_fixed_na": 2.0,
    "rheobase_grid_dynamic_na": 1.5,
    "rheobase_analytic_fixed_na": 1.5,
    "rheobase_analytic_dynamic_na": 1.0,
    "steady_rate_fixed_hz": 70.67,
    "steady_rate_dynamic_hz": 53.48,
    "threshold_rate_drop_hz": 17.20,
    "threshold_rate_drop_pct": 24.33,
}


def test_parameter_defaults_are_the_spec_values():
    p = parameters("excitability")
    fixed, dynamic = presets.FIXED_THRESHOLD_NEURON, presets.DYNAMIC_THRESHOLD_NEURON
    protocol = presets.EXCITABILITY_PROTOCOL
    assert (p["e_leak_mv"], p["r_mohm"], p["tau_m_ms"], p["v_th_mv"]) == (
        fixed.e_leak_mv, fixed.r_mohm, fixed.tau_m_ms, fixed.theta_0_mv)
    assert (p["theta_0_mv"], p["theta_spike_mv"], p["tau_theta_ms"]) == (
        dynamic.theta_0_mv, dynamic.theta_spike_mv, dynamic.tau_theta_ms)
    assert (p["dt_ms"], p["duration_ms"], p["transient_ms"]) == (
        protocol.dt_ms, protocol.duration_ms, protocol.transient_ms)
    assert (p["current_min_na"], p["current_max_na"], p["current_step_na"]) == (0.0, 10.5, 0.5)
    assert p["probe_current_na"] == 4.0 and p["results_dir"] is None


def test_committed_results_table_has_the_original_numbers(root):
    table = pd.read_csv(root / "data" / "results" / "excitability.csv")
    assert list(table.columns) == ["metric", "value", "unit", "description"]
    values = dict(zip(table.metric, table.value, strict=True))
    for metric, original in REQUIRED.items():
        assert values[metric] == pytest.approx(original, abs=0.005), metric


def reference_steady_rate(neuron, current_na):
    protocol = presets.EXCITABILITY_PROTOCOL
    spikes, _ = reference.simulate_circuit(
        Circuit.of(neuron), reference.constant([current_na]), protocol.dt_ms, protocol.duration_ms
    )
    return metrics.steady_rate_hz(spikes[0])


def test_papermill_probe_current_changes_the_rates_as_the_reference_predicts(tmp_path):
    execute("excitability", tmp_path, probe_current_na=6.0)
    got = read_results("excitability", tmp_path / "results")
    fixed = reference_steady_rate(presets.FIXED_THRESHOLD_NEURON, 6.0)
    dynamic = reference_steady_rate(presets.DYNAMIC_THRESHOLD_NEURON, 6.0)
    assert got["probe_current_na"] == 6.0
    assert got["steady_rate_fixed_hz"] == significant(fixed)
    assert got["steady_rate_dynamic_hz"] == significant(dynamic)
    assert got["threshold_rate_drop_hz"] == significant(fixed - dynamic)
    assert fixed > 70.68  # a stronger current than the default: the rates did change
    # the other numbers do not depend on the probe current
    assert got["rheobase_grid_fixed_na"] == 2.0


def test_papermill_bad_dt_names_the_parameter(kernel, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError, match=r"dt_ms = -0\.05: must be"):
        kernel.run(results_dir=str(tmp_path / "results"), dt_ms=-0.05)
    assert not (tmp_path / "results" / "excitability.csv").exists()


def test_papermill_bad_grid_names_the_parameter(kernel, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError, match=r"current_step_na = 0\.0"):
        kernel.run(results_dir=str(tmp_path / "results"), current_step_na=0.0)


@pytest.mark.parametrize("overrides, message", [
    ({"current_step_na": 1e-9},
     r"current_min_na, current_max_na, current_step_na ask for 1\.05e\+10 values in the grid; "
     r"the limit is 100,000 \(neural_dynamics\.limits\.MAX_GRID_POINTS\)"),
    ({"duration_ms": 1e9},
     r"dt_ms, duration_ms ask for [\d.,e+]+ GiB of traces, inputs and plotted data; the limit is "
     r"4 GiB \(neural_dynamics\.limits\.MAX_BYTES\)"),
    ({"dt_ms": 1e-7},
     r"dt_ms, duration_ms ask for [\d.,e+]+ GiB of traces, inputs and plotted data; the limit is "
     r"4 GiB \(neural_dynamics\.limits\.MAX_BYTES\)"),
    ({"current_step_na": 5e-4, "duration_ms": 3e4},  # fits in memory, but too many updates
     r"dt_ms, duration_ms, current_min_na, current_max_na, current_step_na ask for 2\.6\de\+10 "
     r"neuron updates \(members x neurons x time steps\); the limit is 2e\+10 "
     r"\(neural_dynamics\.limits\.MAX_NEURON_STEPS\)"),
], ids=["grid", "duration", "time step", "neuron updates"])
def test_work_too_large_stops_in_the_validation_cell(kernel, tmp_path, overrides, message):
    """In the validation cell, before anything is simulated or written."""
    with pytest.raises(papermill.PapermillExecutionError, match=message) as error:
        kernel.run(results_dir=str(tmp_path / "results"), **overrides)
    assert error.value.ename == "WorkTooLarge"
    assert "currents_na = sweeps.current_grid_na" in error.value.source  # the validation cell
    assert not (tmp_path / "results" / "excitability.csv").exists()


def test_everything_silent_is_explained_not_printed_as_nan(tmp_path):
    """No spike anywhere: no grid rheobase, no rates, no sine spikes, no crossover in the grid."""
    execute("excitability", tmp_path, current_max_na=1.0, probe_current_na=-2.0,
            sine_amplitude_na=1.0)
    book = tmp_path / "book"
    book.mkdir()
    (tmp_path / "excitability.ipynb").rename(book / "excitability.ipynb")
    (book / "intro.md").write_text("")
    assert unresolved_or_not_a_number(book) == []
    text = glued(nbformat.read(book / "excitability.ipynb", as_version=4))
    assert "does not exceed either neuron's rheobase" in text["sine_text"]
    assert "not defined for either neuron" in text["grid_rheobase_text"]
    assert "neither neuron fires twice" in text["probe_text"]
    got = read_results("excitability", tmp_path / "results")
    assert np.isnan(got["rheobase_grid_fixed_na"]) and np.isnan(got["threshold_rate_drop_pct"])


def test_committed_chapter_compares_the_sine_intervals_with_the_f_i_curve(root):
    """Each interval under the slow rectified sine is the f-I curve's at its midpoint to within
    about 1 Hz (fixed) and 2 Hz (dynamic); the prose says so with the glued numbers."""
    table = pd.read_csv(root / "data" / "results" / "excitability.csv")
    values = dict(zip(table.metric, table.value, strict=True))
    assert 0 < values["sine_rate_max_deviation_fixed_hz"] < 1.5
    assert 0 < values["sine_rate_max_deviation_dynamic_hz"] < 2.5
    text = glued(read("excitability"))
    assert f"{values['sine_rate_max_deviation_fixed_hz']:.3g} Hz for the fixed threshold" in (
        text["sine_text"])
    assert "without a lag" in text["sine_text"] and "not a lag" in text["sine_text"]


def test_committed_refractory_rows_follow_the_closed_form(root):
    """1/f grows by exactly t_ref; the rate at the grid's top current is the closed form's."""
    table = pd.read_csv(root / "data" / "results" / "excitability.csv")
    values = dict(zip(table.metric, table.value, strict=True))
    t_ref = values["refractory_period_ms"]
    assert t_ref == 2.0
    top, top_ref = (values["continuous_rate_max_current_fixed_hz"],
                    values["continuous_rate_max_current_refractory_fixed_hz"])
    assert top == pytest.approx(1000 / (30 * np.log(105 / 90)), rel=1e-9)  # 10.5 nA
    assert 1000 / top_ref == pytest.approx(1000 / top + t_ref, rel=1e-9)
    probe, probe_ref = (values["continuous_rate_fixed_hz"],
                        values["continuous_rate_refractory_fixed_hz"])
    assert 1000 / probe_ref == pytest.approx(1000 / probe + t_ref, rel=1e-9)
    text = glued(read("excitability"))
    assert f"{top_ref:.2f} Hz" in text["refractory_text"]


def test_one_neuron_silent_under_the_sine_and_no_threshold_jump(tmp_path):
    """A sine below the fixed rheobase only, and theta_spike = theta_0: both are said, and the
    silent neuron's deviation row is not a number."""
    execute("excitability", tmp_path, sine_amplitude_na=1.2, theta_spike_mv=-55.0)
    text = glued(nbformat.read(tmp_path / "excitability.ipynb", as_version=4))
    assert "does not exceed the fixed-threshold neuron's rheobase" in text["sine_text"]
    assert "so that neuron never fires" in text["sine_text"]
    assert "threshold does not jump" in text["trace_text"]
    got = read_results("excitability", tmp_path / "results")
    assert np.isnan(got["sine_rate_max_deviation_fixed_hz"])
    assert np.isfinite(got["sine_rate_max_deviation_dynamic_hz"])
