"""Chapter 2 as its users meet it: defaults, results table, papermill parameters."""

import pandas as pd
import papermill
import pytest

from neural_dynamics import metrics, presets
from neural_dynamics.results import read_results, significant

import reference
from notebooks import execute, parameters

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
    execute("adaptation", tmp_path, probe_current_na=6.0)
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
    ],
)
def test_papermill_bad_adaptation_parameters_are_named(tmp_path, name, value, message):
    with pytest.raises(papermill.PapermillExecutionError, match=message):
        execute("adaptation", tmp_path, **{name: value})
