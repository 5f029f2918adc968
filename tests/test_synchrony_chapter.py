"""Chapter 3 as its users meet it: defaults, results table, papermill parameters."""

import nbformat
import pandas as pd
import papermill
import pytest

from neural_dynamics import metrics, presets, synchrony
from neural_dynamics.networks import coupled_pair
from neural_dynamics.results import read_results, significant

import reference
from chapter_kernel import kernel_fixture
from notebooks import NOT_A_NUMBER, execute, glue_references, glued, parameters

# one kernel for the input-check cases (papermill would start one per case)
kernel = kernel_fixture("synchrony")


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
    # the prose's claims: neuron 2 follows neuron 1 beyond the uncoupled control, and the
    # population rhythm appears at a weak coupling, faster than the strongest coupling's
    assert values["causal_excess_ratio_max"] > 1.2 and values["causal_excess_ratio_control"] < 1.1
    assert values["network_emergent_coupling"] < parameters("synchrony")["coupling_sweep"][-1]
    assert values["network_emergent_rhythm_hz"] > 1.5 * values["network_rhythm_strongest_hz"]


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
        ("noisy_ratio_12_sweep", [3.0, 1.0],
         r"noisy_ratio_12_sweep = \[3\.0, 1\.0\]: must be increasing, without repeats"),
        ("n_exc", 1, r"n_exc = 1: must be an int >= 2"),
        ("locking_duration_ms", 400.0,
         r"locking_duration_ms = 400\.0: must be > locking_transient_ms = 500\.0"),
        ("noise_tau_ms", -5.0, r"noise_tau_ms = -5\.0: must be a finite number > 0"),
        ("n_rhythm_surrogates", 0, r"n_rhythm_surrogates = 0: must be an int >= 1"),
    ],
)
def test_papermill_bad_parameters_are_named(kernel, tmp_path, name, value, message):
    with pytest.raises(papermill.PapermillExecutionError, match=message):
        kernel.run(results_dir=str(tmp_path / "results"), **{**FAST, name: value})


LIMIT = r"; the limit is {} \(neural_dynamics\.limits\.{}\)"
UPDATES = r" ask for [0-9.e+]+ neuron updates \(members x neurons x time steps\)" + LIMIT.format(
    r"2e\+10", "MAX_NEURON_STEPS")
NETWORK = "n_exc, n_inh, coupling_sweep, network_dt_ms, network_duration_ms"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"noisy_duration_ms": 1e9},
         "dt_ms, noisy_duration_ms, n_seeds, noisy_ratio_12_sweep" + UPDATES),
        ({"n_exc": 200_000}, NETWORK + UPDATES),
        ({"network_dt_ms": 1e-6}, NETWORK + UPDATES),
        ({"fine_ratio_step": 1e-9}, r"fine_ratio_max, fine_ratio_step ask for 4e\+09 values in "
         r"the grid" + LIMIT.format("100,000", "MAX_GRID_POINTS")),
        ({"n_seeds": 10**6}, r"n_seeds, noisy_ratio_12_sweep ask for 2\.2e\+07 noisy runs "
         r"\(seeds x couplings, three times the seeds for the verdicts' runs and controls\)"
         + LIMIT.format("100,000", "MAX_GRID_POINTS")),
        ({"n_surrogates": 10**7}, r"n_surrogates, n_seeds, noisy_ratio_12_sweep ask for "
         r"1\.76e\+09 jitter surrogates \(surrogates x runs with a correlogram\)"
         + LIMIT.format("100,000", "MAX_GRID_POINTS")),
        ({"n_rhythm_surrogates": 10**5}, r"n_rhythm_surrogates, coupling_sweep ask for "
         r"2,600,000 shifted surrogates of the network \(surrogates x runs\)"
         + LIMIT.format("100,000", "MAX_GRID_POINTS")),
        ({"n_exc": 20_000, "network_duration_ms": 300.0},
         r"n_exc, n_inh, network_dt_ms, network_duration_ms ask for 15\.6 GiB of network arrays "
         r"\(dense weights, recorded traces, pre-drawn noise\)"
         + LIMIT.format("4 GiB", "MAX_BYTES")),
    ],
)
def test_papermill_work_too_large_stops_before_anything_runs(kernel, tmp_path, params, message):
    """Too much work is refused by the validation cell, naming the parameters and the limit."""
    with pytest.raises(papermill.PapermillExecutionError, match=message) as error:
        kernel.run(results_dir=str(tmp_path / "results"), **params)
    assert error.value.ename == "WorkTooLarge"
    assert "limits.neuron_steps(" in error.value.source  # the validation cell raised
    assert not (tmp_path / "results" / "synchrony.csv").exists()


def test_a_silent_neuron_1_is_explained_not_printed_as_nan(tmp_path):
    """Below the rheobase neuron 1 never fires: the measures are NaN, the prose says why."""
    execute("synchrony", tmp_path, current_1_na=0.5, **FAST)
    got = read_results("synchrony", tmp_path / "results")
    assert got["spikes_neuron1"] == 0 and got["mean_rate_neuron1_hz"] == 0.0
    assert all(pd.isna(got[m]) for m in ("coincidence_fraction", "coincidence_fraction_max",
                                         "mean_signed_lag_ms"))
    notebook = nbformat.read(tmp_path / "synchrony.ipynb", as_version=4)
    values = glued(notebook)
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    for _, key in glue_references(prose):
        assert key in values and not NOT_A_NUMBER.search(str(values[key])), (key, values.get(key))
    assert "neuron 1 does not fire" in values["base_numbers_text"]
    assert "on its own it would never fire" in values["drive_text"]
