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

#: Largest Runge-Kutta step, s: (a h)^4 ~ 2e-11 for a = 100/s.
MAX_STEP_S = 2e-5


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
    """Right-hand side of the state (first 6) and the variational matrix (next 36)."""
    _field(par, xi, y[:6], out[:6])
    _field_jacobian(par, y[:6], jac)
    m = y[6:].reshape((6, 6))
    out[6:] = (jac @ m).ravel()


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
    jac = np.empty((6, 6))
    u_min = u_max = par[5] * y[1] - par[7] * y[2]
    for _ in range(n_steps):
        _derivative(par, xi, y, k1, jac)
        _derivative(par, xi, y + 0.5 * h * k1, k2, jac)
        _derivative(par, xi, y + 0.5 * h * k2, k3, jac)
        _derivative(par, xi, y + h * k3, k4, jac)
        y += (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        u = par[5] * y[1] - par[7] * y[2]
        u_min = min(u_min, u)
        u_max = max(u_max, u)
    return y[:6].copy(), y[6:].reshape((6, 6)).copy(), u_min, u_max


@numba.njit(cache=True)
def _trajectory(par, xi, x0, duration, n_steps):
    """RK4 states at every step (n_steps + 1, 6), without the variational part."""
    out = np.empty((n_steps + 1, 6))
    out[0] = x0
    h = duration / n_steps
    k1, k2, k3, k4 = np.empty(6), np.empty(6), np.empty(6), np.empty(6)
    x = x0.copy()
    for k in range(n_steps):
        _field(par, xi, x, k1)
        _field(par, xi, x + 0.5 * h * k1, k2)
        _field(par, xi, x + 0.5 * h * k2, k3)
        _field(par, xi, x + h * k3, k4)
        x += (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
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


class Branch(NamedTuple):
    """A cycle followed in the input: the orbits found and how the branch ended."""

    orbits: list  # of Orbit, in the order followed
    end_xi: float  # first input where the cycle was not found (nan: the range was done)
    ending: str  # "range", "hopf", "fold", "homoclinic", "unstable" or "lost"
    hopf_xi: float  # with ending "hopf": where amplitude^2, extrapolated linearly, reaches 0


def follow(model: JansenRit, start: Orbit, inputs_xi, min_step: float = 1e-3,
           max_period_s: float = 1.0, stable_only: bool = True) -> Branch:
    """Follow a periodic orbit through the inputs ``inputs_xi`` (natural continuation).

    Each orbit starts Newton's method for the next input; when it fails, the step is halved
    down to ``min_step`` (in xi units). The branch ends with the reason:

    - "hopf": the amplitude shrinks to zero; near a supercritical Hopf point amplitude^2 is
      linear in the input, and its linear extrapolation from the last three orbits reaches 0
      within two steps of where the cycle was lost (``hopf_xi``);
    - "homoclinic": the period exceeds ``max_period_s`` / 2;
    - "fold": a Floquet multiplier within 0.05 of +1 (the cycle meets an unstable one);
    - "unstable": with ``stable_only`` (the default: follow an attractor), a Floquet
      multiplier left the unit circle in another way (e.g. a period doubling);
    - "lost": Newton failed for another reason; "range": every input was done.

    Natural continuation follows whichever solution is nearest; ``stable_only`` keeps it on
    the attracting cycle, which is what names a regime.
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
    if np.min(np.abs(last.multipliers - 1.0)) < 0.05:
        return Branch(orbits, lost_xi, "fold", math.nan)
    if np.max(np.abs(last.multipliers)) > 0.95:
        return Branch(orbits, lost_xi, "unstable", math.nan)
    return Branch(orbits, lost_xi, "lost", math.nan)
