"""Sparse connectivity (SparseNetwork, sparse_ei_network) and streamed noise (issue 13)."""

import tracemalloc

import numpy as np
import pytest

from neural_dynamics import kernel, networks, noise, presets
from neural_dynamics.kernel import simulate
from neural_dynamics.params import Network, Neuron, SparseNetwork, SynapseType
from neural_dynamics.presets import Protocol

import reference

EXC, INH = SynapseType(0.0, 2.0, 0.2), SynapseType(-70.0, 8.0, 0.2)
WEIGHTS = {"w_e_to_e_us": 0.05, "w_e_to_i_us": 0.08, "w_i_to_e_us": 0.5, "w_i_to_i_us": 0.0}


def build(sparse=True, n_exc=40, n_inh=10, p_connect=0.2, seed=0, **change):
    builder = networks.sparse_ei_network if sparse else networks.ei_network
    arguments = {"neuron": presets.SYNCHRONY_NEURON, "n_exc": n_exc, "n_inh": n_inh,
                 "p_connect": p_connect, "excitatory": EXC, "inhibitory": INH, **WEIGHTS,
                 "rng": np.random.default_rng(seed), **change}
    return builder(**arguments)


def random_network(rng, n_neurons=8):
    """A small network with random weights, two synapse types and a gate with no targets."""
    neuron = Neuron(-65.0, 10.0, 30.0, -55.0, 50.0, 5.0)
    weights = rng.uniform(0.0, 0.1, (n_neurons + 1, n_neurons))
    weights *= rng.random(weights.shape) < 0.5
    weights[-1] = 0.0
    sources = tuple(range(n_neurons)) + (2,)  # neuron 2 drives two gates
    types = tuple(0 if j < 5 else 1 for j in range(n_neurons + 1))
    return Network((neuron,) * n_neurons, (SynapseType(0.0, 5.0, 0.3),
                                           SynapseType(-80.0, 10.0, 0.5)),
                   sources, types, weights)


def assert_same_spikes(a, b):
    np.testing.assert_array_equal(a.spike_steps, b.spike_steps)
    np.testing.assert_array_equal(a.offsets, b.offsets)


def test_sparse_batch_is_the_dense_batch_spike_for_spike():
    """Members share the connections and differ in weights (one scaled, one with a pathway
    cut): the sparse kernel gives the dense result and the plain-Python reference's."""
    dense = random_network(np.random.default_rng(5))
    sparse = SparseNetwork.from_dense(dense)
    protocol = Protocol(dt_ms=0.1, duration_ms=200.0)
    drive = 2.0 + np.random.default_rng(6).normal(0.0, 1.5, (1, 8, protocol.n_steps))
    factors = (0.0, 1.0, 2.5)
    dense_batch = [dense.with_weights(dense.weights_us * f) for f in factors]
    sparse_batch = [sparse.with_weights(sparse.weights_us * f) for f in factors]
    a = simulate(dense_batch, drive, protocol, record=True)
    b = simulate(sparse_batch, drive, protocol, record=True)
    assert_same_spikes(a, b)
    np.testing.assert_array_equal(a.v_mv, b.v_mv)
    np.testing.assert_array_equal(a.s, b.s)
    counts = np.diff(b.offsets).reshape(3, 8)
    assert counts.sum() > 50 and not np.array_equal(counts[0], counts[2])
    for member, network in enumerate(sparse_batch):
        expected = reference.simulate_network(
            network, lambda k, n: float(drive[0, n, k]), 0.1, 200.0)
        for n in range(8):
            np.testing.assert_array_equal(b.spike_times(member, n), np.array(expected[n]))


def test_builder_draws_the_dense_builders_connections():
    """Same seed, same connections and weights as ei_network, without an N x N array."""
    sparse, dense = build(), build(sparse=False)
    np.testing.assert_array_equal(sparse.to_dense().weights_us, dense.weights_us)
    assert sparse.gate_types.tolist() == list(dense.gate_types)
    # w_i_to_i_us = 0: those connections are stored with weight 0 and change no spike
    assert sparse.n_connections > np.count_nonzero(dense.weights_us)
    protocol = Protocol(0.1, 200.0)
    drive = 2.5 + noise.ou_current_na(np.random.default_rng(1), (50,), protocol.n_steps, 0.1,
                                      5.0, 0.8)[None]
    assert_same_spikes(simulate(sparse, drive, protocol), simulate(dense, drive, protocol))


