"""Input noise: Ornstein-Uhlenbeck currents drawn from seeded ``numpy.random.Generator``s."""

from __future__ import annotations

import numpy as np
from scipy import signal

from . import checks, limits
from .kernel import SimulationResult, simulate
from .params import Circuit, Network


def ou_current_na(rng: np.random.Generator, shape, n_steps: int, dt_ms: float, tau_ms: float,
                  sigma_na: float) -> np.ndarray:
    """Zero-mean Ornstein-Uhlenbeck current sampled at the step times, nA.

    Exact discretisation (Gillespie 1996): eta_0 ~ N(0, sigma^2) (stationary start) and
    eta_{k+1} = a eta_k + sigma sqrt(1 - a^2) xi_k with a = exp(-dt / tau) and xi_k i.i.d.
    standard normal, so every sample has standard deviation sigma and the autocorrelation
    decays as exp(-|t| / tau), whatever dt. The recursion runs as a linear filter
    (``scipy.signal.lfilter``) along the last axis.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of randomness (seeded by the caller).
    shape : tuple of int
        Leading shape, e.g. (neurons,); the result has shape ``shape + (n_steps,)``.
    n_steps : int
        Samples per trace.
    dt_ms, tau_ms : float
        Time step and correlation time, ms (> 0).
    sigma_na : float
        Stationary standard deviation, nA (>= 0).

    Raises
    ------
    ValueError
        For a bad time constant, step or standard deviation (naming it).
    neural_dynamics.limits.WorkTooLarge
        If the draws and the current would take more than ``limits.MAX_BYTES``.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator")
    dt = checks.positive("dt_ms", dt_ms)
    tau = checks.positive("tau_ms", tau_ms)
    sigma = checks.non_negative("sigma_na", sigma_na)
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps = {n_steps!r}: must be an int >= 1")
    shape = tuple(shape)
    limits.memory("shape, n_steps", 16.0 * np.prod(shape, dtype=float) * n_steps,
                  "noise (draws and current)")
    a = np.exp(-dt / tau)
    xi = rng.standard_normal(shape + (int(n_steps),))
    start = xi[..., :1] * sigma
    kicks = xi[..., 1:] * (sigma * np.sqrt(1.0 - a * a))
    rest, _ = signal.lfilter([1.0], [1.0, -a], kicks, axis=-1, zi=a * start)
    return np.concatenate([start, rest], axis=-1)


def simulate_with_noise(circuits, mean_current_na, protocol, tau_ms: float, sigma_na: float,
                        seeds, record: bool = False, max_bytes: int = 2**28):
    """Simulate circuits whose every neuron gets its own OU noise current on top of a mean.

    Member b of the batch draws its noise from ``numpy.random.default_rng(seeds[b])``, so a
    member's result depends only on its own seed, not on the rest of the batch. The batch is
    simulated in chunks whose noise arrays stay under ``max_bytes``.

    Parameters
    ----------
    circuits : Circuit, Network, or a sequence of them
        One (shared) or one per seed, as for ``kernel.simulate``.
    mean_current_na : float or array_like
        Mean current, broadcastable to (members, neurons), nA.
    protocol : Protocol
    tau_ms, sigma_na : float
        Correlation time (ms) and standard deviation (nA) of the noise (see ``ou_current_na``).
    seeds : sequence of int
        One seed per member of the batch.
    record : bool
        Return traces too.
    max_bytes : int
        Memory budget of one chunk's noise.

    Returns
    -------
    SimulationResult
        As from ``kernel.simulate``, for the whole batch in order.
    """
    seeds = [int(s) for s in checks.each("seeds", seeds, checks.non_negative)]
    single = isinstance(circuits, (Circuit, Network))
    members = [circuits] * len(seeds) if single else list(circuits)
    if len(members) != len(seeds):
        raise ValueError(f"seeds: {len(seeds)} seeds for {len(members)} circuits")
    n_neurons = len(members[0].neurons)
    mean = np.broadcast_to(checks.finite_array("mean_current_na", mean_current_na),
                           (len(seeds), n_neurons))
    per_member = n_neurons * protocol.n_steps * 8
    chunk = max(1, int(max_bytes // per_member))
    parts = []
    for start in range(0, len(seeds), chunk):
        stop = min(start + chunk, len(seeds))
        current = np.stack([
            mean[b][:, None] + ou_current_na(np.random.default_rng(seeds[b]), (n_neurons,),
                                             protocol.n_steps, protocol.dt_ms, tau_ms, sigma_na)
            for b in range(start, stop)
        ])
        parts.append(simulate(members[start:stop], current, protocol, record=record))
    return SimulationResult.concatenate(parts)
