"""Chapter 2 as its users meet it: defaults, results table, papermill parameters."""

import math

import nbformat
import pandas as pd
import papermill
import pytest

from neural_dynamics import adaptation, metrics, presets
from neural_dynamics.results import read_results, significant

import reference
from chapter_kernel import kernel_fixture
from notebooks import execute, glued, parameters, unresolved_or_not_a_number

# one kernel for the input-check cases (papermill would start one per case)
kernel = kernel_fixture("adaptation")


REQUIRED = {
    "steady_rate_without_adaptation_hz": 44.44,
    "steady_rate_with_adaptation_hz": 10.95,
    "adaptation_rate_drop_hz": 33.49,
    "adaptation_rate_drop_pct": 75.35,
    "adaptation_index": 2.637,
    "max_adaptation_state": 0.4760,
}


def test_parameter_defaults_are_the_spec_values():
    p = parameters("adaptation")
    n, gate = presets.ADAPTIVE_NEURON, presets.ADAPTATION_GATE
    protocol = presets.ADAPTATION_PROTOCOL
    assert (p["e_leak_mv"], p["r_mohm"], p["tau_m_ms"]) == (n.e_leak_mv, n.r_mohm, n.tau_m_ms)
    assert (p["theta_0_mv"], p["theta_spike_mv"], p["tau_theta_ms"]) == (
        n.theta_0_mv, n.theta_spike_mv, n.tau_theta_ms)
    assert (p["e_a_mv"], p["tau_a_ms"], p["delta_a"], p["gbar_a_us"]) == (
        gate.e_rev_mv, gate.tau_ms, gate.delta, gate.gbar_us)
    assert (p["dt_ms"], p["duration_ms"], p["transient_ms"]) == (
        protocol.dt_ms, protocol.duration_ms, protocol.transient_ms)
    assert (p["current_max_na"], p["current_step_na"], p["probe_current_na"]) == (10.0, 0.5, 4.0)


def test_committed_results_table_has_the_original_numbers(root):
    table = pd.read_csv(root / "data" / "results" / "adaptation.csv")
    assert list(table.columns) == ["metric", "value", "unit", "description"]
    values = dict(zip(table.metric, table.value, strict=True))
    for metric, original in REQUIRED.items():
        assert values[metric] == pytest.approx(original, abs=0.005 if original > 1 else 5e-5)


def test_papermill_probe_current_changes_the_adapted_rate_as_the_reference_predicts(tmp_path):
    # the sweeps reduced to one point each: this test is about the probe current alone
    execute("adaptation", tmp_path, probe_current_na=6.0, current_step_na=2.5,
            tau_a_sweep_ms=[700.0], delta_a_sweep=[0.1], gbar_a_sweep_us=[0.2])
    got = read_results("adaptation", tmp_path / "results")
    protocol = presets.ADAPTATION_PROTOCOL
    spikes, traces = reference.simulate_circuit(
        presets.ADAPTIVE_CIRCUIT, reference.constant([6.0]), protocol.dt_ms,
        protocol.duration_ms, record=True,
    )
    expected = metrics.steady_rate_hz(spikes[0])
    assert got["steady_rate_with_adaptation_hz"] == significant(expected)
    assert got["max_adaptation_state"] == significant(max(traces["s"][0]))
    assert expected > 20.0  # well above the default's 10.95 Hz: the parameter took effect


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("tau_a_ms", -700.0, r"tau_a_ms = -700\.0: must be a finite number > 0"),
        ("delta_a", 1.5, r"delta_a = 1\.5: must be a finite number in \[0\.0, 1\.0\]"),
        ("long_duration_ms", 500.0, r"long_duration_ms = 500\.0: must be > duration_ms"),
        ("tau_a_sweep_ms", [100.0, -1.0], r"tau_a_sweep_ms\[1\] = -1\.0"),
        ("e_a_mv", 0.0, r"e_a_mv = 0\.0: must be <= e_leak_mv = -65\.0"),
    ],
)
def test_papermill_bad_adaptation_parameters_are_named(kernel, tmp_path, name, value, message):
    with pytest.raises(papermill.PapermillExecutionError, match=message):
        kernel.run(results_dir=str(tmp_path / "results"), **{name: value})


LIMIT = r"; the limit is {} \(neural_dynamics\.limits\.{}\)"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"current_step_na": 1e-9},
         r"current_min_na, current_max_na, current_step_na ask for 1e\+10 values in the grid"
         + LIMIT.format("100,000", "MAX_GRID_POINTS")),
        ({"tau_a_sweep_ms": [100.0] * 400, "delta_a_sweep": [0.1] * 400},
         r"tau_a_sweep_ms, delta_a_sweep ask for 160,000 \(tau_a, delta_a\) pairs"
         + LIMIT.format("100,000", "MAX_GRID_POINTS")),
        ({"dt_ms": 1e-7},
         r"dt_ms, duration_ms ask for 417 GiB of recorded traces .*" + LIMIT.format(
             "4 GiB", "MAX_BYTES")),
        ({"long_duration_ms": 1e9},
         r"dt_ms, duration_ms, long_duration_ms, current_min_na, current_max_na, current_step_na, "
         r"tau_a_sweep_ms, delta_a_sweep, gbar_a_sweep_us ask for 5\.96e\+12 neuron updates .*"
         + LIMIT.format(r"2e\+10", "MAX_NEURON_STEPS")),
    ],
)
def test_papermill_work_too_large_stops_before_anything_is_simulated(kernel, tmp_path, params,
                                                                     message):
    """Sizes are checked from the parameters alone: a clear error, no allocation, no table."""
    with pytest.raises(papermill.PapermillExecutionError, match=message) as error:
        kernel.run(results_dir=str(tmp_path / "results"), **params)
    assert error.value.ename == "WorkTooLarge"
    assert not (tmp_path / "results" / "adaptation.csv").exists()