def test_builder_statistics_and_determinism():
    net = build(n_exc=800, n_inh=200, p_connect=0.1, seed=3)
    n = 1000
    gates = net.connection_gates()
    assert not np.any(gates == net.target_indices)  # no self-connections
    degrees = net.in_degrees()
    assert degrees.mean() == pytest.approx(0.1 * (n - 1), rel=0.02)
    assert degrees.std() == pytest.approx(np.sqrt(0.1 * 0.9 * (n - 1)), rel=0.1)  # binomial
    out_degrees = np.diff(net.target_indptr)
    assert out_degrees.mean() == pytest.approx(degrees.mean())
    from_e, to_e = gates < 800, net.target_indices < 800
    assert set(net.weights_us[from_e & to_e]) == {WEIGHTS["w_e_to_e_us"]}
    assert set(net.weights_us[~from_e & to_e]) == {WEIGHTS["w_i_to_e_us"]}
    again = build(n_exc=800, n_inh=200, p_connect=0.1, seed=3)
    np.testing.assert_array_equal(again.target_indptr, net.target_indptr)
    np.testing.assert_array_equal(again.target_indices, net.target_indices)
    other = build(n_exc=800, n_inh=200, p_connect=0.1, seed=4)
    assert not np.array_equal(other.target_indices[:100], net.target_indices[:100])


def test_large_network_is_built_without_an_n_by_n_array():
    """8,000 + 2,000 neurons at p = 0.1: every array is O(connections), and the peak of the
    allocations stays far below one N x N array of float64 (800 MB) or of bools (100 MB)."""
    n = 10_000
    tracemalloc.start()
    try:
        net = build(n_exc=8000, n_inh=2000, p_connect=0.1, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    k = net.n_connections
    assert k == pytest.approx(0.1 * n * (n - 1), rel=0.01)
    for name in ("gate_sources", "gate_types", "target_indptr", "target_indices", "weights_us"):
        assert getattr(net, name).size <= max(k, n + 1)
    assert net.target_indices.nbytes + net.weights_us.nbytes == 12 * k  # int32 and float64
    assert peak < 2.5 * 12 * k + 64 * 2**20  # the result, its pieces and one row block


def test_ablation_of_a_sparse_network_matches_the_dense_one():
    sparse, dense = build(), build(sparse=False)
    for pathway in networks.PATHWAYS:
        cut_sparse = networks.without_pathways(sparse, 40, [pathway])
        cut_dense = networks.without_pathways(dense, 40, [pathway])
        assert cut_sparse.same_topology(sparse)  # batchable with the intact network
        np.testing.assert_array_equal(cut_sparse.to_dense().weights_us, cut_dense.weights_us)
    start = np.linspace(-65.0, -56.0, 50)
    moved = networks.with_initial_potentials(sparse, start)
    assert isinstance(moved, SparseNetwork) and moved.same_topology(sparse)
    assert [nrn.initial_v_mv for nrn in moved.neurons] == list(start)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target_indptr": [0, 1, 3]}, r"target_indptr has shape \(3,\)"),
        ({"target_indptr": [0, 2, 1, 3]}, "target_indptr: must start at 0, never decrease"),
        ({"target_indices": [1, 0, 1]}, "target_indices: must increase strictly"),
        ({"target_indices": [1, 2, 3]}, "target_indices: must index the 3 neurons"),
        ({"weights_us": [0.1, -0.1, 0.1]}, "weights_us: conductances must be >= 0"),
        ({"weights_us": [0.1, 0.1]}, r"weights_us has shape \(2,\)"),
        ({"weights_us": [0.1, np.nan, 0.1]}, "weights_us contains nan"),
    ],
)
def test_bad_sparse_network_is_rejected(change, message):
    arguments = {"neurons": (presets.SYNCHRONY_NEURON,) * 3, "synapse_types": (EXC,),
                 "gate_sources": [0, 1, 2], "gate_types": [0, 0, 0],
                 "target_indptr": [0, 2, 2, 3], "target_indices": [1, 2, 0],
                 "weights_us": [0.1, 0.1, 0.1], **change}
    with pytest.raises(ValueError, match=message):
        SparseNetwork(**arguments)


def test_bad_builder_and_batch_inputs_are_named():
    with pytest.raises(ValueError, match="p_connect = 1.5"):
        build(p_connect=1.5)
    with pytest.raises(ValueError, match="n_inh = -1"):
        build(n_inh=-1)
    sparse = build()
    protocol = Protocol(0.1, 10.0)
    with pytest.raises(ValueError, match="all sparse, with the same synapse types and conn"):
        simulate([sparse, build(sparse=False)], 1.0, protocol)
    with pytest.raises(ValueError, match="all sparse"):
        simulate([sparse, build(seed=1)], 1.0, protocol)
    with pytest.raises(ValueError, match="draw_dtype = 'float16'"):
        noise.simulate_with_streamed_noise(sparse, 2.5, protocol, 5.0, 0.8, [0],
                                           draw_dtype="float16")
    with pytest.raises(ValueError, match="chunk_steps = 0"):
        noise.simulate_with_streamed_noise(sparse, 2.5, protocol, 5.0, 0.8, [0], chunk_steps=0)


