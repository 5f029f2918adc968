"""The compiled kernel against the plain-Python reference, and its invariants."""

import numpy as np
import pytest

from neural_dynamics import presets
from neural_dynamics.kernel import BLOCK, simulate, simulate_drawing
from neural_dynamics.params import Circuit, Gate, Network, Neuron, SynapseType
from neural_dynamics.presets import Protocol

import reference

ADAPTIVE = Neuron(-65.0, 10.0, 30.0, -55.0, 50.0, 10.0)


def adaptive_circuit(gbar_us=0.2, tau_ms=700.0, delta=0.1):
    return Circuit((ADAPTIVE,), (Gate(0, 0, -90.0, tau_ms, delta, gbar_us),))


def synaptic_pair(ratio_12=2.0, ratio_21=2.0):
    neuron = Neuron(-65.0, 10.0, 30.0, -55.0, 50.0, 5.0)
    return Circuit(
        (neuron, neuron),
        (
            Gate(0, 1, 0.0, 10.0, 0.2, ratio_12 / 10.0),
            Gate(1, 0, -70.0, 10.0, 0.2, ratio_21 / 10.0),
        ),
    )


def assert_matches_reference(result, circuits, currents, protocol):
    """Every circuit's spike times equal the reference's exactly (same grid indices)."""
    for b, circuit in enumerate(circuits):
        expected, _ = reference.simulate_circuit(
            circuit, reference.constant(currents[b]), protocol.dt_ms, protocol.duration_ms
        )
        for n, times in enumerate(expected):
            np.testing.assert_array_equal(result.spike_times(b, n), np.array(times))


@pytest.mark.parametrize(
    "neuron", [presets.FIXED_THRESHOLD_NEURON, presets.DYNAMIC_THRESHOLD_NEURON]
)
def test_chapter1_sweep_matches_reference(neuron):
    protocol = presets.EXCITABILITY_PROTOCOL
    currents = [0.0, 1.5, 2.0, 4.0, 10.5]
    result = simulate(Circuit.of(neuron), np.array(currents)[:, None], protocol)
    assert result.spike_times(3).size > 10  # the comparison is not between empty trains
    assert_matches_reference(result, [Circuit.of(neuron)] * 5, [[c] for c in currents], protocol)


def test_self_gate_batch_matches_reference():
    circuits = [adaptive_circuit(g, tau, d) for g, tau, d in
                [(0.2, 700.0, 0.1), (0.0, 700.0, 0.1), (0.5, 100.0, 0.3), (0.2, 50.0, 1.0)]]
    protocol = Protocol(dt_ms=0.05, duration_ms=400.0)
    currents = [[4.0], [4.0], [6.0], [3.0]]
    result = simulate(circuits, np.array(currents), protocol)
    assert_matches_reference(result, circuits, currents, protocol)


def test_synaptic_pair_batch_matches_reference_with_traces():
    circuits = [synaptic_pair(r, 2.0) for r in (0.5, 2.0, 3.0)]
    protocol = Protocol(dt_ms=0.01, duration_ms=150.0)
    result = simulate(circuits, 2.5, protocol, record=True)
    assert_matches_reference(result, circuits, [[2.5, 2.5]] * 3, protocol)
    _, traces = reference.simulate_circuit(
        circuits[1], reference.constant([2.5, 2.5]), 0.01, 150.0, record=True
    )
    np.testing.assert_allclose(result.v_mv[1], np.array(traces["v"]), rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.theta_mv[1], np.array(traces["theta"]), rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.s[1], np.array(traces["s"]), rtol=0, atol=1e-12)


def test_time_varying_current_matches_reference():
    protocol = Protocol(dt_ms=0.05, duration_ms=300.0)
    t = protocol.step_times_ms
    drive = np.abs(4.0 * np.sin(np.pi * t / protocol.duration_ms))
    neuron = presets.FIXED_THRESHOLD_NEURON
    result = simulate(Circuit.of(neuron), drive[None, None, :], protocol, record=True)
    expected, traces = reference.simulate_circuit(
        Circuit.of(neuron), lambda k, n: float(drive[k]), protocol.dt_ms, protocol.duration_ms,
        record=True,
    )
    assert len(expected[0]) > 5
    np.testing.assert_array_equal(result.spike_times(), np.array(expected[0]))
    np.testing.assert_allclose(result.v_mv[0, 0], traces["v"][0], rtol=0, atol=1e-9)


def test_batch_members_are_independent():
    """A circuit simulated alone gives the same spikes as inside a batch."""
    protocol = Protocol(dt_ms=0.05, duration_ms=200.0)
    batch = simulate(adaptive_circuit(), np.array([[3.0], [5.0], [7.0]]), protocol)
    alone = simulate(adaptive_circuit(), 5.0, protocol)
    np.testing.assert_array_equal(batch.spike_times(1), alone.spike_times(0))


