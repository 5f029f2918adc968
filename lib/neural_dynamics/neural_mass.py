"""The Jansen-Rit neural mass model: parameters, compiled kernel, fixed points and spectra.

Three populations - pyramidal cells (p), excitatory (e) and inhibitory (i) interneurons - each
turn their mean input potential into a firing rate through a sigmoid and that rate into a
postsynaptic potential through a second-order linear kernel (Jansen & Rit 1995; the spec's
chapter 4, in the form with the pyramidal input u_p as the EEG-like output):

    u_p = C_pe y_e - C_pi y_i,  u_e = C_ep y_p,  u_i = C_ip y_p,
    S(v) = e_max / (1 + exp(r (v0 - v)))
    y_p'' = A a S(u_p)                  - 2 a y_p' - a^2 y_p
    y_e'' = A a (S(u_e) + xi(t) / C_ep)  - 2 a y_e' - a^2 y_e
    y_i'' = B b S(u_i)                  - 2 b y_i' - b^2 y_i

with C_ep = C, C_pe = 0.8 C, C_ip = C_pi = 0.25 C. The textbook input is p = 0.8 xi.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numba
import numpy as np
from scipy import optimize

from . import checks, limits, spectra

# state order in the kernel: y_p, y_e, y_i, z_p, z_e, z_i
N_STATES = 6
# |state| beyond this (mV, mV/s) is a numerical blow-up, not physiology (NaN fails the test too)
LIMIT = 1e9


@dataclass(frozen=True)
class JansenRit:
    """Parameters of the Jansen-Rit model (Jansen & Rit 1995), units in the names.

    Parameters
    ----------
    a_per_s, b_per_s : float
        Inverse time constants of the excitatory and inhibitory kernels, 1/s (> 0).
    a_mv, b_mv : float
        Maximal excitatory and inhibitory postsynaptic potentials A and B, mV (> 0).
    coupling_c : float
        Connectivity scale C (> 0); C_ep = C, C_pe = 0.8 C, C_ip = C_pi = 0.25 C.
    e_max_per_s : float
        Maximal firing rate of the sigmoid (2 e0), 1/s (> 0).
    v0_mv : float
        Potential of half-maximal firing, mV.
    r_per_mv : float
        Steepness of the sigmoid, 1/mV (> 0).
    """

    a_per_s: float = 100.0
    b_per_s: float = 50.0
    a_mv: float = 3.25
    b_mv: float = 22.0
    coupling_c: float = 135.0
    e_max_per_s: float = 5.0
    v0_mv: float = 6.0
    r_per_mv: float = 0.56

    def __post_init__(self):
        for name in ("a_per_s", "b_per_s", "a_mv", "b_mv", "coupling_c", "e_max_per_s",
                     "r_per_mv"):
            checks.positive(name, getattr(self, name))
        checks.finite("v0_mv", self.v0_mv)

    @property
    def constants(self) -> tuple[float, float, float, float]:
        """(C_ep, C_pe, C_ip, C_pi)."""
        c = self.coupling_c
        return c, 0.8 * c, 0.25 * c, 0.25 * c

    def with_time_constants(self, tau_e_ms: float, tau_i_ms: float) -> JansenRit:
        """Kernels with time constants 1/a, 1/b changed and static gains A/a, B/b kept.

        This is how David & Friston (2003) varied the kinetics: a kernel h(t) = A a t e^{-a t}
        integrates to A/a, so keeping A/a fixed keeps each population's steady response.
        """
        a = 1000.0 / checks.positive("tau_e_ms", tau_e_ms)
        b = 1000.0 / checks.positive("tau_i_ms", tau_i_ms)
        return replace(self, a_per_s=a, b_per_s=b, a_mv=self.a_mv * a / self.a_per_s,
                       b_mv=self.b_mv * b / self.b_per_s)

    def sigmoid(self, v_mv):
        """S(v) = e_max / (1 + exp(r (v0 - v))), 1/s."""
        return self.e_max_per_s / (1.0 + np.exp(self.r_per_mv * (self.v0_mv - v_mv)))

    def as_row(self) -> tuple:
        c_ep, c_pe, c_ip, c_pi = self.constants
        return (self.a_mv, self.b_mv, self.a_per_s, self.b_per_s, c_ep, c_pe, c_ip, c_pi,
                self.e_max_per_s, self.v0_mv, self.r_per_mv)


@numba.njit(cache=True)
def _jr_block(par, xi, dt, n_steps, state, eeg, stride, blowup):
    """Forward Euler for a block of members, advanced together step by step (member innermost,
    so that the processor overlaps their independent updates). See ``_jr_euler``.

    Relies on C_ip = C_ep / 4 (as ``JansenRit.constants`` defines them) to get both interneuron
    sigmoids from one exponential; the result equals the three-exponential form to rounding.
    """
    n = par.shape[0]
    shared = xi.shape[0] == 1
    a_mv, b_mv, a, bb = par[:, 0].copy(), par[:, 1].copy(), par[:, 2].copy(), par[:, 3].copy()
    c_ep, c_pe, c_ip, c_pi = par[:, 4].copy(), par[:, 5].copy(), par[:, 6].copy(), par[:, 7].copy()
    e_max, v0, r = par[:, 8].copy(), par[:, 9].copy(), par[:, 10].copy()
    growth = np.exp(r * v0)
    y_p, y_e, y_i = state[:, 0].copy(), state[:, 1].copy(), state[:, 2].copy()
    z_p, z_e, z_i = state[:, 3].copy(), state[:, 4].copy(), state[:, 5].copy()
    for k in range(n_steps + 1):
        record = k % stride == 0
        for b in range(n):
            u_p = c_pe[b] * y_e[b] - c_pi[b] * y_i[b]
            if record:
                eeg[k // stride, b] = u_p
            if blowup[b] < 0 and not (abs(y_p[b]) < LIMIT and abs(y_e[b]) < LIMIT
                                      and abs(y_i[b]) < LIMIT):
                blowup[b] = k
            if k == n_steps:
                continue
            x = xi[0, k] if shared else xi[b, k]
            s_p = e_max[b] / (1.0 + math.exp(r[b] * (v0[b] - u_p)))
            # S(C_ep y_p) and S(C_ip y_p) from one exponential: with C_ip = C_ep / 4,
            # exp(r (v0 - C_ep y_p)) = exp(r v0) q^4 where q = exp(-r C_ip y_p)
            q = math.exp(-r[b] * c_ip[b] * y_p[b])
            s_i = e_max[b] / (1.0 + growth[b] * q)
            s_e = e_max[b] / (1.0 + growth[b] * (q * q) * (q * q))
            dz_p = a_mv[b] * a[b] * s_p - 2.0 * a[b] * z_p[b] - a[b] * a[b] * y_p[b]
            dz_e = (a_mv[b] * a[b] * (s_e + x / c_ep[b]) - 2.0 * a[b] * z_e[b]
                    - a[b] * a[b] * y_e[b])
            dz_i = b_mv[b] * bb[b] * s_i - 2.0 * bb[b] * z_i[b] - bb[b] * bb[b] * y_i[b]
            y_p[b] += dt * z_p[b]
            y_e[b] += dt * z_e[b]
            y_i[b] += dt * z_i[b]
            z_p[b] += dt * dz_p
            z_e[b] += dt * dz_e
            z_i[b] += dt * dz_i
    state[:, 0], state[:, 1], state[:, 2] = y_p, y_e, y_i
    state[:, 3], state[:, 4], state[:, 5] = z_p, z_e, z_i


@numba.njit(cache=True, parallel=True)
def _jr_euler(par, xi, dt, n_steps, state, eeg, stride, blowup, n_blocks):
    """Forward Euler for a batch of Jansen-Rit models (spec chapter 4).

    For each member and step k, with every derivative taken at step k and the input xi_k held
    over the step: y <- y + dt z, z <- z + dt (A a S(u) - 2 a z - a^2 y) (and likewise for each
    population, see the module docstring). Members are independent: they are split into
    ``n_blocks`` blocks run in parallel threads, which changes nothing in the result.

    Parameters
    ----------
    par : float64 (B, 11)
        Rows of ``JansenRit.as_row``: A, B, a, b, C_ep, C_pe, C_ip, C_pi, e_max, v0, r.
    xi : float64 (1 or B, n_steps)
        Input of each step; one row shared by the batch or one per member.
    dt : float
        Time step, s.
    n_steps : int
    state : float64 (B, 6)
        Initial y_p, y_e, y_i, z_p, z_e, z_i; overwritten with the final state.
    eeg : float64 (n_steps // stride + 1, B)
        (time-major, so that each step writes one contiguous row)
        Filled with u_p = C_pe y_e - C_pi y_i at t = k dt for k = 0, stride, 2 stride, ...
    stride : int
    blowup : int64 (B,)
        Set to the first step at which a PSP was NaN, infinite or beyond ``LIMIT`` in magnitude
        (left at -1 otherwise); the member's later output is meaningless and must be discarded.
    n_blocks : int
    """
    n_batch = par.shape[0]
    size = (n_batch + n_blocks - 1) // n_blocks
    for block in numba.prange(n_blocks):
        lo = block * size
        hi = min(n_batch, lo + size)
        if lo < hi:
            rows = xi if xi.shape[0] == 1 else xi[lo:hi]
            _jr_block(par[lo:hi], rows, dt, n_steps, state[lo:hi], eeg[:, lo:hi], stride,
                      blowup[lo:hi])


class MassRun(NamedTuple):
    """EEG-like output of a batch of Jansen-Rit runs."""

    eeg_mv: np.ndarray  # (B, samples): u_p at t = k * sample_dt_s (a transposed view)
    sample_dt_s: float
    final_state: np.ndarray  # (B, 6)


def noise_input(seed: int, n_steps: int, mean: float = 160.0, sd: float = 200.0) -> np.ndarray:
    """The spec's noisy drive: ``default_rng(seed).normal(mean, sd, n_steps)``, in one call."""
    checks.integer("seed", seed, 0)
    checks.finite("mean", mean)
    checks.non_negative("sd", sd)
    limits.memory("n_steps", 8.0 * n_steps, "input samples")
    return np.random.default_rng(seed).normal(mean, sd, n_steps)


def uniform_input(seed: int, n_steps: int, low: float, high: float) -> np.ndarray:
    """Jansen & Rit's drive: xi uniform in [low, high), i.i.d. per step, from ``default_rng``."""
    checks.integer("seed", seed, 0)
    low = checks.finite("low", low)
    high = checks.at_least("high", high, "low", low)
    limits.memory("n_steps", 8.0 * n_steps, "input samples")
    return np.random.default_rng(seed).uniform(low, high, n_steps)


def simulate_mass(models, xi, dt_s: float, duration_s: float, initial_state=None,
                  record_every: int = 1) -> MassRun:
    """Integrate a batch of Jansen-Rit models with forward Euler (the spec's scheme).

    Parameters
    ----------
    models : JansenRit or sequence of JansenRit
        One model per member of the batch.
    xi : float or array_like
        Input per step (spec units; the textbook p is 0.8 xi): a number (constant), shape
        (n_steps,) shared by the batch, or (members, n_steps).
    dt_s, duration_s : float
        Time step and duration, s; n_steps = round(duration / dt).
    initial_state : array_like (6,) or (members, 6), optional
        y_p, y_e, y_i, z_p, z_e, z_i at t = 0; zeros by default (the spec).
    record_every : int
        Keep every k-th sample of the output.

    Returns
    -------
    MassRun

    Raises
    ------
    ValueError
        For bad parameters; for a time step at or above forward Euler's stability limit of the
        kernels' linear part (dt >= 2 / max(a, b)); or if a state still becomes NaN, infinite or
        absurdly large during the run: the message names the member and the time.
    neural_dynamics.limits.WorkTooLarge
        If the output or the number of updates exceeds the limits of ``neural_dynamics.limits``.
    """
    batch = [models] if isinstance(models, JansenRit) else list(models)
    if not batch or not all(isinstance(m, JansenRit) for m in batch):
        raise ValueError("models: must be a JansenRit or a non-empty sequence of them")
    dt = checks.positive("dt_s", dt_s)
    duration = checks.positive("duration_s", duration_s)
    if dt > duration:
        raise ValueError(
            f"dt_s = {checks.show(dt)}: must be <= duration_s = {checks.show(duration)}"
        )
    fastest = max(max(m.a_per_s, m.b_per_s) for m in batch)
    if dt * fastest >= 2.0:
        raise ValueError(
            f"dt_s = {checks.show(dt)}: forward Euler diverges with a time step this large "
            f"(the state would grow to infinity or NaN); must be < 2 / max(a, b) = "
            f"{2.0 / fastest:g} s"
        )
    if not isinstance(record_every, (int, np.integer)) or record_every < 1:
        raise ValueError(f"record_every = {record_every!r}: must be an int >= 1")
    n_steps = int(round(duration / dt))
    limits.memory("dt_s, duration_s and the batch",
                  8.0 * len(batch) * (n_steps / record_every + 1.0), "output samples")
    limits.neuron_steps("dt_s, duration_s and the batch", float(len(batch)) * n_steps)
    drive = checks.finite_array("xi", xi)
    if drive.ndim == 0:
        drive = np.full((1, n_steps), float(drive))
    elif drive.ndim == 1:
        drive = drive[None, :]
    if drive.ndim != 2 or drive.shape[1] != n_steps or drive.shape[0] not in (1, len(batch)):
        raise ValueError(
            f"xi has shape {drive.shape}: must be a number, ({n_steps},) or "
            f"({len(batch)}, {n_steps}) for {n_steps} steps"
        )
    start = np.zeros((len(batch), N_STATES)) if initial_state is None else np.broadcast_to(
        checks.finite_array("initial_state", initial_state), (len(batch), N_STATES)).copy()
    par = np.array([m.as_row() for m in batch], dtype=float)
    eeg = np.empty((n_steps // record_every + 1, len(batch)))
    blowup = np.full(len(batch), -1, dtype=np.int64)
    state = np.ascontiguousarray(start, dtype=float)
    n_blocks = min(len(batch), numba.get_num_threads())
    _jr_euler(par, np.ascontiguousarray(drive), dt, n_steps, state, eeg, int(record_every),
              blowup, n_blocks)
    bad = np.flatnonzero(blowup >= 0)
    if bad.size:
        b = int(bad[0])
        raise ValueError(
            f"the Jansen-Rit state of member {b} (C = {batch[b].coupling_c:g}) became NaN, "
            f"infinite or larger than {LIMIT:g} at t = {blowup[b] * dt:g} s: forward "
            f"Euler is unstable with dt_s = {dt:g}; use a smaller time step"
        )
    return MassRun(eeg.T, dt * record_every, state)


def spectrum_bytes(members: float, samples: float, sample_dt_s: float, transient_s: float,
                   segment_s: float, overlap_s: float) -> float:
    """Bytes that :func:`eeg_spectrum` holds at once for ``members`` signals of ``samples``.

    Computed from the sizes alone, before anything is allocated, so that a chapter can check
    a request against ``neural_dynamics.limits`` first: the centred copy of what is left after
    the transient, and per Welch segment of n samples what ``scipy.signal.welch`` holds at
    once: one real copy (detrended, windowed) and two complex arrays of n // 2 + 1 bins (the
    FFT and the cross-spectral product). With an overlap close to the segment length the
    segments hold many copies of the signal. Works with floats throughout, so that absurd
    sizes give a large (or infinite) number rather than an overflow.
    """
    kept = max(float(samples) - float(np.rint(transient_s / sample_dt_s)), 0.0)
    per_segment = max(float(np.rint(segment_s / sample_dt_s)), 1.0)
    step = max(per_segment - float(np.rint(overlap_s / sample_dt_s)), 1.0)
    segments = float(np.floor((kept - per_segment) / step)) + 1.0 if kept >= per_segment else 0.0
    bins = float(np.floor(per_segment / 2.0)) + 1.0
    return 8.0 * float(members) * (kept + segments * (per_segment + 4.0 * bins))


def eeg_spectrum(eeg_mv, sample_dt_s: float, transient_s: float, segment_s: float,
                 overlap_s: float) -> spectra.Spectrum:
    """Welch PSD of the EEG after a transient (the spec's estimator).

    The first ``transient_s`` are dropped and the mean subtracted; then ``spectra.welch`` (Hann
    window, segments of ``segment_s`` overlapping by ``overlap_s``, constant detrend per
    segment, one-sided density in mV^2/Hz). Works on the last axis of a batch.

    Raises
    ------
    ValueError
        For bad values; a segment longer than what is left after the transient; an overlap
        that is not shorter than the segment by at least one sample.
    neural_dynamics.limits.WorkTooLarge
        If the work arrays (:func:`spectrum_bytes`) exceed ``neural_dynamics.limits.MAX_BYTES``.
    """
    x = checks.finite_array("eeg_mv", eeg_mv)
    dt = checks.positive("sample_dt_s", sample_dt_s)
    transient = checks.non_negative("transient_s", transient_s)
    kept = x[..., int(round(transient / dt)):]
    if kept.shape[-1] < int(round(checks.positive("segment_s", segment_s) / dt)):
        raise ValueError(
            f"segment_s = {segment_s}: longer than the {kept.shape[-1] * dt:g} s left after "
            f"transient_s = {transient}"
        )
    overlap = checks.non_negative("overlap_s", overlap_s)
    if overlap < segment_s and round(overlap / dt) >= round(segment_s / dt):
        raise ValueError(
            f"overlap_s = {overlap_s}: must be shorter than segment_s = {segment_s} by at least "
            f"one sample ({dt:g} s)"
        )
    members = math.prod(x.shape[:-1])
    limits.memory("segment_s, overlap_s and the EEG",
                  spectrum_bytes(members, x.shape[-1], dt, transient, segment_s, overlap),
                  "Welch work arrays")
    # one C-contiguous copy along time, so that scipy's segments are contiguous for the FFT
    centred = np.array(kept, order="C")
    centred -= centred.mean(axis=-1, keepdims=True)
    return spectra.welch(centred, 1.0 / dt, segment_s, overlap_s)


def rms_mv(eeg_mv, sample_dt_s: float, transient_s: float) -> float:
    """Root-mean-square amplitude of the centred EEG after the transient, mV."""
    x = checks.finite_array("eeg_mv", eeg_mv)
    kept = x[int(round(checks.non_negative("transient_s", transient_s)
                       / checks.positive("sample_dt_s", sample_dt_s))):]
    return float(np.sqrt(np.mean((kept - kept.mean()) ** 2)))


def large_swing_fraction(eeg_mv, sample_dt_s: float, transient_s: float, window_s: float,
                         threshold_mv: float) -> float:
    """Fraction of time on a large-swing attractor: of the whole windows of ``window_s`` after
    the transient, the share whose peak-to-peak swing of the EEG-like output exceeds
    ``threshold_mv``.

    A noisy run that visits two attractors (e.g. the alpha cycle and the spike-like cycle of
    Jansen and Rit's model, :cite:`jansen1995`) spends stretches of time on each; a window of
    a few cycles on the spike-like cycle swings by more than the threshold, one on the small
    cycle (or at rest) by less. The tail shorter than a window is dropped. NaN if no whole
    window remains.
    """
    x = checks.finite_array("eeg_mv", eeg_mv)
    step = checks.positive("sample_dt_s", sample_dt_s)
    kept = x[int(round(checks.non_negative("transient_s", transient_s) / step)):]
    width = int(round(checks.positive("window_s", window_s) / step))
    checks.positive("threshold_mv", threshold_mv)
    if width < 2:
        raise ValueError(f"window_s = {window_s!r}: must span at least two samples "
                         f"(sample_dt_s = {sample_dt_s!r})")
    count = kept.size // width
    if count == 0:
        return math.nan
    windows = kept[:count * width].reshape(count, width)
    return float(np.mean(np.ptp(windows, axis=1) > threshold_mv))


# --- the deterministic picture: fixed points and their stability -----------------------------

class FixedPoints(NamedTuple):
    """The curve of equilibria against constant input, parametrised by y_p."""

    input_xi: np.ndarray  # constant input xi giving each equilibrium
    y_p_mv: np.ndarray
    eeg_mv: np.ndarray  # u_p at the equilibrium
    max_real_eigenvalue: np.ndarray  # 1/s: < 0 stable, > 0 unstable
    oscillatory: np.ndarray  # bool: the leading eigenvalues are a complex pair


def _inverse_sigmoid(model: JansenRit, rate):
    return model.v0_mv - np.log(model.e_max_per_s / rate - 1.0) / model.r_per_mv


def jacobian(model: JansenRit, state) -> np.ndarray:
    """Jacobian of the six-dimensional vector field at ``state`` (constant input drops out)."""
    a, b, a_mv, b_mv = model.a_per_s, model.b_per_s, model.a_mv, model.b_mv
    c_ep, c_pe, c_ip, c_pi = model.constants
    y_p, y_e, y_i = state[:3]

    def slope(v):
        s = model.sigmoid(v)
        return model.r_per_mv * s * (1.0 - s / model.e_max_per_s)

    u_p = c_pe * y_e - c_pi * y_i
    j = np.zeros((6, 6))
    j[0, 3] = j[1, 4] = j[2, 5] = 1.0
    j[3, 0] = -a * a
    j[3, 1] = a_mv * a * slope(u_p) * c_pe
    j[3, 2] = -a_mv * a * slope(u_p) * c_pi
    j[3, 3] = -2 * a
    j[4, 0] = a_mv * a * slope(c_ep * y_p) * c_ep
    j[4, 1] = -a * a
    j[4, 4] = -2 * a
    j[5, 0] = b_mv * b * slope(c_ip * y_p) * c_ip
    j[5, 2] = -b * b
    j[5, 5] = -2 * b
    return j


def equilibrium(model: JansenRit, y_p_mv: float):
    """The equilibrium with pyramidal PSP ``y_p_mv`` and the input xi that makes it one.

    At rest y_p = (A/a) S(u_p), y_i = (B/b) S(C_ip y_p) and y_e = (A/a) (S(C_ep y_p) + xi/C_ep).
    Given y_p in (0, e_max A/a), u_p = S^{-1}(a y_p / A) and the input follows explicitly:
    xi = C_ep (y_e a/A - S(C_ep y_p)) with y_e = (u_p + C_pi y_i) / C_pe.
    Returns (xi, state).
    """
    c_ep, c_pe, c_ip, c_pi = model.constants
    gain_e, gain_i = model.a_mv / model.a_per_s, model.b_mv / model.b_per_s
    u_p = _inverse_sigmoid(model, y_p_mv / gain_e)
    y_i = gain_i * model.sigmoid(c_ip * y_p_mv)
    y_e = (u_p + c_pi * y_i) / c_pe
    xi = c_ep * (y_e / gain_e - model.sigmoid(c_ep * y_p_mv))
    return xi, np.array([y_p_mv, y_e, y_i, 0.0, 0.0, 0.0])


def fixed_point_curve(model: JansenRit, n_points: int = 4000) -> FixedPoints:
    """Equilibria over y_p in (0, e_max A/a), with the input each needs and their stability."""
    top = model.e_max_per_s * model.a_mv / model.a_per_s
    y = top * (0.5 - 0.5 * np.cos(np.linspace(1e-4, np.pi - 1e-4, n_points)))
    xi, eeg, lead, oscillatory = [], [], [], []
    c_pe, c_pi = model.constants[1], model.constants[3]
    for value in y:
        x, state = equilibrium(model, value)
        eig = np.linalg.eigvals(jacobian(model, state))
        leading = eig[np.argmax(eig.real)]
        xi.append(x)
        eeg.append(c_pe * state[1] - c_pi * state[2])
        lead.append(leading.real)
        oscillatory.append(abs(leading.imag) > 1e-9)
    return FixedPoints(np.array(xi), y, np.array(eeg), np.array(lead), np.array(oscillatory))


class Bifurcation(NamedTuple):
    kind: str  # "fold" (saddle-node) or "hopf"
    input_xi: float
    eeg_mv: float
    frequency_hz: float  # of the Hopf pair (NaN for folds)


def bifurcations(model: JansenRit, n_points: int = 4000) -> list[Bifurcation]:
    """Folds (d xi / d y_p = 0) and Hopf points (a complex pair crossing Re = 0) of the curve.

    Located on a fine grid of the fixed-point curve and refined with Brent's method
    (``scipy.optimize.brentq``) along y_p.
    """
    curve = fixed_point_curve(model, n_points)
    y, xi = curve.y_p_mv, curve.input_xi
    c_pe, c_pi = model.constants[1], model.constants[3]
    found = []

    def slope(v):
        h = 1e-7 * max(1.0, abs(v))
        return (equilibrium(model, v + h)[0] - equilibrium(model, v - h)[0]) / (2 * h)

    def leading_real(v):
        eig = np.linalg.eigvals(jacobian(model, equilibrium(model, v)[1]))
        return eig.real.max()

    dxi = np.gradient(xi, y)
    for k in np.flatnonzero(np.sign(dxi[:-1]) != np.sign(dxi[1:])):
        root = optimize.brentq(slope, y[k], y[k + 1], xtol=1e-12)
        x, state = equilibrium(model, root)
        found.append(Bifurcation("fold", float(x), float(c_pe * state[1] - c_pi * state[2]),
                                 math.nan))
    lead = curve.max_real_eigenvalue
    for k in np.flatnonzero(np.sign(lead[:-1]) != np.sign(lead[1:])):
        if not (curve.oscillatory[k] and curve.oscillatory[k + 1]):
            continue  # a real eigenvalue crossing zero: that is the fold, found above
        root = optimize.brentq(leading_real, y[k], y[k + 1], xtol=1e-12)
        x, state = equilibrium(model, root)
        eig = np.linalg.eigvals(jacobian(model, state))
        frequency = abs(eig[np.argmax(eig.real)].imag) / (2 * np.pi)
        found.append(Bifurcation("hopf", float(x), float(c_pe * state[1] - c_pi * state[2]),
                                 float(frequency)))
    return sorted(found, key=lambda item: item.input_xi)


class Equilibrium(NamedTuple):
    """An equilibrium of the model at a constant input, with the eigenvalues of its Jacobian."""

    input_xi: float
    state: np.ndarray  # (6,) y_p, y_e, y_i, z_p, z_e, z_i (the z are 0)
    eeg_mv: float  # u_p at the equilibrium
    eigenvalues: np.ndarray  # (6,) complex, 1/s, largest real part first

    @property
    def stable(self) -> bool:
        return bool(self.eigenvalues[0].real < 0)

    @property
    def decay_per_s(self) -> float:
        """Minus the largest real part: the rate at which the slowest perturbation decays."""
        return float(-self.eigenvalues[0].real)

    @property
    def ringing_hz(self) -> float:
        """Frequency |Im lambda| / 2 pi of the leading eigenvalue: 0 unless it is a focus."""
        return float(abs(self.eigenvalues[0].imag) / (2 * np.pi))


def equilibria(model: JansenRit, input_xi: float, n_points: int = 2000) -> list[Equilibrium]:
    """All equilibria at the constant input ``input_xi``, in order of increasing y_p.

    The input that makes y_p an equilibrium is explicit (:func:`equilibrium`), so the
    equilibria are the roots of xi(y_p) = input_xi over y_p in (0, e_max A/a): bracketed on a
    grid of ``n_points`` values (denser near the ends, where xi(y_p) is steepest) and refined
    with Brent's method (``scipy.optimize.brentq``) to 1e-13 mV.
    Equilibria closer together than the grid (at a fold) may be missed.
    """
    target = checks.finite("input_xi", input_xi)
    checks.integer("n_points", n_points, 10)
    top = model.e_max_per_s * model.a_mv / model.a_per_s
    y = top * (0.5 - 0.5 * np.cos(np.linspace(1e-6, np.pi - 1e-6, n_points)))
    c_ep, c_pe, c_ip, c_pi = model.constants
    gain_e, gain_i = model.a_mv / model.a_per_s, model.b_mv / model.b_per_s
    u_p = _inverse_sigmoid(model, y / gain_e)
    y_e = (u_p + c_pi * gain_i * model.sigmoid(c_ip * y)) / c_pe
    gap = c_ep * (y_e / gain_e - model.sigmoid(c_ep * y)) - target
    found = []
    for k in np.flatnonzero(np.sign(gap[:-1]) * np.sign(gap[1:]) <= 0):
        if gap[k] == 0 and k > 0 and gap[k - 1] == 0:
            continue
        root = optimize.brentq(lambda v: equilibrium(model, v)[0] - target, y[k], y[k + 1],
                               xtol=1e-13)
        if found and abs(root - found[-1].state[0]) < 1e-12:
            continue
        _, state = equilibrium(model, root)
        eig = np.linalg.eigvals(jacobian(model, state))
        eig = eig[np.lexsort((-np.abs(eig.imag), -eig.real))]
        found.append(Equilibrium(target, state, float(c_pe * state[1] - c_pi * state[2]), eig))
    return found


def linear_spectrum(model: JansenRit, point: Equilibrium, input_sd: float, dt_s: float,
                    frequencies_hz) -> np.ndarray:
    """One-sided PSD of u_p (mV^2/Hz) predicted by linearising at ``point``, driven by the
    spec's noise.

    Near a stable equilibrium x*, small deviations obey dx/dt = J dx + b eta(t), with J the
    Jacobian, b = (0, 0, 0, 0, A a / C_ep, 0) (the input enters through the excitatory
    interneurons as xi / C_ep) and eta the fluctuation of xi. The spec redraws xi independently
    at every step of length dt and holds it, so for f << 1/dt eta is white noise of two-sided
    density sigma^2 dt. The output u_p = c . x with c = (0, C_pe, -C_pi, 0, 0, 0) then has the
    one-sided density (the normalisation of Welch's ``scaling="density"`` estimate)

        S(f) = 2 sigma^2 dt |c (2 pi i f I - J)^{-1} b|^2,

    (the spectrum of a linear system driven by white noise, e.g. Gardiner, *Handbook of
    Stochastic Methods*, the multivariate Ornstein-Uhlenbeck process). Its integral over
    f >= 0 is the stationary variance c P c^T, where J P + P J^T + sigma^2 dt b b^T = 0 (the
    Lyapunov equation). Valid while the noise is small enough for the linearisation to hold,
    and only at a stable equilibrium.

    Parameters
    ----------
    model : JansenRit
    point : Equilibrium
        A stable equilibrium of ``model`` (from :func:`equilibria`).
    input_sd : float
        Standard deviation sigma of the input xi drawn at every step (xi units, >= 0).
    dt_s : float
        The step over which each draw is held, s (> 0).
    frequencies_hz : array_like
        Where to evaluate the density, Hz.

    Raises
    ------
    ValueError
        For an unstable equilibrium or bad values.
    """
    if not point.stable:
        raise ValueError(f"point: the equilibrium at u_p = {point.eeg_mv:g} mV is unstable; "
                         f"the linear prediction needs a stable one")
    sd = checks.non_negative("input_sd", input_sd)
    dt = checks.positive("dt_s", dt_s)
    f = checks.finite_array("frequencies_hz", frequencies_hz)
    c_ep, c_pe, _, c_pi = model.constants
    j = jacobian(model, point.state)
    b = np.zeros(6)
    b[4] = model.a_mv * model.a_per_s / c_ep
    c = np.array([0.0, c_pe, -c_pi, 0.0, 0.0, 0.0])
    # solve (2 pi i f I - J) x = b for every frequency at once
    system = 2j * np.pi * f.ravel()[:, None, None] * np.eye(6) - j
    response = np.linalg.solve(system, np.broadcast_to(b, (f.size, 6))[..., None])[..., 0] @ c
    return (2.0 * sd * sd * dt * np.abs(response) ** 2).reshape(f.shape)