def ou_time_major(seed, n_neurons, protocol, tau_ms, sigma_na):
    """The streamed process written out: draws step by step, the exact OU recursion."""
    xi = np.random.default_rng(seed).standard_normal((protocol.n_steps, n_neurons))
    a = np.exp(-protocol.dt_ms / tau_ms)
    eta = np.empty((n_neurons, protocol.n_steps))
    eta[:, 0] = sigma_na * xi[0]
    for k in range(1, protocol.n_steps):
        eta[:, k] = sigma_na * np.sqrt(1.0 - a * a) * xi[k] + a * eta[:, k - 1]
    return eta


def test_streamed_noise_is_the_written_out_process_whatever_the_chunks():
    sparse = build()
    batch = [sparse, sparse.with_weights(sparse.weights_us * 2.0)]
    protocol = Protocol(0.1, 300.0)
    runs = [noise.simulate_with_streamed_noise(batch, 2.5, protocol, 5.0, 0.8, [1, 2],
                                               chunk_steps=chunk, record=True)
            for chunk in (7, 128, 10_000)]
    for run in runs[1:]:
        assert_same_spikes(runs[0], run)
        np.testing.assert_array_equal(runs[0].v_mv, run.v_mv)
    assert runs[0].spike_steps.size > 100
    # member 1 alone, and with its noise pre-drawn in the same order, gives the same spikes
    alone = noise.simulate_with_streamed_noise(batch[1], 2.5, protocol, 5.0, 0.8, [2])
    np.testing.assert_array_equal(alone.spike_steps,
                                  runs[0].spike_steps[runs[0].offsets[50]:])
    drive = 2.5 + ou_time_major(2, 50, protocol, 5.0, 0.8)
    assert_same_spikes(simulate(batch[1].to_dense(), drive[None], protocol), alone)


def test_streamed_noise_of_one_neuron_is_simulate_with_noise():
    """With one neuron the two draw orders coincide: the same realisation, bit for bit."""
    circuit = presets.SYNCHRONY_PAIR.as_network()
    one = Network(circuit.neurons[:1], (), (), (), np.zeros((0, 1)))
    protocol = Protocol(0.1, 500.0)
    a = noise.simulate_with_noise(one, 2.5, protocol, 5.0, 0.8, [3, 4])
    b = noise.simulate_with_streamed_noise(one, 2.5, protocol, 5.0, 0.8, [3, 4], chunk_steps=9)
    assert a.spike_steps.size > 10
    assert_same_spikes(a, b)


def test_float32_draws_are_reproducible_and_keep_the_statistics():
    sparse = build()
    protocol = Protocol(0.1, 500.0)
    runs = [noise.simulate_with_streamed_noise(sparse, 2.5, protocol, 5.0, 0.8, [1],
                                               draw_dtype=dtype) for dtype in
            ("float32", "float32", "float64")]
    assert_same_spikes(runs[0], runs[1])
    assert not np.array_equal(runs[0].spike_steps, runs[2].spike_steps)
    assert runs[0].spike_steps.size == pytest.approx(runs[2].spike_steps.size, rel=0.1)


def test_one_network_for_many_seeds_shares_its_weights():
    """A single network with several seeds keeps one row of weights for the whole batch and
    gives what a list of copies gives."""
    sparse = build()
    protocol = Protocol(0.1, 200.0)
    shared = noise.simulate_with_streamed_noise(sparse, 2.5, protocol, 5.0, 0.8, [1, 2, 3])
    copies = noise.simulate_with_streamed_noise(
        [sparse.with_weights(sparse.weights_us) for _ in range(3)], 2.5, protocol, 5.0, 0.8,
        [1, 2, 3])
    assert shared.spike_steps.size > 100
    assert_same_spikes(shared, copies)


def test_float32_draws_are_read_as_drawn():
    """float32 draws reach the kernel as single-precision values (widened to double exactly):
    the run is the written-out process with xi = standard_normal(dtype=float32), whatever the
    chunks (the next chunk is drawn in a second thread during the run), and it needs no second
    compiled specialisation of the kernel."""
    sparse = build()
    protocol = Protocol(0.1, 300.0)
    runs = [noise.simulate_with_streamed_noise(sparse, 2.5, protocol, 5.0, 0.8, [2],
                                               draw_dtype="float32", chunk_steps=chunk)
            for chunk in (5, 128)]
    assert_same_spikes(runs[0], runs[1])
    xi = np.random.default_rng(2).standard_normal((protocol.n_steps, 50), dtype=np.float32)
    a = np.exp(-protocol.dt_ms / 5.0)
    eta = np.empty((50, protocol.n_steps))
    eta[:, 0] = 0.8 * xi[0].astype(float)
    for k in range(1, protocol.n_steps):
        eta[:, k] = 0.8 * np.sqrt(1.0 - a * a) * xi[k].astype(float) + a * eta[:, k - 1]
    assert_same_spikes(simulate(sparse.to_dense(), (2.5 + eta)[None], protocol), runs[0])
    assert runs[0].spike_steps.size > 100
    compiled = set(kernel._advance.signatures)
    noise.simulate_with_streamed_noise(sparse, 2.5, protocol, 5.0, 0.8, [2], draw_dtype="float64")
    assert set(kernel._advance.signatures) == compiled


