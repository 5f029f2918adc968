"""Periodic orbits of the Jansen-Rit model at constant input: shooting, Floquet, continuation.

A regime is named by its attractor. At a constant input xi the Jansen-Rit equations (see
:mod:`neural_dynamics.neural_mass`) are an autonomous six-dimensional system; its equilibria and
their eigenvalues come from ``neural_mass.fixed_point_curve``, and its limit cycles from here.

A periodic orbit is found by single shooting (e.g. Seydel 2010, ch. 7; Kuznetsov 2004, ch. 10):
the unknowns are a point x0 on the orbit and the period T, the equations are
phi_T(x0) - x0 = 0 (the flow returns after T) and z_p(x0) = 0 (the point is an extremum of the
pyramidal PSP y_p, which removes the freedom of phase). Newton's method solves them with the
Jacobian [[M - I, f(phi_T(x0))], [e_zp, 0]], where the monodromy matrix M = d phi_T / d x0 is
integrated with the orbit (variational equations dM/dt = J(x) M). The flow is integrated with
the classical fourth-order Runge-Kutta scheme on a step T / n that divides the period exactly,
so phi_T is smooth in T and the Newton iteration converges quadratically. The eigenvalues of M
are the Floquet multipliers: one equals 1 (the direction along the orbit); the orbit is stable
when all others lie inside the unit circle.

Cycles are followed in xi by natural-parameter continuation: each solution is the initial
guess of the next, with the step halved when Newton fails. A branch ends where its amplitude
shrinks to zero (a Hopf bifurcation), where a multiplier reaches +1 (a fold of cycles, where it
meets an unstable cycle) or where its period grows without bound (a homoclinic or
saddle-node-on-invariant-circle ending).

These are properties of the continuous-time model; the chapters' noisy runs use forward Euler
with a small step, whose cycles differ from these by O(dt).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from . import checks
from .neural_mass import JansenRit
from .spectra import harmonic_number

#: Largest Runge-Kutta step, s: (a h)^4 ~ 2e-11 for a = 100/s.
MAX_STEP_S = 2e-5
#: The book's line between the two families of Jansen-Rit cycles (chapter 4, the regime maps,
#: chapter 5): a cycle whose output u_p swings by more than this (mV, peak to peak) is
#: spike-like (the tens-of-mV "epileptic" spikes of Jansen & Rit 1995; Grimbert & Faugeras
#: 2006), a smaller one a Hopf (alpha-band) cycle. The line is a convention between the two
#: families, not a bifurcation (near C = 140 it misnames some cycles; chapter 4 says where).
SPIKE_LIKE_MV = 7.0


@numba.njit(cache=True)
def _field(par, xi, x, out):
    a_mv, b_mv, a, b = par[0], par[1], par[2], par[3]
    c_ep, c_pe, c_ip, c_pi = par[4], par[5], par[6], par[7]
    e_max, v0, r = par[8], par[9], par[10]
    u_p = c_pe * x[1] - c_pi * x[2]
    s_p = e_max / (1.0 + math.exp(r * (v0 - u_p)))
    s_e = e_max / (1.0 + math.exp(r * (v0 - c_ep * x[0])))
    s_i = e_max / (1.0 + math.exp(r * (v0 - c_ip * x[0])))
    out[0] = x[3]
    out[1] = x[4]
    out[2] = x[5]
    out[3] = a_mv * a * s_p - 2.0 * a * x[3] - a * a * x[0]
    out[4] = a_mv * a * (s_e + xi / c_ep) - 2.0 * a * x[4] - a * a * x[1]
    out[5] = b_mv * b * s_i - 2.0 * b * x[5] - b * b * x[2]


@numba.njit(cache=True)
def _field_jacobian(par, x, jac):
    a_mv, b_mv, a, b = par[0], par[1], par[2], par[3]
    c_ep, c_pe, c_ip, c_pi = par[4], par[5], par[6], par[7]
    e_max, v0, r = par[8], par[9], par[10]
    u_p = c_pe * x[1] - c_pi * x[2]
    jac[:, :] = 0.0
    jac[0, 3] = 1.0
    jac[1, 4] = 1.0
    jac[2, 5] = 1.0
    s = e_max / (1.0 + math.exp(r * (v0 - u_p)))
    slope_p = r * s * (1.0 - s / e_max)
    s = e_max / (1.0 + math.exp(r * (v0 - c_ep * x[0])))
    slope_e = r * s * (1.0 - s / e_max)
    s = e_max / (1.0 + math.exp(r * (v0 - c_ip * x[0])))
    slope_i = r * s * (1.0 - s / e_max)
    jac[3, 0] = -a * a
    jac[3, 1] = a_mv * a * slope_p * c_pe
    jac[3, 2] = -a_mv * a * slope_p * c_pi
    jac[3, 3] = -2.0 * a
    jac[4, 0] = a_mv * a * slope_e * c_ep
    jac[4, 1] = -a * a
    jac[4, 4] = -2.0 * a
    jac[5, 0] = b_mv * b * slope_i * c_ip
    jac[5, 2] = -b * b
    jac[5, 5] = -2.0 * b


@numba.njit(cache=True)
def _derivative(par, xi, y, out, jac):
    """Right-hand side of the state (first 6) and the variational matrix (next 36, row-major).

    dM/dt = J M written out with the Jacobian's sparsity (rows 0-2 pick z, rows 3-5 have 4, 3
    and 3 entries), without temporaries: the same sums on every processor, no BLAS.
    """
    _field(par, xi, y[:6], out[:6])
    _field_jacobian(par, y[:6], jac)
    for col in range(6):
        m0, m1, m2 = y[6 + col], y[12 + col], y[18 + col]
        m3, m4, m5 = y[24 + col], y[30 + col], y[36 + col]
        out[6 + col] = m3
        out[12 + col] = m4
        out[18 + col] = m5
        out[24 + col] = jac[3, 0] * m0 + jac[3, 1] * m1 + jac[3, 2] * m2 + jac[3, 3] * m3
        out[30 + col] = jac[4, 0] * m0 + jac[4, 1] * m1 + jac[4, 4] * m4
        out[36 + col] = jac[5, 0] * m0 + jac[5, 2] * m2 + jac[5, 5] * m5


@numba.njit(cache=True)
def _flow(par, xi, x0, duration, n_steps):
    """RK4 over ``duration`` in ``n_steps`` equal steps, with the monodromy matrix.

    Returns the final state, the 6 x 6 matrix d x(T) / d x0, and the least and largest value of
    u_p = C_pe y_e - C_pi y_i met at the steps.
    """
    y = np.zeros(42)
    y[:6] = x0
    for i in range(6):
        y[6 + 7 * i] = 1.0
    h = duration / n_steps
    k1, k2, k3, k4 = np.empty(42), np.empty(42), np.empty(42), np.empty(42)
    tmp = np.empty(42)
    jac = np.empty((6, 6))
    u_min = u_max = par[5] * y[1] - par[7] * y[2]
    for _ in range(n_steps):
        _derivative(par, xi, y, k1, jac)
        for i in range(42):
            tmp[i] = y[i] + 0.5 * h * k1[i]
        _derivative(par, xi, tmp, k2, jac)
        for i in range(42):
            tmp[i] = y[i] + 0.5 * h * k2[i]
        _derivative(par, xi, tmp, k3, jac)
        for i in range(42):
            tmp[i] = y[i] + h * k3[i]
        _derivative(par, xi, tmp, k4, jac)
        for i in range(42):
            y[i] += (h / 6.0) * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
        u = par[5] * y[1] - par[7] * y[2]
        u_min = min(u_min, u)
        u_max = max(u_max, u)
    return y[:6].copy(), y[6:].reshape((6, 6)).copy(), u_min, u_max


@numba.njit(cache=True)
def _rk4_step(par, xi, x, h, work):
    """One classical RK4 step of the state ``x`` (6,) over ``h``, in place.

    ``work`` (4, 6) holds the stages k1..k4. The one step that :func:`_trajectory` and
    :func:`_advance` share (the variational flow :func:`_flow` has its own, on 42 values).
    """
    k1, k2, k3, k4 = work[0], work[1], work[2], work[3]
    _field(par, xi, x, k1)
    _field(par, xi, x + 0.5 * h * k1, k2)
    _field(par, xi, x + 0.5 * h * k2, k3)
    _field(par, xi, x + h * k3, k4)
    x += (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


@numba.njit(cache=True)
def _trajectory(par, xi, x0, duration, n_steps):
    """RK4 states at every step (n_steps + 1, 6), without the variational part."""
    out = np.empty((n_steps + 1, 6))
    out[0] = x0
    h = duration / n_steps
    work = np.empty((4, 6))
    x = x0.copy()
    for k in range(n_steps):
        _rk4_step(par, xi, x, h, work)
        out[k + 1] = x
    return out


class Orbit(NamedTuple):
    """A periodic orbit of the Jansen-Rit model at a constant input."""

    input_xi: float
    state: np.ndarray  # (6,) a point of the orbit where z_p = 0
    period_s: float
    eeg_min_mv: float  # least u_p on the orbit
    eeg_max_mv: float  # largest u_p on the orbit
    multipliers: np.ndarray  # Floquet multipliers other than the trivial one (5,), complex

    @property
    def frequency_hz(self) -> float:
        return 1.0 / self.period_s

    @property
    def amplitude_mv(self) -> float:
        """Peak-to-peak swing of the EEG-like output u_p."""
        return self.eeg_max_mv - self.eeg_min_mv

    @property
    def stable(self) -> bool:
        return bool(np.all(np.abs(self.multipliers) < 1.0))


def _steps(period: float) -> int:
    return max(2000, int(math.ceil(period / MAX_STEP_S)))


def _orbit(model: JansenRit, xi: float, state, period: float) -> Orbit:
    par = np.array(model.as_row(), dtype=float)
    _, monodromy, u_min, u_max = _flow(par, xi, np.asarray(state, float), period,
                                       _steps(period))
    multipliers = np.linalg.eigvals(monodromy)
    trivial = int(np.argmin(np.abs(multipliers - 1.0)))
    others = np.delete(multipliers, trivial)
    return Orbit(float(xi), np.asarray(state, float).copy(), float(period), float(u_min),
                 float(u_max), others[np.argsort(-np.abs(others), kind="stable")])


def periodic_orbit(model: JansenRit, input_xi: float, state_guess, period_guess_s: float,
                   tolerance: float = 1e-11, max_iterations: int = 12) -> Orbit | None:
    """The periodic orbit near a guess, by shooting and Newton's method (module docstring).

    Parameters
    ----------
    model : JansenRit
    input_xi : float
        Constant input xi (spec units; the textbook p is 0.8 xi).
    state_guess : array_like (6,)
        A state near the orbit (y_p, y_e, y_i, z_p, z_e, z_i), ideally where z_p = 0.
    period_guess_s : float
        Period guess, s (> 0).
    tolerance : float
        Converged when the return error phi_T(x0) - x0, or the Newton step, is below
        ``tolerance`` relative to the state's (and the period's) size.
    max_iterations : int

    Returns
    -------
    Orbit or None
        None when Newton does not converge, or converges to an equilibrium (zero amplitude).
    """
    xi = checks.finite("input_xi", input_xi)
    period = checks.positive("period_guess_s", period_guess_s)
    x0 = checks.finite_array("state_guess", state_guess).astype(float).copy()
    if x0.shape != (6,):
        raise ValueError(f"state_guess has shape {x0.shape}: must be (6,)")
    par = np.array(model.as_row(), dtype=float)
    field = np.empty(6)
    system = np.zeros((7, 7))
    residual = np.empty(7)
    for _ in range(max_iterations):
        end, monodromy, u_min, u_max = _flow(par, xi, x0, period, _steps(period))
        _field(par, xi, end, field)
        residual[:6] = end - x0
        residual[6] = x0[3]
        system[:6, :6] = monodromy - np.eye(6)
        system[:6, 6] = field
        system[6, :] = 0.0
        system[6, 3] = 1.0
        scale = 1.0 + float(np.max(np.abs(x0)))
        if np.max(np.abs(residual)) < tolerance * scale:  # already periodic to the tolerance
            orbit = _orbit(model, xi, x0, period)
            return orbit if orbit.amplitude_mv > 1e-6 else None
        try:
            step = np.linalg.solve(system, -residual)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(step)):
            return None
        if abs(step[6]) > 0.5 * period:  # keep the period positive
            step *= 0.5 * period / abs(step[6])
        x0 = x0 + step[:6]
        period = period + step[6]
        if np.max(np.abs(step[:6])) < tolerance * scale and abs(step[6]) < tolerance * period:
            orbit = _orbit(model, xi, x0, period)
            return orbit if orbit.amplitude_mv > 1e-6 else None
    return None


def settle(model: JansenRit, input_xi: float, state, duration_s: float) -> np.ndarray:
    """States of the continuous model (RK4) over ``duration_s`` from ``state``: (steps + 1, 6)."""
    xi = checks.finite("input_xi", input_xi)
    duration = checks.positive("duration_s", duration_s)
    start = checks.finite_array("state", state).astype(float)
    par = np.array(model.as_row(), dtype=float)
    return _trajectory(par, xi, start, duration, int(math.ceil(duration / MAX_STEP_S)))


def orbit_from(model: JansenRit, input_xi: float, state, settle_s: float = 4.0) -> Orbit | None:
    """The attracting cycle reached from ``state``, or None if the run settles to rest.

    Runs the model for ``settle_s``, takes the last two maxima of y_p (z_p crossing zero from
    above) as the guess of a point and the period, and refines them with
    :func:`periodic_orbit`.
    """
    path = settle(model, input_xi, state, settle_s)
    z_p = path[:, 3]
    crossings = np.flatnonzero((z_p[:-1] > 0) & (z_p[1:] <= 0))
    if crossings.size < 3:
        return None
    last, before = crossings[-1], crossings[-2]
    period = (last - before) * settle_s / (path.shape[0] - 1)
    return periodic_orbit(model, input_xi, path[last], period)


def slowing(model: JansenRit, start: Orbit, inputs_xi, settle_periods: float = 6.0) -> list:
    """The stable cycle at each input in turn, each run on from the one before.

    Where the period grows without bound (towards a saddle-node on the invariant circle or a
    homoclinic orbit) natural continuation (:func:`follow`) refuses the large changes of period
    and halves its step many times, each try a Newton solve over a long period. Here, at each
    input, the model runs from the previous orbit's state for ``settle_periods`` times that
    orbit's period (the run relaxes onto the attracting cycle and holds at least three of its
    maxima while the period less than doubles), and :func:`orbit_from` refines the run's end
    into an exact periodic orbit by shooting and Newton's method.

    Parameters
    ----------
    model : JansenRit
    start : Orbit
        A stable orbit near the first input.
    inputs_xi : array_like
        The inputs (xi units), in the order to visit them.
    settle_periods : float
        Length of each run in periods of the previous orbit (> 0).

    Returns
    -------
    list of Orbit
        The stable orbits found, one per input, up to the first input where none is (a run
        that comes to rest, a Newton failure, or an orbit that is not stable).
    """
    targets = [float(x) for x in checks.finite_array("inputs_xi", inputs_xi).ravel()]
    checks.positive("settle_periods", settle_periods)
    found, current = [], start
    for target in targets:
        orbit = orbit_from(model, target, current.state, settle_periods * current.period_s)
        if orbit is None or not orbit.stable:
            break
        found.append(orbit)
        current = orbit
    return found


class Branch(NamedTuple):
    """A cycle followed in the input: the orbits found and how the branch ended."""

    orbits: list  # of Orbit, in the order followed
    end_xi: float  # first input where the cycle was not found (nan: the range was done)
    ending: str  # "range", "hopf", "fold", "homoclinic", "unstable" or "lost"
    hopf_xi: float  # with ending "hopf": where amplitude^2, extrapolated linearly, reaches 0
    last_orbit: Orbit | None = None  # the last orbit found before the end (None: "range")


def follow(model: JansenRit, start: Orbit, inputs_xi, min_step: float = 1e-3,
           max_period_s: float = 1.0, stable_only: bool = True) -> Branch:
    """Follow a periodic orbit through the inputs ``inputs_xi`` (natural continuation).

    Each orbit starts Newton's method for the next input; when it fails, the step is halved
    down to ``min_step`` (in xi units). The branch ends with the reason:

    - "hopf": the amplitude shrinks to zero; near a supercritical Hopf point amplitude^2 is
      linear in the input, and its linear extrapolation from the last three orbits reaches 0
      within two steps of where the cycle was lost (``hopf_xi``);
    - "homoclinic": the period exceeds ``max_period_s`` / 2 (the name is kept for
      compatibility: a long period is the sign of a homoclinic orbit or of a saddle-node on
      the invariant circle, and where the branch stops is set by ``max_period_s``, not by the
      cycle's end; e.g. the spike-like cycle of the base model, stopped at p ~ 114.06 where its
      period reaches 1 s, goes on to the fold of equilibria at p ~ 113.59, its period growing
      like 1/sqrt(distance): a saddle-node on the invariant circle; :func:`slowing` follows
      such a cycle on more cheaply);
    - "fold": the largest Floquet multiplier is real and above 0.85, on its way to +1 (the
      cycle meets an unstable one; near the fold 1 - multiplier shrinks like the square root
      of the distance, so it is still well below 1 one ``min_step`` before);
    - "unstable": with ``stable_only`` (the default: follow an attractor), a Floquet
      multiplier left the unit circle in another way (e.g. a period doubling);
    - "lost": Newton failed for another reason; "range": every input was done.

    The branch's ``orbits`` are those at the inputs ``inputs_xi`` reached; where it ended
    early, ``last_orbit`` is the last orbit found, within two ``min_step`` of the end and
    usually between two of those inputs.

    Natural continuation follows whichever solution is nearest; ``stable_only`` keeps it on
    the attracting cycle, which is what names a regime. A step whose orbit changes its period or
    its amplitude by more than half is refused and halved: Newton's method may otherwise land
    on another cycle, or on another cycle traversed several times (whose period is a multiple
    of its own), e.g. the alpha cycle five times over, near the spike-like one's period.
    """
    targets = [float(x) for x in checks.finite_array("inputs_xi", inputs_xi).ravel()]
    checks.positive("min_step", min_step)
    orbits, current = [], start
    for target in targets:
        reached = current.input_xi
        step = target - reached
        while abs(target - reached) > 0:
            trial_xi = reached + step if abs(step) < abs(target - reached) else target
            trial = periodic_orbit(model, trial_xi, current.state, current.period_s)
            if trial is None or abs(trial.period_s - current.period_s) > 0.5 * current.period_s \
                    or abs(trial.amplitude_mv - current.amplitude_mv) > 0.5 * current.amplitude_mv \
                    or (stable_only and not trial.stable):
                if abs(step) / 2 < min_step:
                    return _ended([start] + orbits, current, trial_xi, max_period_s)
                step /= 2
                continue
            current, reached = trial, trial_xi
            if current.period_s > max_period_s:
                return _ended([start] + orbits, current, trial_xi, max_period_s)
        orbits.append(current)
    return Branch(orbits, math.nan, "range", math.nan)


def _ended(done, last: Orbit, lost_xi: float, max_period_s: float) -> Branch:
    """Why a branch ended: ``done`` = the start and the orbits at the grid inputs reached,
    ``last`` = the last orbit found (possibly between grid inputs), ``lost_xi`` = the first
    input where none was found."""
    return _ending(done, last, lost_xi, max_period_s)._replace(last_orbit=last)


def _ending(done, last: Orbit, lost_xi: float, max_period_s: float) -> Branch:
    orbits = done[1:]
    points = [o for o in done[-2:] if o.input_xi != last.input_xi] + [last]
    if len(points) == 3:
        xs = np.array([o.input_xi for o in points])
        squares = np.array([o.amplitude_mv ** 2 for o in points])
        slope, intercept = np.polyfit(xs, squares, 1)
        if slope != 0:
            zero = -intercept / slope
            grid_step = abs(xs[1] - xs[0])
            ahead = (zero - last.input_xi) * (lost_xi - last.input_xi) >= 0
            if ahead and abs(zero - last.input_xi) <= 2.0 * grid_step:
                return Branch(orbits, lost_xi, "hopf", float(zero))
    if last.period_s > 0.5 * max_period_s:
        return Branch(orbits, lost_xi, "homoclinic", math.nan)
    lead = last.multipliers[0]  # largest in modulus
    if abs(lead.imag) < 1e-9 and lead.real > 0.85:
        # at a fold the critical multiplier reaches +1 like 1 - k sqrt(distance), so within
        # the last step it is still clearly below 1: real, positive and close to it
        return Branch(orbits, lost_xi, "fold", math.nan)
    if np.max(np.abs(last.multipliers)) > 0.95:
        return Branch(orbits, lost_xi, "unstable", math.nan)
    return Branch(orbits, lost_xi, "lost", math.nan)


def vanishing_input(inputs, periods_s) -> float:
    """The input at which 1 / T^2, fitted as a straight line in the input, reaches zero.

    Near a saddle-node on the invariant circle (SNIC) at the input p_sn the period grows like
    T ~ pi / sqrt(k (p - p_sn)) (e.g. Strogatz 2015, sec. 4.3; Izhikevich 2007, sec. 6.1.2),
    so 1 / T^2 is linear in p and vanishes exactly at the fold p_sn. Near a homoclinic orbit
    to a saddle, which ends at an input p_h away from any fold, the period grows only like
    -ln|p - p_h| and 1 / T^2 is not linear, so a straight line through it lands on the fold
    only by chance. The fit is ordinary
    least squares, written out (no LAPACK call), so that the result is the same on any BLAS.

    Parameters
    ----------
    inputs : array_like
        The inputs (any unit; at least two distinct values).
    periods_s : array_like
        The periods at those inputs, s (> 0, finite).

    Returns
    -------
    float
        The input where the fitted line 1 / T^2 = slope * input + intercept is zero (in the
        unit of ``inputs``).
    """
    x = checks.finite_array("inputs", inputs).astype(float).ravel()
    period = checks.finite_array("periods_s", periods_s).astype(float).ravel()
    if x.size != period.size:
        raise ValueError(f"inputs has {x.size} values and periods_s {period.size}: must match")
    if np.unique(x).size < 2:
        raise ValueError(f"inputs = {x.tolist()!r}: needs at least two distinct values")
    if np.any(period <= 0):
        raise ValueError(f"periods_s = {period.tolist()!r}: every period must be > 0")
    y = 1.0 / period ** 2
    dx = x - x.mean()
    slope = float(np.sum(dx * (y - y.mean())) / np.sum(dx * dx))
    if slope == 0.0:
        raise ValueError(f"periods_s = {period.tolist()!r}: 1/T^2 does not change with the "
                         f"input, so it has no zero")
    return float(x.mean() - y.mean() / slope)


class PeriodFit(NamedTuple):
    """T = a / sqrt(p - p0) + b fitted to periods (see :func:`fit_period_divergence`)."""

    end: float  # p0, where the fitted period diverges (unit of the inputs)
    end_se: float  # its standard error (nan with fewer than four points)
    scale: float  # a, s * unit^(1/2)
    offset_s: float  # b, s: the finite passage time away from the bottleneck


def _linear_ab(x, period, end):
    """a, b of the least-squares line T = a u + b in u = 1 / sqrt(x - end), written out."""
    u = 1.0 / np.sqrt(x - end)
    du = u - u.mean()
    a = float(np.sum(du * (period - period.mean())) / np.sum(du * du))
    return a, float(period.mean() - a * u.mean())


def fit_period_divergence(inputs, periods_s, correction: bool = False) -> PeriodFit:
    """Fit T = a / sqrt(p - p0) + b to periods measured at inputs p above p0.

    Near a saddle-node on the invariant circle at p_sn, the time spent in the bottleneck of the
    ghost of the saddle-node grows like pi / sqrt(k (p - p_sn)) and the rest of the orbit takes
    a finite time b (Strogatz 2015, sec. 4.3; Izhikevich 2007, sec. 6.1.2), so a cycle ending
    there has p0 = p_sn, and the ratio of the periods at distances d and d/2 rises towards
    sqrt 2 as d shrinks. A homoclinic orbit's period grows only like -ln(p - p_h); fitted with
    this law it puts p0 wherever the data's curvature lands it.

    The fit is nonlinear least squares in (a, b, p0) (``scipy.optimize.least_squares``, with
    p0 = min(p) - exp(s) so that every p - p0 stays positive), started from the end of the
    straight line through 1 / T^2 of the two nearest inputs. The standard error of p0 comes
    from the usual covariance s^2 (J^T J)^-1 with s^2 the residual sum of squares over n - k
    (k = 3 parameters, or 4 with ``correction``). Pass the inputs as distances from a
    reference point (e.g. the fold) for full precision.

    The law is the leading term of an expansion in powers of sqrt(p - p0) (the passage through
    the bottleneck, e.g. Strogatz 2015, sec. 4.3); with ``correction`` the next term,
    c sqrt(p - p0), is fitted too, which removes most of the bias that the neglected term puts
    into p0 when the inputs are not all close to it.

    Parameters
    ----------
    inputs : array_like
        At least three distinct inputs (any unit).
    periods_s : array_like
        The periods there, s (> 0, finite), the same count.
    correction : bool
        Fit T = a / sqrt(p - p0) + b + c sqrt(p - p0) (at least four distinct inputs).

    Returns
    -------
    PeriodFit
        (c, if fitted, is not returned.)
    """
    from scipy import optimize  # noqa: PLC0415 (only this fit needs it)

    x = checks.finite_array("inputs", inputs).astype(float).ravel()
    period = checks.finite_array("periods_s", periods_s).astype(float).ravel()
    if x.size != period.size:
        raise ValueError(f"inputs has {x.size} values and periods_s {period.size}: must match")
    k = 4 if correction else 3
    if np.unique(x).size < k:
        raise ValueError(f"inputs = {x.tolist()!r}: needs at least {k} distinct values"
                         + (" with correction" if correction else ""))
    if np.any(period <= 0):
        raise ValueError(f"periods_s = {period.tolist()!r}: every period must be > 0")
    order = np.argsort(x)
    x, period = x[order], period[order]
    lowest, spread = float(x[0]), float(x[-1] - x[0])
    try:
        guess = vanishing_input(x[:2], period[:2])
    except ValueError:
        guess = lowest - spread
    if not guess < lowest:
        guess = lowest - 1e-3 * spread
    start = math.log(lowest - guess)

    def residual(par):
        dist = x - (lowest - math.exp(par[2]))
        extra = par[3] * np.sqrt(dist) if correction else 0.0
        return par[0] / np.sqrt(dist) + par[1] + extra - period

    a0, b0 = _linear_ab(x, period, guess)
    solution = optimize.least_squares(residual, [a0, b0, start] + ([0.0] if correction else []),
                                      method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14,
                                      max_nfev=4000)
    a, b = float(solution.x[0]), float(solution.x[1])
    end = lowest - math.exp(float(solution.x[2]))
    se = math.nan
    if x.size > k:
        dist = x - end
        columns = [1.0 / np.sqrt(dist), np.ones_like(x), 0.5 * a * dist ** -1.5]
        if correction:
            c = float(solution.x[3])
            columns[2] = columns[2] - 0.5 * c / np.sqrt(dist)  # d/dp0 of c sqrt(p - p0)
            columns.append(np.sqrt(dist))
        jac = np.column_stack(columns)
        sigma2 = float(np.sum(residual(solution.x) ** 2)) / (x.size - k)
        try:
            cov = np.linalg.inv(jac.T @ jac) * sigma2
            se = float(math.sqrt(max(cov[2, 2], 0.0)))
        except np.linalg.LinAlgError:
            se = math.nan
    return PeriodFit(end, se, a, b)


class Relaxed(NamedTuple):
    """Where a run at a constant input ends: its final state and its last window."""

    state: np.ndarray  # (6,) final state
    eeg_mv: float  # u_p of the final state
    swing_mv: float  # max - min of u_p over the run's last window


def relax(model: JansenRit, input_xi: float, state, duration_s: float,
          window_s: float = 1.0) -> Relaxed:
    """Run the continuous model (RK4, steps of at most ``MAX_STEP_S``) from ``state`` for
    ``duration_s`` at the constant input ``input_xi``; report the final state and the swing
    of u_p over the last ``window_s`` (a run come to rest has a swing near 0, a run on a cycle
    the cycle's swing). Only the last window is stored."""
    xi = checks.finite("input_xi", input_xi)
    duration = checks.positive("duration_s", duration_s)
    window = checks.positive("window_s", window_s)
    if window > duration:
        raise ValueError(f"window_s = {window_s!r}: must be <= duration_s = {duration_s!r}")
    start = checks.finite_array("state", state).astype(float)
    if start.shape != (6,):
        raise ValueError(f"state has shape {start.shape}: must be (6,)")
    par = np.array(model.as_row(), dtype=float)
    ahead = duration - window
    if ahead > 0:
        start = _advance(par, xi, start, ahead, int(math.ceil(ahead / MAX_STEP_S)))
    path = _trajectory(par, xi, start, window, int(math.ceil(window / MAX_STEP_S)))
    c_ep, c_pe, c_ip, c_pi = model.constants
    u_p = c_pe * path[:, 1] - c_pi * path[:, 2]
    return Relaxed(path[-1].copy(), float(u_p[-1]), float(u_p.max() - u_p.min()))


def peak_source(frequency_hz: float, orbits, tolerance_hz: float,
                max_harmonic: int = 6) -> tuple:
    """Which cycle a spectral peak belongs to, and as which harmonic: (orbit, k) or (None, 0).

    Every cycle's fundamental is tried first: a peak within ``tolerance_hz`` of one cycle's own
    frequency is that cycle's rhythm (the nearest such cycle), even if it also lies near a
    harmonic of another, slower cycle (e.g. at C ~ 134 three times the spike-like cycle's
    3.5 Hz falls on the alpha cycle's 10.5 Hz). Only then is the peak taken as the k-th
    harmonic (k = 2 ... ``max_harmonic``, smallest k first) of a cycle, by
    ``spectra.harmonic_number``.
    """
    orbits = list(orbits)
    tol = checks.non_negative("tolerance_hz", tolerance_hz)
    f = checks.non_negative("frequency_hz", frequency_hz)
    own = [o for o in orbits if harmonic_number(f, o.frequency_hz, tol, 1) == 1]
    if own:
        return min(own, key=lambda o: abs(f - o.frequency_hz)), 1
    found = [(harmonic_number(f, o.frequency_hz, tol, max_harmonic), o) for o in orbits]
    found = [(k, o) for k, o in found if k >= 2]
    if found:
        k, orbit = min(found, key=lambda item: (item[0], abs(f - item[0] * item[1].frequency_hz)))
        return orbit, k
    return None, 0


# --- naming a regime by its attractors ------------------------------------------------------

@numba.njit(cache=True)
def _advance(par, xi, x0, duration, n_steps):
    """RK4 over ``duration`` in ``n_steps`` steps; the final state only."""
    h = duration / n_steps
    work = np.empty((4, 6))
    x = x0.copy()
    for _ in range(n_steps):
        _rk4_step(par, xi, x, h, work)
    return x


def settle_step_s(model: JansenRit) -> float:
    """RK4 step used to let a run settle: 1e-4 s, or less for fast kernels (a h <= 0.5)."""
    return min(1e-4, 0.5 / max(model.a_per_s, model.b_per_s))


def settle_steps(model: JansenRit, duration_s: float) -> int:
    """Number of RK4 steps that :func:`attractors` takes to run ``duration_s`` from one start."""
    return int(math.ceil(duration_s / settle_step_s(model)))


class Regime(NamedTuple):
    """The attractors of the model at one constant input (see :func:`attractors`)."""

    input_xi: float
    equilibria: list  # every equilibrium (neural_mass.Equilibrium), stable or not
    cycles: list  # the distinct stable cycles found (Orbit), by increasing amplitude

    @property
    def stable_equilibria(self) -> list:
        return [point for point in self.equilibria if point.stable]

    def kinds(self, spike_mv: float, small_name: str = "alpha cycle") -> list[str]:
        """One label per attractor: "equilibrium", ``small_name`` (a cycle swinging u_p by up
        to ``spike_mv``; "alpha cycle" by default, "Hopf cycle" where its frequency need not
        lie in the alpha band) or "spike-like cycle" (larger)."""
        return (["equilibrium"] * len(self.stable_equilibria)
                + ["spike-like cycle" if orbit.amplitude_mv > spike_mv else small_name
                   for orbit in self.cycles])

    def name(self, spike_mv: float, small_name: str = "alpha cycle") -> str:
        """The regime: its single attractor's kind, or "bistable" (or "multistable")."""
        kinds = self.kinds(spike_mv, small_name)
        if not kinds:
            return "no attractor found"
        if len(kinds) == 1:
            return kinds[0]
        return "bistable" if len(kinds) == 2 else "multistable"


def _same(one: Orbit, other: Orbit) -> bool:
    return (abs(one.period_s - other.period_s) <= 1e-6 * other.period_s
            and abs(one.amplitude_mv - other.amplitude_mv) <= 1e-6 * (1 + other.amplitude_mv))


def attractors(model: JansenRit, input_xi: float, starts=(), settle_s: float = 4.0,
               window_s: float = 1.0, still_mv: float = 1e-6) -> Regime:
    """The equilibria and the stable cycles of the model at a constant input.

    Every stable equilibrium is an attractor. Cycles are looked for by running the model
    (RK4, :func:`settle_step_s`) for ``settle_s`` from rest (all states 0), from each of
    ``starts`` and from each unstable equilibrium nudged along the real part of its leading
    eigenvector; a run whose output u_p still swings by more than ``still_mv`` over its last
    ``window_s`` gives a guess (its last maximum of y_p and the time between its last two) that
    :func:`periodic_orbit` refines. Only stable orbits are kept, each once.

    Near a Hopf point an unstable focus repels only slowly, so a run from it may not reach the
    small cycle around it within ``settle_s``; each unstable focus therefore also starts
    :func:`_focus_orbits`, which needs no long run.

    A cycle whose basin none of these starts reaches is missed, and near a bifurcation a run may
    settle too slowly for its guess to converge; the classification is as good as its starts.

    Parameters
    ----------
    model : JansenRit
    input_xi : float
        Constant input (spec units; the textbook p is 0.8 xi).
    starts : sequence of array_like (6,)
        Further initial states.
    settle_s, window_s : float
        Duration of each run, and the final part of it that is examined, s
        (0 < window_s <= settle_s).
    still_mv : float
        Swing of u_p below which a run counts as having come to rest, mV.
    """
    from .neural_mass import equilibria  # noqa: PLC0415 (neural_mass does not import us)

    xi = checks.finite("input_xi", input_xi)
    total = checks.positive("settle_s", settle_s)
    window = checks.positive("window_s", window_s)
    if window > total:
        raise ValueError(f"window_s = {window_s}: must be <= settle_s = {settle_s}")
    checks.positive("still_mv", still_mv)
    points = equilibria(model, xi)
    candidates = [np.zeros(6)] + [checks.finite_array("starts", s).astype(float)
                                  for s in starts]
    for point in points:
        if not point.stable:
            eig, vectors = np.linalg.eig(_jacobian_at(model, point.state))
            lead = vectors[:, int(np.argmax(eig.real))].real
            candidates.append(point.state + 1e-3 * lead / np.max(np.abs(lead)))
    par = np.array(model.as_row(), dtype=float)
    h = settle_step_s(model)
    window_steps = max(int(math.ceil(window / h)), 3)
    before = max(settle_steps(model, total) - window_steps, 0)
    c_pe, c_pi = model.constants[1], model.constants[3]
    found = []
    for point in points:  # near a Hopf point: finite-amplitude starts, refined by shooting
        for orbit in _focus_orbits(model, xi, point):
            if orbit.stable and not any(_same(orbit, o) for o in found):
                found.append(orbit)
    for start in candidates:
        x = _advance(par, xi, start, before * h, before) if before else start.copy()
        path = _trajectory(par, xi, x, window_steps * h, window_steps)
        u_p = c_pe * path[:, 1] - c_pi * path[:, 2]
        if np.ptp(u_p) <= still_mv:
            continue
        z_p = path[:, 3]
        tops = np.flatnonzero((z_p[:-1] > 0) & (z_p[1:] <= 0))
        if tops.size < 2:
            continue
        guess_s = (tops[-1] - tops[-2]) * h
        if any(abs(np.ptp(u_p) - o.amplitude_mv) < 1e-3 * o.amplitude_mv
               and abs(guess_s - o.period_s) < 2 * h for o in found):
            continue  # this run has reached a cycle already found
        orbit = periodic_orbit(model, xi, path[tops[-1]], guess_s)
        if orbit is not None and orbit.stable and not any(_same(orbit, o) for o in found):
            found.append(orbit)
    return Regime(xi, points, sorted(found, key=lambda o: o.amplitude_mv))


#: Swings of u_p (mV) of the starts that :func:`_focus_orbits` places around an unstable focus.
FOCUS_SWINGS_MV = (0.5, 1.0, 2.0, 4.0)
#: Periods of the focus's linear oscillation that such a start runs before it is refined.
FOCUS_PERIODS = 10


def _focus_orbits(model: JansenRit, input_xi: float, point) -> list:
    """Cycles found from starts around an unstable focus, by :func:`periodic_orbit`.

    Each start lies in the plane of the leading (complex) eigenvector v, x* + s Re(v), with s
    chosen so that the linear oscillation swings u_p by one of :data:`FOCUS_SWINGS_MV`. It runs
    for :data:`FOCUS_PERIODS` linear periods 2 pi / |Im lambda| (the other directions decay, the
    slow radial one need not), and its last maximum of y_p and the time since the one before
    start Newton's method, which converges onto the cycle however slowly the focus repels.

    Parameters
    ----------
    model : JansenRit
    input_xi : float
    point : neural_mass.Equilibrium

    Returns
    -------
    list of Orbit
        The orbits found (stable or not); empty unless ``point`` is an unstable focus.
    """
    lead = point.eigenvalues[0]
    if lead.real <= 0 or abs(lead.imag) < 1e-9:
        return []
    eig, vectors = np.linalg.eig(_jacobian_at(model, point.state))
    vector = vectors[:, int(np.argmax(eig.real + 1e-12 * np.sign(eig.imag)))]
    c_pe, c_pi = model.constants[1], model.constants[3]
    swing_per_unit = 2.0 * abs(c_pe * vector[1] - c_pi * vector[2])
    if swing_per_unit == 0:
        return []
    par = np.array(model.as_row(), dtype=float)
    h = settle_step_s(model)
    period = 2.0 * np.pi / abs(lead.imag)
    run = max(int(math.ceil(FOCUS_PERIODS * period / h)), 3)
    window = max(int(math.ceil(3.0 * period / h)), 3)
    orbits = []
    for swing in FOCUS_SWINGS_MV:
        start = point.state + (swing / swing_per_unit) * vector.real
        path = _trajectory(par, input_xi, start, run * h, run)[-window:]
        tops = np.flatnonzero((path[:-1, 3] > 0) & (path[1:, 3] <= 0))
        if tops.size < 2:
            continue
        orbit = periodic_orbit(model, input_xi, path[tops[-1]], (tops[-1] - tops[-2]) * h)
        if orbit is not None and not any(_same(orbit, o) for o in orbits):
            orbits.append(orbit)
    return orbits


def _jacobian_at(model: JansenRit, state) -> np.ndarray:
    jac = np.empty((6, 6))
    _field_jacobian(np.array(model.as_row(), dtype=float), np.asarray(state, float), jac)
    return jac
