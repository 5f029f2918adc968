"""Mean field of the book's network of conductance-based integrate-and-fire neurons.

Each neuron of :func:`networks.ei_network` receives ``k_exc`` excitatory and ``k_inh``
inhibitory connections; each presynaptic neuron drives one gate s that decays with the
synapse's time constant and jumps as s <- s + delta (1 - s) at each of its spikes (spec,
"Conventions"). If presynaptic trains are Poisson at rate nu, the gates' mean and variance
are exact (:func:`gate_mean`, :func:`gate_variance`); the summed conductances give the
membrane an effective leak, mean potential and time constant (spec, "Conductance-based
membrane"), and their fluctuations a voltage noise, in the effective-time-constant
approximation (Johannesma 1968; Brunel & Wang 2001; Richardson 2004; Destexhe et al. 2003).
The rate follows from the Siegert first-passage formula (Siegert 1951; Amit & Brunel 1997;
Brunel & Hakim 1999) with the coloured-noise threshold shift of Brunel & Sergi (1998) and
Fourcaud & Brunel (2002), and the network's rate solves nu = phi(mu(nu), sigma(nu)).

The Siegert formula is for a fixed threshold: this module is a theory of the network with
theta_spike = theta_0, not of a dynamic threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numba
import numpy as np
from scipy import optimize

from . import checks, limits
from .metrics import mean_confidence_interval
from .params import SynapseType
from .transfer import ALPHA_COLOURED, shifted_siegert_rate_hz


def gate_mean(rate_hz, tau_ms: float, delta: float):
    """Stationary mean of a gate driven by a Poisson train, exact.

    With ds/dt = -s / tau between spikes and s <- s + delta (1 - s) at each spike of a
    Poisson train of rate nu, the mean obeys d<s>/dt = -<s>/tau + nu delta (1 - <s>), so

        <s> = delta nu tau / (1 + delta nu tau),

    linear in delta nu tau for sparse firing and saturating at 1.

    Parameters
    ----------
    rate_hz : float or array_like
        Presynaptic rate nu, Hz (>= 0).
    tau_ms : float
        Decay time constant of the gate, ms (> 0).
    delta : float
        Increment per spike, in [0, 1].
    """
    x = _drive(rate_hz, tau_ms, delta)
    return x / (1.0 + x)


def gate_variance(rate_hz, tau_ms: float, delta: float):
    """Stationary variance of a gate driven by a Poisson train, exact.

    The second moment q = <s^2> obeys dq/dt = -2 q / tau + nu <(s + delta (1 - s))^2 - s^2>,
    whose stationary solution with m = :func:`gate_mean` is

        q = nu (2 delta m + delta^2 (1 - 2 m)) / (2 / tau + nu delta (2 - delta)),

    and the variance is q - m^2 (Campbell's theorem, nu delta^2 tau / 2, for small delta).
    Parameters as for :func:`gate_mean`.
    """
    rate = checks.each("rate_hz", np.atleast_1d(rate_hz), checks.non_negative).reshape(
        np.shape(rate_hz)) / 1000.0  # per ms
    tau = checks.positive("tau_ms", tau_ms)
    d = checks.in_closed_range("delta", delta, 0.0, 1.0)
    m = gate_mean(rate_hz, tau, d)
    q = rate * (2.0 * d * m + d * d * (1.0 - 2.0 * m)) / (2.0 / tau + rate * d * (2.0 - d))
    return np.maximum(q - m * m, 0.0)


def gate_correlation_ms(rate_hz, tau_ms: float, delta: float):
    """Correlation time of a Poisson-driven gate, ms: tau / (1 + delta nu tau).

    The gate's equation is linear in s, so its autocovariance decays at the rate of its mean,
    1/tau + delta nu. Parameters as for :func:`gate_mean`.
    """
    return checks.positive("tau_ms", tau_ms) / (1.0 + _drive(rate_hz, tau_ms, delta))


def _drive(rate_hz, tau_ms, delta):
    rate = checks.each("rate_hz", np.atleast_1d(rate_hz), checks.non_negative).reshape(
        np.shape(rate_hz))
    tau = checks.positive("tau_ms", tau_ms)
    d = checks.in_closed_range("delta", delta, 0.0, 1.0)
    return d * rate * tau / 1000.0


@dataclass(frozen=True)
class MeanFieldNetwork:
    """What the mean field needs to know of a network of identical neurons.

    Every neuron (excitatory or inhibitory: in :func:`networks.ei_network` both receive the
    same weights) has leak E_L, resistance R, time constant tau_m, a fixed threshold theta and
    reset to E_L, and receives on average ``k_exc`` excitatory and ``k_inh`` inhibitory
    connections of maximal conductance ``w_exc_us``, ``w_inh_us`` (kinetics, reversal potential
    and increment of each type: the ``SynapseType``s ``excitatory`` and ``inhibitory``, which
    validate themselves), a mean current and an
    Ornstein-Uhlenbeck noise (stationary s.d. ``noise_sigma_na``, correlation time
    ``noise_tau_ms``).
    """

    e_leak_mv: float
    r_mohm: float
    tau_m_ms: float
    theta_mv: float
    k_exc: float
    k_inh: float
    w_exc_us: float
    w_inh_us: float
    excitatory: SynapseType
    inhibitory: SynapseType
    current_na: float
    noise_sigma_na: float
    noise_tau_ms: float

    def __post_init__(self):
        checks.finite("e_leak_mv", self.e_leak_mv)
        checks.positive("r_mohm", self.r_mohm)
        checks.positive("tau_m_ms", self.tau_m_ms)
        checks.greater_than("theta_mv", self.theta_mv, "e_leak_mv", self.e_leak_mv)
        for name in ("k_exc", "k_inh", "w_exc_us", "w_inh_us", "noise_sigma_na"):
            checks.non_negative(name, getattr(self, name))
        for name in ("excitatory", "inhibitory"):  # validated by SynapseType itself
            if not isinstance(getattr(self, name), SynapseType):
                raise ValueError(f"{name} = {getattr(self, name)!r}: must be a SynapseType")
        checks.finite("current_na", self.current_na)
        checks.positive("noise_tau_ms", self.noise_tau_ms)

    def scaled(self, coupling: float) -> MeanFieldNetwork:
        """The same network with both weights multiplied by ``coupling`` (>= 0)."""
        c = checks.non_negative("coupling", coupling)
        return replace(self, w_exc_us=self.w_exc_us * c, w_inh_us=self.w_inh_us * c)


class MembraneInput(NamedTuple):
    """Statistics of one neuron's membrane at given presynaptic rates."""

    g_total_us: float  # g_L + <g_E> + <g_I>
    mu_mv: float  # effective reversal potential plus I / g_total
    tau_eff_ms: float  # C / g_total
    sigma_mv: float  # Brunel's white-noise-equivalent sigma of all sources
    shift_mv: float  # coloured-noise shift of threshold and reset
    sd_v_mv: float  # stationary s.d. of the free membrane potential


def membrane_input(network: MeanFieldNetwork, rate_hz: float,
                   recurrent_noise: bool = True, rate_inh_hz: float | None = None) -> MembraneInput:
    """Mean, time constant and fluctuations of the membrane when all neurons fire at rate_hz.

    Mean conductances g_X = k_X w_X <s_X> (:func:`gate_mean`); g_tot = 1/R + g_E + g_I;
    mu = (E_L / R + g_E E_E + g_I E_I + I) / g_tot; tau_eff = C / g_tot with C = tau_m / R
    (spec, "Conductance-based membrane"). Each source k of fluctuations - the external noise
    (s.d. sigma_I, correlation time tau_s) and, if ``recurrent_noise``, each synapse type
    (current s.d. w sqrt(k Var s) |E_X - mu|, correlation time :func:`gate_correlation_ms`) -
    is treated as an Ornstein-Uhlenbeck current filtered by the effective membrane
    (effective-time-constant approximation: Richardson 2004; Brunel & Wang 2001):
    sd_V,k = (sigma_k / g_tot) sqrt(tau_k / (tau_k + tau_eff)), and in Brunel's convention
    sigma_k = (sigma_k / g_tot) sqrt(2 tau_k / tau_eff). The sources are independent, so the
    variances add. The coloured-noise shift (Fourcaud & Brunel 2002) is
    (alpha / 2) sum_k sigma_k^2 sqrt(tau_k / tau_eff) / sigma, which is their
    sigma (alpha / 2) sqrt(tau_s / tau_m) for one source (a sigma^2-weighted average of the
    sources' shifts: an assumption of this module).

    Parameters
    ----------
    network : MeanFieldNetwork
    rate_hz : float
        Rate of every presynaptic neuron, Hz (>= 0).
    recurrent_noise : bool
        False: the recurrent input contributes its mean conductances only ("a rate model that
        sees only mean conductances").
    rate_inh_hz : float or None
        Rate of the inhibitory presynaptic neurons, Hz (>= 0); None: ``rate_hz`` too (the
        mean field's one population). With it, ``rate_hz`` is the excitatory neurons' rate.
    """
    nu = checks.non_negative("rate_hz", rate_hz)
    nu_inh = nu if rate_inh_hz is None else checks.non_negative("rate_inh_hz", rate_inh_hz)
    n = network
    g_leak = 1.0 / n.r_mohm
    c_nf = n.tau_m_ms / n.r_mohm
    synapses = ((n.k_exc, n.w_exc_us, n.excitatory, nu),
                (n.k_inh, n.w_inh_us, n.inhibitory, nu_inh))
    g_syn = [k * w * float(gate_mean(r, syn.tau_ms, syn.delta)) for k, w, syn, r in synapses]
    g_total = g_leak + sum(g_syn)
    mu = (g_leak * n.e_leak_mv
          + sum(g * syn.e_rev_mv for g, (_, _, syn, _) in zip(g_syn, synapses, strict=True))
          + n.current_na) / g_total
    tau_eff = c_nf / g_total
    sources = [(n.noise_sigma_na, n.noise_tau_ms)]
    if recurrent_noise:
        sources += [(w * np.sqrt(k * float(gate_variance(r, syn.tau_ms, syn.delta)))
                     * abs(syn.e_rev_mv - mu),
                     float(gate_correlation_ms(r, syn.tau_ms, syn.delta)))
                    for k, w, syn, r in synapses]
    var_v = sum((s / g_total) ** 2 * t / (t + tau_eff) for s, t in sources)
    sigmas2 = [(s / g_total) ** 2 * 2.0 * t / tau_eff for s, t in sources]
    sigma = float(np.sqrt(sum(sigmas2)))
    weighted = sum(s2 * np.sqrt(t / tau_eff) for s2, (_, t) in zip(sigmas2, sources, strict=True))
    shift = 0.5 * ALPHA_COLOURED * weighted / sigma if sigma > 0 else 0.0
    return MembraneInput(float(g_total), float(mu), float(tau_eff), sigma, float(shift),
                         float(np.sqrt(var_v)))


def transfer_hz(network: MeanFieldNetwork, rate_hz: float, recurrent_noise: bool = True,
                coloured: bool = True) -> float:
    """phi(nu): a neuron's rate when every presynaptic neuron fires at rate_hz, Hz.

    :func:`membrane_input` then :func:`transfer.shifted_siegert_rate_hz` with the effective
    time constant, reset E_L, threshold theta, no refractory period (the book's neurons have
    none) and, if ``coloured``, the coloured-noise shift.
    """
    m = membrane_input(network, rate_hz, recurrent_noise)
    return shifted_siegert_rate_hz(m.mu_mv, m.sigma_mv, m.tau_eff_ms, network.theta_mv,
                                   network.e_leak_mv, m.shift_mv if coloured else 0.0)


class FixedPoints(NamedTuple):
    """Solutions of nu = phi(nu) in a bracket."""

    rates_hz: np.ndarray  # every fixed point found, increasing
    residuals_hz: np.ndarray  # phi(nu) - nu at each
    max_rate_hz: float  # the bracket was [0, max_rate_hz]


def fixed_points(network: MeanFieldNetwork, max_rate_hz: float = 1000.0, n_grid: int = 400,
                 recurrent_noise: bool = True, coloured: bool = True) -> FixedPoints:
    """All self-consistent rates nu = phi(nu) of the network in [0, max_rate_hz].

    F(nu) = phi(nu) - nu (:func:`transfer_hz`) is evaluated on a grid of ``n_grid`` points,
    denser at low rates (quadratic spacing), and every sign change is refined with
    :func:`scipy.optimize.brentq` (xtol 1e-9 Hz); a fixed point is returned only if brentq
    converged and |F| < 1e-6 Hz there. More than one returned rate means the fixed point is
    not unique in the bracket; none means that F keeps its sign there (F(max) > 0: the rate
    runs beyond the bracket). Roots closer than the grid spacing that cancel are missed: the
    grid is the resolution of the uniqueness check.

    Parameters
    ----------
    network : MeanFieldNetwork
    max_rate_hz : float
        Upper end of the bracket, Hz (> 0).
    n_grid : int
        Points of the scan (>= 3).
    recurrent_noise, coloured : bool
        As for :func:`transfer_hz`.
    """
    top = checks.positive("max_rate_hz", max_rate_hz)
    n_grid = checks.integer("n_grid", n_grid, 3)

    def residual(nu):
        return transfer_hz(network, nu, recurrent_noise, coloured) - nu

    grid = top * np.linspace(0.0, 1.0, n_grid) ** 2
    values = np.array([residual(nu) for nu in grid])
    if not np.all(np.isfinite(values)):
        bad = grid[~np.isfinite(values)][0]
        raise FloatingPointError(f"the transfer function is not finite at rate {bad:g} Hz")
    roots = []
    for k in np.flatnonzero(values[:-1] * values[1:] <= 0):
        if values[k] == 0.0:
            root = grid[k]
        elif values[k + 1] == 0.0:
            continue  # found as the left end of the next interval
        else:
            root, info = optimize.brentq(residual, grid[k], grid[k + 1], xtol=1e-9,
                                         full_output=True)
            if not info.converged:
                raise RuntimeError(f"brentq did not converge in [{grid[k]:g}, {grid[k + 1]:g}] Hz")
        if abs(residual(root)) > 1e-6:
            raise RuntimeError(f"fixed point at {root:g} Hz has residual {residual(root):g} Hz")
        roots.append(root)
    roots = np.array(roots, dtype=float)
    return FixedPoints(roots, np.array([residual(r) for r in roots]), top)


def from_ei_network(neuron, n_exc: int, n_inh: int, p_connect: float, excitatory, inhibitory,
                    w_exc_us: float, w_inh_us: float, current_na: float,
                    noise_sigma_na: float, noise_tau_ms: float) -> MeanFieldNetwork:
    """The mean-field description of :func:`networks.ei_network` (same weights onto E and I).

    k_exc = p n_exc and k_inh = p n_inh: the expected numbers of inputs, the missing
    self-connection (a 1/n effect) neglected. Each synapse type keeps its own kinetics and
    increment. The neuron's threshold is theta_0; its dynamic part (theta_spike, tau_theta) is
    ignored, so this describes the network exactly only when theta_spike = theta_0.
    """
    p = checks.in_closed_range("p_connect", p_connect, 0.0, 1.0)
    return MeanFieldNetwork(
        neuron.e_leak_mv, neuron.r_mohm, neuron.tau_m_ms, neuron.theta_0_mv,
        p * checks.integer("n_exc", n_exc, 1), p * checks.integer("n_inh", n_inh, 0),
        w_exc_us, w_inh_us, excitatory, inhibitory, current_na, noise_sigma_na, noise_tau_ms)


def ping_period_ms(neuron, current_na: float, g_inh_us: float, inhibitory, delay_ms: float,
                   dt_ms: float = 0.01, max_ms: float = 1000.0) -> float:
    """Period of one noise-free PING cycle: reset, an inhibitory volley, recovery to threshold, ms.

    After a synchronous excitatory volley at t = 0 each excitatory neuron is reset to E_L with
    its threshold at theta_spike; the inhibitory neurons answer after ``delay_ms`` with a volley
    that raises its inhibitory conductance by ``g_inh_us``, which then decays with the
    synapse's time constant. The next volley comes when the noise-free membrane

        C dV/dt = -(V - E_L) / R - g_I(t) (V - E_I) + I,  g_I(t) = g_inh e^{-(t - d)/tau_I}

    reaches the (relaxing) threshold (Borgers & Kopell 2003, 2005; Whittington et al. 2000:
    the period is set by the decay of inhibition). Integrated with the book's exact
    exponential update on a grid of ``dt_ms``.

    Parameters
    ----------
    neuron : Neuron
        The excitatory neuron (its dynamic threshold is used as given).
    current_na : float
        Its constant drive, nA.
    g_inh_us : float
        Inhibitory conductance added by the volley, uS (>= 0).
    inhibitory : SynapseType
        Reversal potential and decay time constant of the inhibition.
    delay_ms : float
        Time from the excitatory to the inhibitory volley, ms (>= 0).
    dt_ms, max_ms : float
        Grid step and the longest period looked for, ms (> 0).

    Returns
    -------
    float
        The period, ms; inf if the neuron does not reach threshold within ``max_ms``.
    """
    current = checks.finite("current_na", current_na)
    g_peak = checks.non_negative("g_inh_us", g_inh_us)
    delay = checks.non_negative("delay_ms", delay_ms)
    dt = checks.positive("dt_ms", dt_ms)
    top = checks.positive("max_ms", max_ms)
    t = np.arange(1, int(np.ceil(top / dt)) + 1) * dt
    g_leak, c = 1.0 / neuron.r_mohm, neuron.tau_m_ms / neuron.r_mohm
    g_inh = np.where(t - dt >= delay, g_peak * np.exp(-np.maximum(t - dt - delay, 0.0)
                                                      / inhibitory.tau_ms), 0.0)
    g = g_leak + g_inh
    target = (g_leak * neuron.e_leak_mv + g_inh * inhibitory.e_rev_mv + current) / g
    decay = np.exp(-dt * g / c)
    v = np.empty(t.size)
    x = neuron.e_leak_mv
    for k in range(t.size):  # V_{k+1} = target_k + (V_k - target_k) exp(-dt g_k / C)
        x = target[k] + (x - target[k]) * decay[k]
        v[k] = x
    theta = neuron.theta_0_mv + (neuron.theta_spike_mv - neuron.theta_0_mv) * np.exp(
        -t / neuron.tau_theta_ms)
    crossed = np.flatnonzero(v >= theta)
    return float(t[crossed[0]]) if crossed.size else np.inf


def transfer_slope(network: MeanFieldNetwork, rate_hz: float, step_hz: float = 1e-3,
                   recurrent_noise: bool = True, coloured: bool = True) -> float:
    """phi'(nu): slope of the transfer function with respect to the presynaptic rate (1).

    Central difference (phi(nu + h) - phi(nu - h)) / 2h of :func:`transfer_hz` (one-sided at
    nu < h). At a fixed point nu* = phi(nu*) this is the open-loop gain of the rate loop: a
    small rate perturbation comes back multiplied by phi'(nu*). For rate dynamics
    tau dnu/dt = -nu + phi(nu) the fixed point is stable for phi' < 1; with inhibition arriving
    after a delay (and through synaptic filters) the loop can instead oscillate once the
    negative gain is strong enough, |phi'| of order 1 for a long delay (Brunel & Hakim 1999,
    section on the delayed inhibitory loop; Brunel 2000).

    Parameters
    ----------
    network : MeanFieldNetwork
    rate_hz : float
        Presynaptic rate nu, Hz (>= 0).
    step_hz : float
        Difference step h, Hz (> 0).
    recurrent_noise, coloured : bool
        As for :func:`transfer_hz`.
    """
    nu = checks.non_negative("rate_hz", rate_hz)
    h = checks.positive("step_hz", step_hz)
    low = max(nu - h, 0.0)
    return float((transfer_hz(network, nu + h, recurrent_noise, coloured)
                  - transfer_hz(network, low, recurrent_noise, coloured)) / (nu + h - low))


class OpenLoopRate(NamedTuple):
    """Output of :func:`open_loop_rate_hz`."""

    rate_hz: float  # mean output rate across neurons after the transient
    se_hz: float  # its standard error across neurons
    input_rate_hz: float  # rate of every independent Poisson input train


def open_loop_rate_hz(network: MeanFieldNetwork, input_rate_hz: float, n_neurons: int,
                      dt_ms: float, duration_ms: float, transient_ms: float,
                      rng: np.random.Generator,
                      in_degrees: tuple | None = None) -> OpenLoopRate:
    """Simulated transfer function: neurons driven by independent Poisson trains, no network.

    Each of ``n_neurons`` fixed-threshold neurons of ``network`` (the neuron, weights, synapse
    types, mean current and OU noise of :class:`MeanFieldNetwork`) receives round(k_exc)
    excitatory and round(k_inh) inhibitory inputs; each input is an independent Poisson train
    at ``input_rate_hz`` driving its own gate with the book's rule (decay with the synapse's
    tau, s <- s + delta (1 - s) at each spike). Nothing is recurrent and no two inputs are
    correlated, so the output rate is phi_sim(nu), the transfer function that the mean field's
    :func:`transfer_hz` approximates (diffusion, effective time constant, coloured-noise
    shift) - the open-loop control that separates the transfer function's error from the
    network's (closed-loop) error.

    The scheme is the network kernel's (spec, exact exponential update): over step k -> k+1
    the membrane relaxes with the step-k conductances, V <- V_inf + (V - V_inf) exp(-dt g/C),
    the gates decay, then the input spikes that fall in the step open their gates; V >= theta
    is a spike at t_{k+1}, reset to E_L. The OU current is :func:`noise.ou_current_na`'s, bit
    for bit (the same draws, its exact recursion eta_{k+1} = a eta_k + sigma sqrt(1 - a^2)
    xi_{k+1}, here run inside the compiled loop instead of by ``scipy.signal.lfilter``). Input
    spikes: for each neuron and type a Poisson number (mean k nu T) of independent uniform
    times in [0, T), each assigned to a uniformly drawn input (together: k independent Poisson
    trains at nu); a spike in (t_k, t_{k+1}] opens its gate at t_{k+1}; gates are updated
    lazily (exact decay since their last spike), and
    their sum decays with the synapse's tau, so the cost grows with the number of input
    spikes, not of gates.
    The compiled loops release the GIL, so independent runs, each drawing from its own
    ``rng``, can share the cores (``threads.in_threads``).

    Parameters
    ----------
    network : MeanFieldNetwork
    input_rate_hz : float
        Rate of every input train, Hz (>= 0).
    n_neurons : int
        Independent neurons (>= 2).
    dt_ms, duration_ms, transient_ms : float
        Step (> 0), simulated time (> transient) and start excluded from the rate (>= 0), ms.
    rng : numpy.random.Generator
        Source of the input spikes, the OU noise and the initial potentials (uniform between
        E_L and theta).
    in_degrees : (array of int, array of int), optional
        Each neuron's own numbers of excitatory and inhibitory inputs (length ``n_neurons``,
        >= 0), e.g. a network's in-degrees, instead of round(k_exc) and round(k_inh) for all:
        the control then keeps the quenched in-degree heterogeneity that a homogeneous mean
        field omits (Amit & Brunel 1997), and only correlations are left out.
    """
    nu = checks.non_negative("input_rate_hz", input_rate_hz)
    n = checks.integer("n_neurons", n_neurons, 2)
    dt = checks.positive("dt_ms", dt_ms)
    transient = checks.non_negative("transient_ms", transient_ms)
    duration = checks.greater_than("duration_ms", duration_ms, "transient_ms", transient)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng = {rng!r}: must be a numpy.random.Generator")
    net = network
    n_steps = int(round(duration / dt))
    if in_degrees is None:
        k_in = (int(round(net.k_exc)), int(round(net.k_inh)))
    elif len(in_degrees) != 2:
        raise ValueError(f"in_degrees has {len(in_degrees)} entries: must be 2 (excitatory, "
                         "inhibitory)")
    else:
        k_in = tuple(_in_degree_array(name, k, n) for name, k in
                     zip(("in_degrees[0]", "in_degrees[1]"), in_degrees, strict=True))
    synapses = (net.excitatory, net.inhibitory)
    events = [_poisson_events(rng, n, k, nu, n_steps, dt) for k in k_in]
    k_in = tuple(int(np.max(k)) for k in k_in)  # gates per neuron (enough for the largest)
    # the draws of noise.ou_current_na(rng, (n,), n_steps, ...), its recursion in the loop
    limits.memory("n_neurons, duration_ms, dt_ms", 8.0 * n * n_steps, "noise draws")
    xi = rng.standard_normal((n, n_steps))
    a_ou = np.exp(-dt / net.noise_tau_ms)
    ou = (a_ou, net.noise_sigma_na, net.noise_sigma_na * np.sqrt(1.0 - a_ou * a_ou))
    v0 = rng.uniform(net.e_leak_mv, net.theta_mv, n)
    spikes = _open_loop_numba(
        *events[0], *events[1], xi, *ou, v0, max(k_in[0], 1), max(k_in[1], 1),
        net.w_exc_us, net.w_inh_us, np.array([s.tau_ms for s in synapses]),
        np.array([s.delta for s in synapses]), np.array([s.e_rev_mv for s in synapses]),
        net.e_leak_mv, 1.0 / net.r_mohm, net.tau_m_ms / net.r_mohm, net.theta_mv,
        net.current_na, dt, n_steps, int(np.ceil(transient / dt - 1e-9)))
    rates = spikes / ((duration - transient) / 1000.0)
    if not np.all(np.isfinite(rates)):
        raise FloatingPointError("open-loop simulation produced a non-finite rate")
    return OpenLoopRate(float(rates.mean()), float(rates.std(ddof=1) / np.sqrt(n)), nu)


def _in_degree_array(name, values, n_neurons):
    """Per-neuron input counts: integers >= 0, one per neuron."""
    array = np.asarray(values)
    if (array.shape != (n_neurons,) or not np.issubdtype(array.dtype, np.integer)
            or np.any(array < 0)):
        raise ValueError(f"{name} = {values!r}: must be {n_neurons} integers >= 0, one per "
                         "neuron")
    return array.astype(np.int64)


def _poisson_events(rng, n_neurons, k_inputs, rate_hz, n_steps, dt_ms):
    """(offsets, steps, inputs): neuron i's input spikes are entries offsets[i]:offsets[i+1],
    sorted by step; steps[m] is the step k whose interval (t_k, t_{k+1}] holds spike m and
    inputs[m] which of the neuron's trains it belongs to. ``k_inputs`` is one count for all
    neurons or an array with one per neuron."""
    k = np.broadcast_to(np.asarray(k_inputs, dtype=np.int64), (n_neurons,))
    span_ms = n_steps * dt_ms
    counts = rng.poisson(k * rate_hz * span_ms / 1000.0)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    times = rng.uniform(0.0, span_ms, int(offsets[-1]))
    # each neuron's times sorted (the order that np.lexsort((times, owner)) gives, since the
    # neurons' blocks are already in order; equal times are equal values, so ties cannot differ)
    steps = np.minimum((_sort_blocks(times, offsets) / dt_ms).astype(np.int64), n_steps - 1)
    inputs = rng.integers(0, np.maximum(np.repeat(k, counts), 1)).astype(np.int64)
    return offsets, steps, inputs


@numba.njit(cache=True, nogil=True)
def _sort_blocks(values, offsets):
    """``values`` with each block offsets[i]:offsets[i+1] sorted (a copy)."""
    out = values.copy()
    for i in range(offsets.size - 1):
        out[offsets[i]:offsets[i + 1]] = np.sort(values[offsets[i]:offsets[i + 1]])
    return out


@numba.njit(cache=True, nogil=True)
def _deliver(p, end, steps, inputs, s_in, last, decay, delta, k, total):
    """Open the gates of the input spikes that arrive at step ``k`` (one pathway).

    Each input's gate decays lazily since its last spike (``decay`` per step), then jumps by
    ``delta (1 - s)``; ``total`` (the sum of the pathway's gates) grows by the same jumps, in
    arrival order. Returns the next spike index and the new total.
    """
    while p < end and steps[p] == k:
        j = inputs[p]
        s = s_in[j] * decay ** (k + 1 - last[j])
        s_in[j] = s + delta * (1.0 - s)
        last[j] = k + 1
        total += delta * (1.0 - s)
        p += 1
    return p, total


@numba.njit(cache=True, nogil=True)
def _open_loop_numba(off_e, step_e, input_e, off_i, step_i, input_i, xi, a_ou, sigma_ou,
                     kick_ou, v0, k_e, k_i, w_e, w_i, tau, delta, e_rev, e_leak, g_leak, cap,
                     theta, current, dt, n_steps, first_counted):
    n = v0.size
    spikes = np.zeros(n)
    a_e, a_i = np.exp(-dt / tau[0]), np.exp(-dt / tau[1])
    for i in range(n):
        s_e, last_e = np.zeros(k_e), np.zeros(k_e, dtype=np.int64)
        s_i, last_i = np.zeros(k_i), np.zeros(k_i, dtype=np.int64)
        sum_e = sum_i = 0.0
        v = v0[i]
        pe, pi = off_e[i], off_i[i]
        eta = xi[i, 0] * sigma_ou  # the stationary start of noise.ou_current_na
        for k in range(n_steps):
            if k > 0:  # its recursion, in lfilter's arithmetic: kick + a eta
                eta = xi[i, k] * kick_ou + a_ou * eta
            g_e, g_i = w_e * sum_e, w_i * sum_i
            g = g_leak + g_e + g_i
            v_inf = (g_leak * e_leak + g_e * e_rev[0] + g_i * e_rev[1] + current + eta) / g
            v = v_inf + (v - v_inf) * np.exp(-dt * g / cap)
            sum_e *= a_e
            sum_i *= a_i
            pe, sum_e = _deliver(pe, off_e[i + 1], step_e, input_e, s_e, last_e, a_e, delta[0],
                                 k, sum_e)
            pi, sum_i = _deliver(pi, off_i[i + 1], step_i, input_i, s_i, last_i, a_i, delta[1],
                                 k, sum_i)
            if v >= theta:
                v = e_leak
                if k + 1 >= first_counted:  # spike time t_{k+1} >= transient
                    spikes[i] += 1.0
    return spikes


class SeedInterval(NamedTuple):
    """Mean over seeds with its t-interval, per column (see :func:`seed_interval`)."""
    mean: np.ndarray  # mean of the finite values
    low: np.ndarray  # lower end of the interval (NaN with fewer than 2 finite values)
    high: np.ndarray  # upper end
    n: np.ndarray  # finite values per column


def seed_interval(values, confidence: float = 0.95) -> SeedInterval:
    """Mean and Student-t confidence interval of each column over independent seeds.

    Parameters
    ----------
    values : array_like, shape (seeds, points)
        One row per seed (e.g. the mean field's relative error at every coupling); NaN marks a
        missing value and is left out of its column.
    confidence : float
        Coverage of the interval, in (0, 1).

    Returns
    -------
    SeedInterval
        mean +- t_{(1+confidence)/2, n-1} s / sqrt(n), with s the sample standard deviation
        (ddof = 1) of the n finite values (e.g. Wasserman 2004, All of Statistics, sec. 6.3):
        ``metrics.mean_confidence_interval`` of each column's finite values, with no interval
        (NaN) where fewer than 2 are left.
    """
    data = np.atleast_2d(np.asarray(values, dtype=float))
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence = {confidence!r}: must lie in (0, 1)")
    columns = [column[np.isfinite(column)] for column in data.T]
    n = np.array([column.size for column in columns])
    ci = np.array([mean_confidence_interval(column, confidence) for column in columns])
    mean, low, high = ci.T if ci.size else (np.empty(0),) * 3
    low, high = np.where(n >= 2, low, np.nan), np.where(n >= 2, high, np.nan)
    return SeedInterval(mean, low, high, n)


def first_outside_band(low, high, tolerance: float):
    """Index of the first point whose interval [low, high] lies wholly outside [-tol, tol].

    An interval that overlaps the band, or is undefined (NaN), does not count: the point is
    outside only if low > tolerance or high < -tolerance. Returns None if no point is.
    """
    tol = checks.positive("tolerance", tolerance)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    outside = (low > tol) | (high < -tol)
    hits = np.flatnonzero(outside)
    return int(hits[0]) if hits.size else None


def first_not_inside_band(low, high, tolerance: float):
    """Index of the first point whose interval [low, high] is not wholly inside [-tol, tol]
    (low < -tol or high > tol): from there on the mean field cannot be shown to hold.
    Undefined (NaN) intervals do not count. Returns None if every interval is inside."""
    tol = checks.positive("tolerance", tolerance)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    hits = np.flatnonzero((low < -tol) | (high > tol))
    return int(hits[0]) if hits.size else None


class DegreeDifference(NamedTuple):
    """A group's rate excess split by in-degree (see :func:`in_degree_difference`)."""
    observed_hz: float  # mean rate of the group minus that of the others
    predicted_hz: float  # the part that the groups' in-degrees predict
    residual_hz: float  # the group label's own coefficient, in-degrees held fixed
    residual_se_hz: float  # its standard error
    k_exc_difference: float  # mean excitatory in-degree, group minus others
    k_inh_difference: float  # mean inhibitory in-degree, group minus others


def in_degree_difference(rates_hz, network, in_group) -> DegreeDifference:
    """How much of a group's rate excess its neurons' in-degrees explain.

    Each neuron's rate is fitted by least squares as nu_n = b0 + b_E K_E,n + b_I K_I,n, with
    K_E,n and K_I,n its numbers of excitatory and inhibitory inputs (gates of synapse type 0
    and 1 with a non-zero weight onto n). The predicted excess of the group is
    b_E dK_E + b_I dK_I, with dK the difference of the groups' mean in-degrees. Adding the
    group label as a regressor gives its own coefficient, the excess that in-degrees leave
    unexplained, with its ordinary least-squares standard error. With identical neurons and
    inputs (the book's network), a label coefficient near zero means the groups differ only
    through their in-degrees (for ``networks.ei_network``: the missing autapses, p (N - 1)
    inputs from a neuron's own population, plus the connectivity's sampling).

    Returns NaN for the fitted parts if the design is rank-deficient (in-degrees that do not
    vary, or that vary only with the group).
    """
    rates = np.asarray(rates_hz, dtype=float)
    group = np.asarray(in_group, dtype=bool)
    weights = np.asarray(network.weights_us)
    if rates.shape != group.shape or rates.size != weights.shape[1]:
        raise ValueError(f"rates_hz, in_group: need one value per neuron ({weights.shape[1]}), "
                         f"got {rates.shape} and {group.shape}")
    if group.all() or not group.any():
        raise ValueError("in_group: needs neurons both in and out of the group")
    types = np.asarray(network.gate_types)
    k_exc = (weights[types == 0] > 0).sum(axis=0).astype(float)
    k_inh = (weights[types == 1] > 0).sum(axis=0).astype(float)
    d_exc = k_exc[group].mean() - k_exc[~group].mean()
    d_inh = k_inh[group].mean() - k_inh[~group].mean()
    observed = rates[group].mean() - rates[~group].mean()
    base = np.column_stack([np.ones(rates.size), k_exc, k_inh])
    full = np.column_stack([base, group.astype(float)])
    if np.linalg.matrix_rank(full) < 4:
        return DegreeDifference(observed, np.nan, np.nan, np.nan, d_exc, d_inh)
    coef = np.linalg.lstsq(base, rates, rcond=None)[0]
    coef_full = np.linalg.lstsq(full, rates, rcond=None)[0]
    resid = rates - full @ coef_full
    variance = resid @ resid / (rates.size - 4)
    se = np.sqrt(variance * np.linalg.inv(full.T @ full)[3, 3])
    return DegreeDifference(observed, coef[1] * d_exc + coef[2] * d_inh, coef_full[3], se,
                            d_exc, d_inh)