def test_a_failing_draw_stops_the_run_with_its_error():
    sparse = build()

    def draw(b0, m, k0, n_chunk):
        if k0 > 0:
            raise RuntimeError("draw failed")
        return np.zeros((m, n_chunk, 50))

    from neural_dynamics.kernel import simulate_drawing
    with pytest.raises(RuntimeError, match="draw failed"):
        simulate_drawing(sparse, 2.5, Protocol(0.1, 50.0), draw, (0.9, 0.1, 0.2),
                         chunk_steps=10)


def test_per_source_draw_is_erdos_renyi_without_an_n_by_n_array():
    """draw="per_source": no self-connections, sorted targets, the pathway weights, counts
    within binomial bounds, reproducible; the default draw stays ei_network's."""
    n_exc, n_inh, p = 160, 40, 0.1
    nets = [build(n_exc=n_exc, n_inh=n_inh, p_connect=p, seed=s, draw="per_source")
            for s in (4, 4, 5)]
    a = nets[0]
    for field in ("target_indptr", "target_indices", "weights_us"):
        np.testing.assert_array_equal(getattr(a, field), getattr(nets[1], field))
    assert not np.array_equal(a.target_indices, nets[2].target_indices)
    n = n_exc + n_inh
    counts = np.diff(a.target_indptr)
    source = np.repeat(np.arange(n), counts)
    assert np.all(a.target_indices != source)
    assert np.all((a.target_indices >= 0) & (a.target_indices < n))
    assert all(np.all(np.diff(a.target_indices[a.target_indptr[i]:a.target_indptr[i + 1]]) > 0)
               for i in range(n))
    mean, sd = p * n * (n - 1), np.sqrt(p * (1 - p) * n * (n - 1))
    assert abs(a.n_connections - mean) < 5 * sd
    # each source's out-degree is Binomial(n - 1, p): mean and variance
    assert counts.mean() == pytest.approx(p * (n - 1), rel=0.05)
    assert counts.var() == pytest.approx(p * (1 - p) * (n - 1), rel=0.3)
    # every target is hit equally often (no bias from the source-major order)
    indegree = np.bincount(a.target_indices, minlength=n)
    assert indegree.mean() == pytest.approx(p * (n - 1), rel=0.05)
    exc_source, exc_target = source < n_exc, a.target_indices < n_exc
    expected = np.where(exc_source, np.where(exc_target, WEIGHTS["w_e_to_e_us"],
                                             WEIGHTS["w_e_to_i_us"]),
                        np.where(exc_target, WEIGHTS["w_i_to_e_us"], WEIGHTS["w_i_to_i_us"]))
    np.testing.assert_array_equal(a.weights_us, expected)
    # the default still draws ei_network's connections
    np.testing.assert_array_equal(build(seed=4).to_dense().weights_us,
                                  build(sparse=False, seed=4).weights_us)


def test_per_source_draw_at_the_extremes_and_bad_draw():
    full = build(n_exc=6, n_inh=2, p_connect=1.0, draw="per_source")
    np.testing.assert_array_equal(np.diff(full.target_indptr), np.full(8, 7))
    empty = build(n_exc=6, n_inh=2, p_connect=0.0, draw="per_source")
    assert empty.n_connections == 0
    single = build(n_exc=1, n_inh=0, p_connect=0.5, draw="per_source")
    assert single.n_connections == 0
    with pytest.raises(ValueError, match="draw = 'rows': must be one of matrix, per_source"):
        build(draw="rows")


def test_per_source_builds_ten_thousand_neurons_in_o_n_k_memory():
    """8,000 + 2,000 neurons at p = 0.1 (10^7 connections): the draw's memory stays within a
    few times the 12 bytes of each connection, far below an N x N array of draws (800 MB)."""
    tracemalloc.start()
    net = build(n_exc=8000, n_inh=2000, p_connect=0.1, draw="per_source")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert net.n_connections == pytest.approx(0.1 * 10000 * 9999, rel=0.01)
    assert peak < 32 * net.n_connections