def test_one_member_alone_is_the_same_arithmetic_as_in_a_batch():
    """The single-member loop and the batch loop of the kernel give the same spikes and the same
    traces bit for bit: gated and ungated neurons, a time-varying current, and members that
    spike at different steps (the batch loop notes spikes only where some member crossed)."""
    neuron = Neuron(-65.0, 10.0, 30.0, -55.0, 50.0, 5.0)
    circuit = Circuit((neuron, neuron, neuron),
                      (Gate(0, 1, 0.0, 10.0, 0.2, 0.2), Gate(1, 0, -70.0, 10.0, 0.2, 0.2)))
    protocol = Protocol(dt_ms=0.05, duration_ms=200.0)
    wave = 0.5 * np.sin(protocol.step_times_ms / 7.0)
    drive = np.array([[level + wave] * 3 for level in (0.5, 1.5, 3.0)])  # (members, neurons, N)
    batch = simulate(circuit, drive, protocol, record=True)
    counts = np.diff(batch.offsets).reshape(3, 3)
    assert counts[0].sum() == 0 and np.all(counts[1:] > 0)  # silent and firing members
    for b in range(3):
        alone = simulate(circuit, drive[b:b + 1], protocol, record=True)
        for n in range(3):
            np.testing.assert_array_equal(alone.spike_times(0, n), batch.spike_times(b, n))
        np.testing.assert_array_equal(alone.v_mv[0], batch.v_mv[b])
        np.testing.assert_array_equal(alone.theta_mv[0], batch.theta_mv[b])
        np.testing.assert_array_equal(alone.s[0], batch.s[b])


def test_last_member_alone_in_a_wide_block_is_the_same_arithmetic():
    """With BLOCK + 1 members the last one runs alone in a block BLOCK wide (the single-member
    loop on state with a member stride): with streamed noise, a gated and an ungated neuron, it
    matches the same member advanced by the batch loop, spikes and traces bit for bit."""
    neuron = Neuron(-65.0, 10.0, 30.0, -55.0, 50.0, 5.0)
    circuit = Circuit((neuron, neuron), (Gate(0, 1, 0.0, 5.0, 0.3, 0.2),))
    protocol = Protocol(dt_ms=0.1, duration_ms=100.0)
    levels = np.linspace(1.0, 3.0, BLOCK + 1)[:, None] * np.ones(2)

    def draw(b0, m, k0, n_chunk):  # member b's draws depend on b and the step only
        steps = np.arange(k0, k0 + n_chunk)[None, :, None]
        members = np.arange(b0, b0 + m)[:, None, None] + 0.0 * steps
        return np.sin(1.7 * members + 0.31 * steps + np.arange(2)[None, None, :])

    ou = (np.exp(-0.1 / 5.0), 0.5 * np.sqrt(1.0 - np.exp(-0.2 / 5.0)), 0.5)
    wide = simulate_drawing(circuit, levels, protocol, draw, ou, record=True, chunk_steps=64)
    last = BLOCK

    def draw_pair(b0, m, k0, n_chunk):  # members last - 1 and last, in the batch loop
        return draw(last - 1 + b0, m, k0, n_chunk)

    pair = simulate_drawing(circuit, levels[last - 1:], protocol, draw_pair, ou, record=True,
                            chunk_steps=64)
    assert np.diff(wide.offsets).reshape(-1, 2)[last].sum() > 0
    for n in range(2):
        np.testing.assert_array_equal(wide.spike_times(last, n), pair.spike_times(1, n))
    np.testing.assert_array_equal(wide.v_mv[last], pair.v_mv[1])
    np.testing.assert_array_equal(wide.theta_mv[last], pair.theta_mv[1])
    np.testing.assert_array_equal(wide.s[last], pair.s[1])


def test_subthreshold_voltage_follows_exact_solution():
    """Below threshold the exact update reproduces V(t) = V_inf + (E_L - V_inf) e^{-t/tau_m}."""
    neuron = presets.FIXED_THRESHOLD_NEURON
    protocol = Protocol(dt_ms=0.1, duration_ms=100.0)
    result = simulate(Circuit.of(neuron), 1.0, protocol, record=True)
    v_inf = neuron.e_leak_mv + neuron.r_mohm * 1.0
    expected = v_inf + (neuron.e_leak_mv - v_inf) * np.exp(-result.t_ms / neuron.tau_m_ms)
    np.testing.assert_allclose(result.v_mv[0, 0], expected, rtol=0, atol=1e-9)
    assert result.spike_steps.size == 0


def test_gates_stay_in_unit_interval_and_reset_is_rest():
    protocol = Protocol(dt_ms=0.05, duration_ms=300.0)
    result = simulate(adaptive_circuit(delta=0.9), 10.0, protocol, record=True)
    assert 0.0 <= result.s.min() and result.s.max() <= 1.0
    steps = result.spike_steps
    assert steps.size > 5
    np.testing.assert_array_equal(result.v_mv[0, 0, steps], ADAPTIVE.e_leak_mv)
    np.testing.assert_array_equal(result.theta_mv[0, 0, steps], ADAPTIVE.theta_spike_mv)


