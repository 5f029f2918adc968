"""Input noise: Ornstein-Uhlenbeck currents drawn from seeded ``numpy.random.Generator``s."""

from __future__ import annotations

import numba
import numpy as np

from . import checks, limits
from .kernel import SimulationResult, simulate, simulate_drawing
from .params import Circuit, Network, SparseNetwork


@numba.njit(cache=True, nogil=True)
def _ou_recursion(xi, a, sigma, kick):
    """In place along the last axis of ``xi`` (traces, steps): eta_0 = sigma xi_0,
    eta_k = kick xi_k + a eta_{k-1}; the operations of a first-order linear filter
    (``scipy.signal.lfilter([1], [1, -a], kick xi[1:], zi=a eta_0)``) in its order, so the
    values are the filter's bit for bit (tested), without its copies and without the GIL."""
    for i in range(xi.shape[0]):
        eta = xi[i, 0] * sigma
        xi[i, 0] = eta
        for k in range(1, xi.shape[1]):
            eta = xi[i, k] * kick + a * eta
            xi[i, k] = eta
    return xi


def ou_current_na(rng: np.random.Generator, shape, n_steps: int, dt_ms: float, tau_ms: float,
                  sigma_na: float) -> np.ndarray:
    """Zero-mean Ornstein-Uhlenbeck current sampled at the step times, nA.

    Exact discretisation (Gillespie 1996): eta_0 ~ N(0, sigma^2) (stationary start) and
    eta_{k+1} = a eta_k + sigma sqrt(1 - a^2) xi_k with a = exp(-dt / tau) and xi_k i.i.d.
    standard normal (``rng.standard_normal(shape + (n_steps,))``), so every sample has
    standard deviation sigma and the autocorrelation decays as exp(-|t| / tau), whatever dt.
    The recursion runs in a compiled loop over the draws, in place (the values of the linear
    filter ``scipy.signal.lfilter`` it replaced, bit for bit, about five times faster), and
    releases the GIL, so currents for independent runs can be drawn in threads.

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
        If the current would take more than ``limits.MAX_BYTES``.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator")
    dt = checks.positive("dt_ms", dt_ms)
    tau = checks.positive("tau_ms", tau_ms)
    sigma = checks.non_negative("sigma_na", sigma_na)
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps = {n_steps!r}: must be an int >= 1")
    shape = tuple(shape)
    limits.memory("shape, n_steps", 8.0 * np.prod(shape, dtype=float) * n_steps, "noise")
    a = np.exp(-dt / tau)
    xi = rng.standard_normal(shape + (int(n_steps),))
    _ou_recursion(xi.reshape(-1, int(n_steps)), a, sigma, sigma * np.sqrt(1.0 - a * a))
    return xi


def _members(circuits, mean_current_na, seeds):
    """One circuit per seed, and the mean current as (members, neurons)."""
    single = isinstance(circuits, (Circuit, Network, SparseNetwork))
    members = [circuits] * len(seeds) if single else list(circuits)
    if len(members) != len(seeds):
        raise ValueError(f"seeds: {len(seeds)} seeds for {len(members)} circuits")
    n_neurons = len(members[0].neurons)
    try:
        mean = np.broadcast_to(checks.finite_array("mean_current_na", mean_current_na),
                               (len(seeds), n_neurons))
    except ValueError as error:
        if "mean_current_na" in str(error):
            raise
        raise ValueError(f"mean_current_na has shape {np.shape(mean_current_na)}: must "
                         f"broadcast to (members, neurons) = ({len(seeds)}, {n_neurons})") from None
    return members, mean


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
    members, mean = _members(circuits, mean_current_na, seeds)
    n_neurons = len(members[0].neurons)
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


DRAW_DTYPES = ("float64", "float32")


def simulate_with_streamed_noise(circuits, mean_current_na, protocol, tau_ms: float,
                                 sigma_na: float, seeds, record: bool = False,
                                 draw_dtype: str = "float64",
                                 chunk_steps: int = 128) -> SimulationResult:
    """Like ``simulate_with_noise``, with the noise drawn in chunks of steps during the run.

    For large networks: the noise never exists as a neurons x steps array (0.8 GB for 10,000
    neurons over 1 s at 0.1 ms), only as a chunk of (chunk_steps, neurons) draws per member.
    The process is the same Ornstein-Uhlenbeck current as ``ou_current_na`` (exact
    discretisation, stationary start: eta_0 = sigma xi_0, eta_k = a eta_{k-1} +
    sigma sqrt(1 - a^2) xi_k, a = exp(-dt/tau)), but the draws xi are taken step by step (all
    neurons of step k, then step k + 1) rather than neuron by neuron. So for a network it is a
    different realisation from ``simulate_with_noise`` with the same seed (for one neuron the
    order and the result are the same); the chapters keep ``simulate_with_noise``. The result
    depends only on the seeds, not on ``chunk_steps`` or the batch, and is the same on every
    machine (numpy's Generator, no BLAS).

    Parameters
    ----------
    circuits, mean_current_na, protocol, tau_ms, sigma_na, seeds, record
        As for ``simulate_with_noise``; member b draws from ``numpy.random.default_rng(seeds[b])``.
    draw_dtype : {"float64", "float32"}
        Precision of the standard normal draws. "float32" uses numpy's float32 ziggurat
        (``Generator.standard_normal(dtype=np.float32)``, about three times faster than float64
        draws): the draws are kept in single precision and the kernel reads them as they are
        (each xi_k exactly a float32 value, the OU recursion and everything else in double
        precision). It is a different realisation from "float64" with the same seed, so it
        is opt-in; it is as deterministic and as machine-independent (the ziggurat is integer
        and table arithmetic, no BLAS). The draws are widened to float64 (exactly) before the
        kernel reads them, so the compiled kernel has one specialisation, not two (numba's
        compilation of a second one cost ~20 s in every fresh cache).
    chunk_steps : int
        Steps drawn at once (>= 1); memory of the draws is 8 x members-per-block x
        chunk_steps x neurons bytes, at most ``kernel.NOISE_CHUNK_BYTES`` (fewer steps are
        drawn at once for large blocks; float32 draws add a one-member scratch array). The
        next chunk is drawn in a second thread while the kernel simulates the current one (see
        ``kernel.simulate_drawing``). The result does not depend on it.

    Returns
    -------
    SimulationResult
        As from ``kernel.simulate``.

    Raises
    ------
    ValueError
        Naming ``tau_ms``, ``sigma_na``, ``seeds``, ``draw_dtype``, ``chunk_steps`` or
        ``mean_current_na`` when out of range.
    """
    seeds = [int(s) for s in checks.each("seeds", seeds, checks.non_negative)]
    tau = checks.positive("tau_ms", tau_ms)
    sigma = checks.non_negative("sigma_na", sigma_na)
    if draw_dtype not in DRAW_DTYPES:
        raise ValueError(f"draw_dtype = {draw_dtype!r}: must be one of {', '.join(DRAW_DTYPES)}")
    members, mean = _members(circuits, mean_current_na, seeds)
    n_neurons = len(members[0].neurons)
    a = float(np.exp(-protocol.dt_ms / tau))
    rngs = [np.random.default_rng(seed) for seed in seeds]
    dtype = np.dtype(draw_dtype)

    def draw(b0, m, k0, n_chunk):
        # Always float64 for the kernel (one compiled specialisation): float32 draws are
        # widened member by member, exactly, from a one-member scratch array.
        xi = np.empty((m, n_chunk, n_neurons))
        scratch = np.empty((n_chunk, n_neurons), dtype=dtype)
        for i in range(m):
            rngs[b0 + i].standard_normal(dtype=dtype, out=scratch)
            xi[i] = scratch
        return xi

    batch = members[0] if all(c is members[0] for c in members) else members
    return simulate_drawing(batch, np.ascontiguousarray(mean), protocol, draw,
                            (a, sigma * np.sqrt(1.0 - a * a), sigma), record=record,
                            chunk_steps=chunk_steps)