def test_papermill_probe_current_below_rheobase_explains_what_is_missing(tmp_path):
    """No spike at the probe current: every glued text resolves, none reads nan."""
    notebook = execute("adaptation", tmp_path, probe_current_na=0.5, long_duration_ms=1000.0,
                       current_step_na=2.5, tau_a_sweep_ms=[700.0], delta_a_sweep=[0.1],
                       gbar_a_sweep_us=[0.2])
    (tmp_path / "intro.md").write_text("")
    assert unresolved_or_not_a_number(tmp_path) == []
    texts = glued(nbformat.read(notebook, as_version=4))
    assert "does not fire" in texts["probe_text"]
    got = read_results("adaptation", tmp_path / "results")
    assert got["steady_rate_with_adaptation_hz"] == 0.0
    assert math.isnan(got["adaptation_index"])


def test_committed_results_show_the_critical_state_and_the_interaction(root):
    """The factorial rows: with adaptation the post-spike threshold hardly matters at 4 nA,
    because a hovers around the closed-form critical state; the ladder's shares depend on
    the order in which adaptation is switched on."""
    table = pd.read_csv(root / "data" / "results" / "adaptation.csv")
    values = dict(zip(table.metric, table.value, strict=True))
    assert values["critical_adaptation_state"] == significant(3.0 / 7.0)
    assert values["critical_adaptation_state"] == significant(adaptation.critical_adaptation_state(
        presets.ADAPTIVE_NEURON, 4.0, presets.ADAPTATION_GATE.e_rev_mv,
        presets.ADAPTATION_GATE.gbar_us))
    assert (values["adaptation_state_before_spike"] < values["critical_adaptation_state"]
            < values["adaptation_state_after_spike"])
    assert (values["threshold_spread_with_adaptation_hz"]
            < 0.01 * values["threshold_spread_without_adaptation_hz"])
    assert values["adaptation_share_if_first_pct"] > values["adaptation_share_if_last_pct"] + 10
    # the ladder rows are the factorial's cells without adaptation
    assert values["ladder_fixed_threshold_hz"] == values["factorial_fixed_without_adaptation_hz"]
    assert (values["ladder_higher_threshold_jump_hz"]
            == values["factorial_chapter2_jump_without_adaptation_hz"])


def test_committed_notebook_glues_the_landing_page_clauses(root):
    texts = glued(nbformat.read(root / "book" / "adaptation.ipynb", as_version=4))
    assert texts["adaptation_effect_summary"].strip("'") == (
        "while slow adaptation lowers it by 33.49 Hz (75.4%)")
    assert texts["adaptation_interaction_summary"].strip("'") == (
        "with adaptation on, the post-spike threshold changes the steady rate by only 0.01 Hz "
        "(by 71.16 Hz without)")


def test_papermill_probe_above_the_unity_current_gives_the_threshold_back_its_say(tmp_path):
    """At 10 nA, a_c = 9/7 > 1: adaptation cannot pin the interval, and the prose says so."""
    notebook = execute("adaptation", tmp_path, probe_current_na=10.0, long_duration_ms=2000.0,
                       current_step_na=2.5, tau_a_sweep_ms=[700.0], delta_a_sweep=[0.1],
                       gbar_a_sweep_us=[0.2])
    got = read_results("adaptation", tmp_path / "results")
    assert got["critical_adaptation_state"] == significant(9.0 / 7.0)
    assert got["threshold_spread_with_adaptation_hz"] > 10.0
    texts = glued(nbformat.read(notebook, as_version=4))
    assert "exceeds 1" in texts["pinning_text"]
    assert "only" not in texts["adaptation_interaction_summary"]
    assert "at 10 nA" in texts["adaptation_interaction_summary"]
    # the feedback control: the mean-adaptation model, which cannot pin, shrinks the spread too
    assert (got["threshold_spread_mean_adaptation_model_hz"]
            < 0.5 * got["threshold_spread_without_adaptation_hz"])


def test_committed_results_control_the_prc_shift_and_test_the_synchrony_prediction(root):
    """The PRC's shift is compared at equal period (two closed-form controls), and the weak-
    coupling prediction for an adapted pair is checked by the direct run."""
    table = pd.read_csv(root / "data" / "results" / "adaptation.csv")
    values = dict(zip(table.metric, table.value, strict=True))
    without = values["prc_centroid_phase_without_adaptation"]
    with_ = values["prc_centroid_phase_with_adaptation"]
    equal = values["prc_centroid_phase_equal_rate"]
    frozen = values["prc_centroid_phase_frozen_conductance"]
    assert without < equal < with_  # the lower rate explains part of the shift, not all
    assert abs(frozen - with_) < 0.1 * (with_ - without)  # the mean shunt explains the rest
    assert values["synchrony_slope_with_adaptation_per_ms"] < 0  # synchrony predicted stable
    assert abs(values["pair_final_lead_with_adaptation"]) <= 2 * 0.05 / 91.3  # and reached
    # the mean-adaptation model (no pinning) also removes the threshold's effect at 4 nA
    assert (values["threshold_spread_mean_adaptation_model_hz"]
            < 0.01 * values["threshold_spread_without_adaptation_hz"])