def test_more_spikes_than_the_first_buffer_are_all_kept():
    """At 100 nA the neuron fires every few steps, beyond the kernel's first buffer guess
    (one spike per 40 steps), which forces the second run with a larger buffer."""
    protocol = Protocol(dt_ms=0.05, duration_ms=100.0)
    neuron = presets.FIXED_THRESHOLD_NEURON
    result = simulate(Circuit.of(neuron), np.full((3, 1), 100.0), protocol)
    expected, _ = reference.simulate_circuit(
        Circuit.of(neuron), reference.constant([100.0]), protocol.dt_ms, protocol.duration_ms
    )
    assert len(expected[0]) > protocol.n_steps // 40
    for b in range(3):
        np.testing.assert_array_equal(result.spike_times(b), np.array(expected[0]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"current_na": np.nan}, "current_na contains nan"),
        ({"current_na": np.ones((2, 3, 4, 5))}, "current_na has shape"),
        ({"current_na": np.ones((3, 1, 7))}, "cannot be matched"),
        ({"protocol": 0.05}, "protocol = 0.05: must be a Protocol"),
        ({"circuits": []}, "circuits: must be a Circuit"),
    ],
)
def test_bad_simulation_inputs_are_named(kwargs, message):
    arguments = {
        "circuits": Circuit.of(presets.FIXED_THRESHOLD_NEURON),
        "current_na": 1.0,
        "protocol": Protocol(dt_ms=0.1, duration_ms=10.0),
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        simulate(**arguments)


def test_batch_with_mixed_topology_is_rejected():
    protocol = Protocol(dt_ms=0.1, duration_ms=10.0)
    with pytest.raises(ValueError, match="same number of neurons"):
        simulate([adaptive_circuit(), Circuit.of(ADAPTIVE)], 1.0, protocol)


def random_network(rng, n_neurons=6, scale=1.0):
    """A small random E-I network: neurons 0..3 excitatory, the rest inhibitory."""
    neuron = Neuron(-65.0, 10.0, 30.0, -55.0, 50.0, 5.0)
    types = (SynapseType(0.0, 5.0, 0.3), SynapseType(-80.0, 10.0, 0.5))
    weights = rng.uniform(0.0, 0.1, (n_neurons, n_neurons)) * scale
    weights *= rng.random((n_neurons, n_neurons)) < 0.6
    np.fill_diagonal(weights, 0.0)
    return Network((neuron,) * n_neurons, types, tuple(range(n_neurons)),
                   tuple(0 if i < 4 else 1 for i in range(n_neurons)), weights)


def test_network_batch_matches_reference():
    """Recurrent networks with two synapse types and time-varying input, three couplings."""
    rng = np.random.default_rng(7)
    base = random_network(rng)
    networks = [base.with_weights(base.weights_us * f) for f in (0.0, 1.0, 3.0)]
    protocol = Protocol(dt_ms=0.1, duration_ms=200.0)
    drive = 2.0 + rng.normal(0.0, 1.5, (1, 6, protocol.n_steps))
    result = simulate(networks, drive, protocol)
    counts = np.diff(result.offsets).reshape(3, 6)
    assert counts.sum() > 50 and not np.array_equal(counts[0], counts[2])  # coupling matters
    for b, network in enumerate(networks):
        expected = reference.simulate_network(
            network, lambda k, n: float(drive[0, n, k]), protocol.dt_ms, protocol.duration_ms
        )
        for n in range(6):
            np.testing.assert_array_equal(result.spike_times(b, n), np.array(expected[n]))


def test_circuit_and_its_network_form_agree():
    circuit = synaptic_pair(3.0, 1.0)
    protocol = Protocol(dt_ms=0.01, duration_ms=150.0)
    a = simulate(circuit, 2.5, protocol)
    b = simulate(circuit.as_network(), 2.5, protocol)
    np.testing.assert_array_equal(a.spike_steps, b.spike_steps)
    np.testing.assert_array_equal(a.offsets, b.offsets)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights_us": -np.ones((2, 2))}, "conductances must be >= 0"),
        ({"weights_us": np.ones((3, 2))}, r"weights_us has shape \(3, 2\)"),
        ({"gate_sources": (0, 2)}, "gate_sources: must index the 2 neurons"),
        ({"gate_types": (0, 1)}, "gate_types: must index the 1 synapse types"),
        ({"gate_initial": (0.0, 1.5)}, r"gate_initial\[1\] = 1.5"),
    ],
)
def test_bad_network_is_rejected(change, message):
    arguments = {
        "neurons": (ADAPTIVE, ADAPTIVE),
        "synapse_types": (SynapseType(0.0, 5.0, 0.2),),
        "gate_sources": (0, 1),
        "gate_types": (0, 0),
        "weights_us": np.ones((2, 2)),
        **change,
    }
    with pytest.raises(ValueError, match=message):
        Network(**arguments)


def test_bad_synapse_type_is_rejected():
    with pytest.raises(ValueError, match="tau_ms = 0.0"):
        SynapseType(0.0, 0.0, 0.2)
    with pytest.raises(ValueError, match="delta = 2.0"):
        SynapseType(0.0, 5.0, 2.0)
