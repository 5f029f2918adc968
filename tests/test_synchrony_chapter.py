"""Chapter 3 as its users meet it: defaults, results table, papermill parameters."""

import pandas as pd
import papermill
import pytest

from neural_dynamics import metrics, presets, synchrony
from neural_dynamics.networks import coupled_pair
from neural_dynamics.results import read_results, significant

import reference
from notebooks import execute, parameters

REQUIRED = {
    "mean_rate_neuron1_hz": 50.0,
    "mean_rate_neuron2_hz": 60.0,
    "coincidence_fraction": 0.2857,
    "mean_signed_lag_ms": 0.4814,
    "membrane_correlation": 0.03217,
    "coincidence_fraction_max": 0.5714,
    "coincidence_fraction_max_ratio": 3.0,
}
# the expensive sections, made small: the tests check the pair, not the statistics
FAST = {"n_seeds": 2, "noisy_duration_ms": 400.0, "noisy_ratio_12_sweep": [0.0, 3.0],
        "n_surrogates": 5, "fine_ratio_step": 0.5, "map_ratio_step": 1.0,
        "locking_duration_ms": 600.0, "n_exc": 40, "n_inh": 10, "network_duration_ms": 600.0,
        "coupling_sweep": [0.0, 20.0]}


def test_parameter_defaults_are_the_spec_values():
    p = parameters("synchrony")
    n, protocol = presets.SYNCHRONY_NEURON, presets.SYNCHRONY_PROTOCOL
    assert (p["theta_spike_mv"], p["tau_theta_ms"], p["theta_0_mv"]) == (
        n.theta_spike_mv, n.tau_theta_ms, n.theta_0_mv)
    assert (p["dt_ms"], p["duration_ms"], p["transient_ms"]) == (
        protocol.dt_ms, protocol.duration_ms, protocol.transient_ms)
    assert (p["ratio_12"], p["ratio_21"], p["ratio_12_sweep"]) == (
        2.0, 2.0, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    pair = coupled_pair(n, p["ratio_12"], p["ratio_21"], p["e_12_mv"], p["e_21_mv"],
                        p["tau_syn_ms"], p["delta_syn"])
    assert pair == presets.SYNCHRONY_PAIR
    assert (p["current_1_na"], p["current_2_na"], p["window_ms"]) == (2.5, 2.5, 2.0)


def test_committed_results_table_has_the_original_numbers(root):
    table = pd.read_csv(root / "data" / "results" / "synchrony.csv")
    values = dict(zip(table.metric, table.value, strict=True))
    for metric, original in REQUIRED.items():
        assert values[metric] == pytest.approx(original, rel=5e-4), metric
    # the network leaves asynchrony and reaches a rhythm (chi near 1/sqrt(N), then near 1)
    assert values["network_chi_weakest"] < 0.1 < 0.8 < values["network_chi_strongest"]


def test_papermill_ratio_12_gives_the_reference_values_for_that_circuit(tmp_path):
    execute("synchrony", tmp_path, ratio_12=3.0, **FAST)
    got = read_results("synchrony", tmp_path / "results")
    protocol = presets.SYNCHRONY_PROTOCOL
    circuit = coupled_pair(presets.SYNCHRONY_NEURON, 3.0, 2.0, 0.0, -70.0, 10.0, 0.2)
    spikes, traces = reference.simulate_circuit(
        circuit, reference.constant([2.5, 2.5]), protocol.dt_ms, protocol.duration_ms,
        record=True)
    summary = synchrony.lag_summary(spikes[0], spikes[1], 2.0)
    start = int(protocol.transient_ms / protocol.dt_ms)
    assert got["coincidence_fraction"] == significant(summary.coincidence_fraction)
    assert got["mean_signed_lag_ms"] == pytest.approx(summary.mean_signed_lag_ms, rel=1e-9)
    assert got["membrane_correlation"] == pytest.approx(synchrony.membrane_correlation(
        traces["v"][0][start:], traces["v"][1][start:]), rel=1e-9)
    assert got["mean_rate_neuron2_hz"] == pytest.approx(
        metrics.mean_rate_hz(spikes[1], protocol.duration_ms, protocol.transient_ms))
    assert got["coincidence_fraction"] == pytest.approx(4 / 7)  # not the default's 2/7


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ratio_12", -1.0, r"ratio_12 = -1\.0: must be a finite number >= 0"),
        ("n_seeds", 1, r"n_seeds = 1: must be an int >= 2"),
        ("coupling_sweep", [0.0, -2.0], r"coupling_sweep\[1\] = -2\.0"),
        ("fine_ratio_step", 0.0, r"fine_ratio_step = 0\.0: must be a finite number > 0"),
    ],
)
def test_papermill_bad_parameters_are_named(tmp_path, name, value, message):
    with pytest.raises(papermill.PapermillExecutionError, match=message):
        execute("synchrony", tmp_path, **{**FAST, name: value})
