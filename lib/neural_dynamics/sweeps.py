"""Sweeps: grids of values, one batched simulation, then the spike metrics of every member."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import checks, limits, metrics
from .kernel import SimulationResult, simulate
from .params import Circuit, Neuron
from .presets import Protocol
from .threads import in_threads  # noqa: F401  (the chapters call sweeps.in_threads)


def even_grid(low, high, step, names=("low", "high", "step")) -> np.ndarray:
    """Evenly spaced values low, low + step, ..., up to high (included when on the grid).

    ``names`` are the parameter names used in error messages (e.g. a papermill user's
    ``("0", "fine_ratio_max", "fine_ratio_step")``).

    Raises
    ------
    ValueError
        If a bound is not finite, step <= 0 or high < low, naming the offending parameter.
    neural_dynamics.limits.WorkTooLarge
        If the grid would have more than ``limits.MAX_GRID_POINTS`` values (checked before
        anything is allocated).
    """
    low_name, high_name, step_name = names
    low = checks.finite(low_name, low)
    high = checks.at_least(high_name, high, low_name, low)
    step = checks.positive(step_name, step)
    count = np.floor((high - low) / step + 1e-9) + 1
    limits.grid_points(", ".join(n for n in names if n.isidentifier()), count,
                       "values in the grid")
    return np.round(low + step * np.arange(int(count)), 12)


def current_grid_na(current_min_na: float, current_max_na: float, current_step_na: float):
    """Evenly spaced currents min, min + step, ..., up to max (included when on the grid), nA.

    Raises
    ------
    ValueError
        If a bound is not finite, ``current_step_na`` <= 0 or
        ``current_max_na`` < ``current_min_na``.
    """
    return even_grid(current_min_na, current_max_na, current_step_na,
                     ("current_min_na", "current_max_na", "current_step_na"))


def _as_circuit(model) -> Circuit:
    if isinstance(model, Neuron):
        return Circuit.of(model)
    if isinstance(model, Circuit):
        return model
    raise ValueError(f"model = {model!r}: must be a Neuron or a Circuit")


def spike_train_table(result: SimulationResult, neuron: int = 0) -> pd.DataFrame:
    """The spike metrics of one neuron in every circuit of a simulated batch.

    Returns
    -------
    pandas.DataFrame
        One row per circuit: ``spike_count``, ``first_spike_ms``, ``mean_rate_hz`` (after the
        protocol's transient), ``steady_rate_hz``, ``initial_rate_hz``, ``adaptation_index``.
    """
    protocol = result.protocol
    return pd.DataFrame(
        [
            {
                "spike_count": metrics.spike_count(times),
                "first_spike_ms": metrics.first_spike_latency_ms(times),
                "mean_rate_hz": metrics.mean_rate_hz(
                    times, protocol.duration_ms, protocol.transient_ms
                ),
                "steady_rate_hz": metrics.steady_rate_hz(times),
                "initial_rate_hz": metrics.initial_rate_hz(times),
                "adaptation_index": metrics.adaptation_index(times),
            }
            for times in result.spike_trains(neuron)
        ]
    )


def current_sweep(model, currents_na, protocol: Protocol, neuron: int = 0) -> pd.DataFrame:
    """Constant-current sweep of a neuron (or of neuron ``neuron`` of a circuit), one call.

    Parameters
    ----------
    model : Neuron or Circuit
        What to drive; in a circuit every neuron receives the same current.
    currents_na : array_like, (n,)
        Constant currents, nA.
    protocol : Protocol
        Time grid and transient.
    neuron : int
        Which neuron's spikes to measure.

    Returns
    -------
    pandas.DataFrame
        ``current_na`` and the columns of :func:`spike_train_table`, one row per current.
    """
    circuit = _as_circuit(model)
    currents = checks.finite_array("currents_na", currents_na)
    if currents.ndim != 1 or currents.size == 0:
        raise ValueError(f"currents_na has shape {currents.shape}: must be a non-empty 1-D array")
    table = spike_train_table(simulate(circuit, currents[:, None], protocol), neuron)
    table.insert(0, "current_na", currents)
    return table


def circuit_sweep(circuits, current_na, protocol: Protocol, neuron: int = 0) -> pd.DataFrame:
    """One batched simulation of many circuits (e.g. a parameter grid) under one current.

    Returns the :func:`spike_train_table` of neuron ``neuron``, one row per circuit, in order.
    """
    circuits = list(circuits)
    return spike_train_table(simulate(circuits, current_na, protocol), neuron)


def smallest_spiking_current_na(
    neuron: Neuron, protocol: Protocol, low_na: float, high_na: float, tol_na: float = 1e-6
) -> float:
    """Smallest constant current that makes the simulated neuron spike within the duration, nA.

    Refines a bracket [low, high] (low silent, high spiking) with batched sweeps of 64 currents
    until it is narrower than ``tol_na``; returns the upper end of the final bracket.

    Raises
    ------
    ValueError
        If ``low_na`` spikes, ``high_na`` does not, or ``tol_na`` <= 0.
    """
    checks.positive("tol_na", tol_na)
    low = checks.finite("low_na", low_na)
    high = checks.greater_than("high_na", high_na, "low_na", low)
    counts = _spike_counts(neuron, np.array([low, high]), protocol)
    if counts[0] > 0 or counts[1] == 0:
        raise ValueError(
            f"low_na = {low}, high_na = {high}: must bracket the threshold current "
            "(low silent, high spiking)"
        )
    while high - low > tol_na:
        grid = np.linspace(low, high, 64)
        first = int(np.argmax(_spike_counts(neuron, grid, protocol) > 0))
        low, high = grid[first - 1], grid[first]
    return float(high)


def _spike_counts(neuron: Neuron, currents: np.ndarray, protocol: Protocol) -> np.ndarray:
    result = simulate(Circuit.of(neuron), currents[:, None], protocol)
    return np.diff(result.offsets)


