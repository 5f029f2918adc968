"""Plain-Python reference implementation, written straight from the spec's "Conventions".

It is the oracle the compiled kernel must match (tests) and the baseline it is timed against
(benchmarks). Deliberately naive: one circuit at a time, Python floats and lists, no NumPy in
the loop.
"""

from __future__ import annotations

import math


def simulate_circuit(circuit, current, dt_ms, duration_ms, record=False):
    """Simulate one ``neural_dynamics.Circuit``.

    ``current(k, n)`` returns the current (nA) of neuron n during step k -> k+1.
    Returns (spike_times, traces) where spike_times[n] is a list of times (ms) and traces is
    ``None`` or a dict of lists ``v``, ``theta`` (per neuron) and ``s`` (per gate).
    """
    n_steps = round(duration_ms / dt_ms)
    neurons, gates = circuit.neurons, circuit.gates
    v = [nrn.e_leak_mv if nrn.v_0_mv is None else nrn.v_0_mv for nrn in neurons]
    theta = [nrn.theta_0_mv for nrn in neurons]
    s = [g.s_0 for g in gates]
    spikes = [[] for _ in neurons]
    traces = None
    if record:
        traces = {
            "v": [[x] for x in v],
            "theta": [[x] for x in theta],
            "s": [[x] for x in s],
        }
    for k in range(n_steps):
        # conductances from step-k gating values
        g_total = [1.0 / nrn.r_mohm for nrn in neurons]
        g_times_e = [(1.0 / nrn.r_mohm) * nrn.e_leak_mv for nrn in neurons]
        for j, g in enumerate(gates):
            conductance = g.gbar_us * s[j]
            g_total[g.target] += conductance
            g_times_e[g.target] += conductance * g.e_rev_mv
        new_v, new_theta = [], []
        for n, nrn in enumerate(neurons):
            e_eq = g_times_e[n] / g_total[n]
            v_inf = e_eq + current(k, n) / g_total[n]
            tau = (nrn.tau_m_ms / nrn.r_mohm) / g_total[n]
            new_v.append(v_inf + (v[n] - v_inf) * math.exp(-dt_ms / tau))
            new_theta.append(
                nrn.theta_0_mv
                + (theta[n] - nrn.theta_0_mv) * math.exp(-dt_ms / nrn.tau_theta_ms)
            )
        s = [s[j] * math.exp(-dt_ms / g.tau_ms) for j, g in enumerate(gates)]
        v, theta = new_v, new_theta
        for n, nrn in enumerate(neurons):
            if v[n] >= theta[n]:
                spikes[n].append((k + 1) * dt_ms)
                v[n] = nrn.e_leak_mv
                theta[n] = nrn.theta_spike_mv
                for j, g in enumerate(gates):
                    if g.source == n:
                        s[j] = s[j] + g.delta * (1.0 - s[j])
        if record:
            for n in range(len(neurons)):
                traces["v"][n].append(v[n])
                traces["theta"][n].append(theta[n])
            for j in range(len(gates)):
                traces["s"][j].append(s[j])
    return spikes, traces


def constant(values):
    """A ``current(k, n)`` function for constant per-neuron currents (a list, nA)."""
    return lambda k, n: values[n]


def simulate_network(network, current, dt_ms, duration_ms):
    """Simulate one ``neural_dynamics.Network`` or ``SparseNetwork`` straight from the spec's
    conventions.

    Gate j (source ``gate_sources[j]``, type ``gate_types[j]``) adds the conductance
    ``weights_us[j][n] * s_j`` with the type's reversal potential to every neuron n.
    ``current(k, n)`` is the current of neuron n during step k. Returns spike times per neuron.
    """
    n_steps = round(duration_ms / dt_ms)
    neurons, types = network.neurons, network.synapse_types
    sources = [int(j) for j in network.gate_sources]
    gate_types = [int(c) for c in network.gate_types]
    if hasattr(network, "target_indptr"):  # a SparseNetwork: spell out its rows
        weights = [[0.0] * len(neurons) for _ in sources]
        for j in range(len(sources)):
            for p in range(int(network.target_indptr[j]), int(network.target_indptr[j + 1])):
                weights[j][int(network.target_indices[p])] = float(network.weights_us[p])
    else:
        weights = [[float(w) for w in row] for row in network.weights_us]
    v = [nrn.e_leak_mv if nrn.v_0_mv is None else nrn.v_0_mv for nrn in neurons]
    theta = [nrn.theta_0_mv for nrn in neurons]
    s = list(network.gate_initial)
    spikes = [[] for _ in neurons]
    for k in range(n_steps):
        new_v, new_theta = [], []
        for n, nrn in enumerate(neurons):
            g_total = 1.0 / nrn.r_mohm
            g_times_e = (1.0 / nrn.r_mohm) * nrn.e_leak_mv
            for j in range(len(s)):
                conductance = weights[j][n] * s[j]
                g_total += conductance
                g_times_e += conductance * types[gate_types[j]].e_rev_mv
            v_inf = g_times_e / g_total + current(k, n) / g_total
            tau = (nrn.tau_m_ms / nrn.r_mohm) / g_total
            new_v.append(v_inf + (v[n] - v_inf) * math.exp(-dt_ms / tau))
            new_theta.append(
                nrn.theta_0_mv
                + (theta[n] - nrn.theta_0_mv) * math.exp(-dt_ms / nrn.tau_theta_ms)
            )
        s = [s[j] * math.exp(-dt_ms / types[gate_types[j]].tau_ms) for j in range(len(s))]
        v, theta = new_v, new_theta
        for n, nrn in enumerate(neurons):
            if v[n] >= theta[n]:
                spikes[n].append((k + 1) * dt_ms)
                v[n] = nrn.e_leak_mv
                theta[n] = nrn.theta_spike_mv
                for j in range(len(s)):
                    if sources[j] == n:
                        s[j] = s[j] + types[gate_types[j]].delta * (1.0 - s[j])
    return spikes


def jansen_rit(model, xi, dt_s, n_steps):
    """Forward Euler of the Jansen-Rit equations, straight from the spec (chapter 4).

    Returns the list u_p(t_k) = C_pe y_e - C_pi y_i for k = 0..n_steps.
    """
    a_mv, b_mv, a, b = model.a_mv, model.b_mv, model.a_per_s, model.b_per_s
    c = model.coupling_c
    c_ep, c_pe, c_ip, c_pi = c, 0.8 * c, 0.25 * c, 0.25 * c

    def sigmoid(v):
        return model.e_max_per_s / (1.0 + math.exp(model.r_per_mv * (model.v0_mv - v)))

    y_p = y_e = y_i = z_p = z_e = z_i = 0.0
    out = []
    for k in range(n_steps):
        u_p, u_e, u_i = c_pe * y_e - c_pi * y_i, c_ep * y_p, c_ip * y_p
        out.append(u_p)
        dz_p = a_mv * a * sigmoid(u_p) - 2 * a * z_p - a * a * y_p
        dz_e = a_mv * a * (sigmoid(u_e) + xi[k] / c_ep) - 2 * a * z_e - a * a * y_e
        dz_i = b_mv * b * sigmoid(u_i) - 2 * b * z_i - b * b * y_i
        y_p, y_e, y_i = y_p + dt_s * z_p, y_e + dt_s * z_e, y_i + dt_s * z_i
        z_p, z_e, z_i = z_p + dt_s * dz_p, z_e + dt_s * dz_e, z_i + dt_s * dz_i
    out.append(c_pe * y_e - c_pi * y_i)
    return out
