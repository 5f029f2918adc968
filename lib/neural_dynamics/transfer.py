"""Transfer function of the fixed-threshold LIF neuron under noise: theory, simulation, fit.

The rate of a leaky integrate-and-fire neuron driven by Gaussian noise is Siegert's mean
first-passage-time formula (Siegert 1951; Amit & Brunel 1997; Brunel & Hakim 1999); coloured
(Ornstein-Uhlenbeck) noise shifts threshold and reset (Brunel & Sergi 1998; Fourcaud & Brunel
2002). ``population_rates_hz`` measures the same rate by simulating the library's kernel under
the library's OU current (``noise.ou_current_na``), and ``fit_logistic`` summarises a transfer
curve by Jansen-Rit's sigmoid.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import integrate, optimize, special

from . import checks
from .kernel import SimulationResult, simulate
from .noise import ou_current_na
from .params import Circuit, Neuron
from .presets import Protocol
from .threads import in_threads

#: Riemann zeta(1/2) (DLMF 25.6; scipy's ``zeta`` covers only x > 1).
ZETA_HALF = -1.4603545088095868
#: alpha = sqrt(2) |zeta(1/2)| of the coloured-noise correction (Fourcaud & Brunel 2002).
ALPHA_COLOURED = float(np.sqrt(2.0) * abs(ZETA_HALF))
#: Beyond this upper limit of the Siegert integral exp(u^2) overflows; the rate is < 1e-280 Hz.
_MAX_UPPER = 25.0


def brunel_sigma_mv(sigma_na: float, tau_s_ms: float, r_mohm: float, tau_m_ms: float) -> float:
    """Noise amplitude sigma of the diffusion limit, mV: sigma = R sigma_I sqrt(2 tau_s / tau_m).

    Brunel's convention is tau_m dV = (mu - V) dt + sigma sqrt(tau_m) dW. An OU current of
    stationary s.d. sigma_I and correlation time tau_s has spectral density 2 sigma_I^2 tau_s
    at zero frequency, which fixes sigma^2 tau_m = R^2 2 sigma_I^2 tau_s.
    """
    sigma_i = checks.non_negative("sigma_na", sigma_na)
    tau_s = checks.positive("tau_s_ms", tau_s_ms)
    r = checks.positive("r_mohm", r_mohm)
    tau_m = checks.positive("tau_m_ms", tau_m_ms)
    return r * sigma_i * np.sqrt(2.0 * tau_s / tau_m)


def membrane_sd_mv(sigma_na: float, tau_s_ms: float, r_mohm: float, tau_m_ms: float) -> float:
    """Stationary s.d. of the free (threshold-less) membrane under OU current, mV.

    sigma_V = R sigma_I sqrt(tau_s / (tau_s + tau_m)): the variance of an OU process of
    correlation time tau_s low-pass filtered with time constant tau_m (e.g. Gerstner et al.
    2014, ch. 8; Fourcaud & Brunel 2002).
    """
    sigma_i = checks.non_negative("sigma_na", sigma_na)
    tau_s = checks.positive("tau_s_ms", tau_s_ms)
    r = checks.positive("r_mohm", r_mohm)
    tau_m = checks.positive("tau_m_ms", tau_m_ms)
    return r * sigma_i * np.sqrt(tau_s / (tau_s + tau_m))


def _siegert_integrand(u: float) -> float:
    """exp(u^2) (1 + erf(u)) = erfcx(-u), computed without overflow for u <= _MAX_UPPER."""
    return float(special.erfcx(-u))


def _siegert_integral(lower: float, upper: float) -> float:
    """int_lower^upper erfcx(-u) du, split at 0 (bounded part and growing part)."""
    total = 0.0
    if lower < 0.0:
        total += integrate.quad(_siegert_integrand, lower, min(upper, 0.0), epsabs=0.0,
                                epsrel=1e-11, limit=200)[0]
    if upper > 0.0:
        total += integrate.quad(_siegert_integrand, max(lower, 0.0), upper, epsabs=0.0,
                                epsrel=1e-11, limit=200)[0]
    return total


def siegert_rate_hz(mu_mv, sigma_mv: float, tau_m_ms: float, theta_mv: float,
                    v_reset_mv: float, tau_ref_ms: float = 0.0,
                    tau_s_ms: float = 0.0) -> np.ndarray:
    """Stationary rate of the LIF neuron under Gaussian noise (Siegert formula), Hz.

    nu = [tau_ref + tau_m sqrt(pi) int_{(V_r - mu)/sigma}^{(theta - mu)/sigma} erfcx(-u) du]^-1
    (Siegert 1951; Amit & Brunel 1997, eq. 21; Brunel & Hakim 1999), with erfcx(-u) =
    exp(u^2)(1 + erf(u)). For ``tau_s_ms`` > 0 threshold and reset are both shifted up by
    sigma (alpha / 2) sqrt(tau_s / tau_m), alpha = sqrt(2) |zeta(1/2)| (Brunel & Sergi 1998;
    Fourcaud & Brunel 2002), the first-order correction for coloured noise (tau_s << tau_m).

    Parameters
    ----------
    mu_mv : float or array_like
        Mean free membrane potential mu = E_L + R I, mV.
    sigma_mv : float
        Noise amplitude in Brunel's convention (``brunel_sigma_mv``), mV (> 0).
    tau_m_ms, theta_mv, v_reset_mv : float
        Membrane time constant (ms), threshold and reset (mV, reset < threshold).
    tau_ref_ms : float
        Absolute refractory period, ms (>= 0).
    tau_s_ms : float
        Correlation time of the noise for the coloured correction, ms (0: white noise).

    Returns
    -------
    numpy.ndarray
        Rates, Hz, shaped like ``mu_mv``; see :func:`shifted_siegert_rate_hz`.
    """
    mu = checks.finite_array("mu_mv", mu_mv)
    sigma = checks.positive("sigma_mv", sigma_mv)
    tau_m = checks.positive("tau_m_ms", tau_m_ms)
    tau_s = checks.non_negative("tau_s_ms", tau_s_ms)
    shift = sigma * ALPHA_COLOURED / 2.0 * np.sqrt(tau_s / tau_m)
    rates = np.empty(mu.shape)
    for index, m in np.ndenumerate(mu):
        rates[index] = shifted_siegert_rate_hz(m, sigma, tau_m, theta_mv, v_reset_mv, shift,
                                               tau_ref_ms)
    return rates


def shifted_siegert_rate_hz(mu_mv: float, sigma_mv: float, tau_m_ms: float, theta_mv: float,
                            v_reset_mv: float, shift_mv: float = 0.0,
                            tau_ref_ms: float = 0.0) -> float:
    """The Siegert rate with threshold and reset raised by a given shift, Hz (one input).

    nu = 1000 / (tau_ref + tau_m sqrt(pi) int_{y_r}^{y_theta} erfcx(-u) du), with
    y_theta = (theta + shift - mu) / sigma and y_r = (V_r + shift - mu) / sigma (Siegert 1951;
    Amit & Brunel 1997; Brunel & Hakim 1999; the shift: Brunel & Sergi 1998, Fourcaud & Brunel
    2002). :func:`siegert_rate_hz` computes the shift of one noise source; a mean field with
    several sources passes its own (``meanfield.membrane_input``). sigma = 0 gives the
    noise-free rate 1000 / (tau_ref + tau_m ln((mu - V_r) / (mu - theta))) above threshold and
    0 below (chapter 1's closed form).

    Parameters
    ----------
    mu_mv : float
        Mean free membrane potential, mV.
    sigma_mv : float
        Noise in Brunel's convention, mV (>= 0).
    tau_m_ms : float
        Membrane (or effective) time constant, ms (> 0).
    theta_mv, v_reset_mv : float
        Threshold and reset, mV (reset < threshold).
    shift_mv : float
        Coloured-noise shift added to threshold and reset, mV (>= 0).
    tau_ref_ms : float
        Absolute refractory period, ms (>= 0).

    Returns
    -------
    float
        The rate, Hz. A rate below about 1e-280 Hz (the upper limit of the integral beyond 25,
        where exp(u^2) would overflow) is returned as 0.
    """
    mu = checks.finite("mu_mv", mu_mv)
    sigma = checks.non_negative("sigma_mv", sigma_mv)
    tau_m = checks.positive("tau_m_ms", tau_m_ms)
    theta = checks.finite("theta_mv", theta_mv)
    v_reset = checks.finite("v_reset_mv", v_reset_mv)
    if v_reset >= theta:
        raise ValueError(f"v_reset_mv = {checks.show(v_reset)}: must be below theta_mv = "
                         f"{checks.show(theta)}")
    shift = checks.non_negative("shift_mv", shift_mv)
    tau_ref = checks.non_negative("tau_ref_ms", tau_ref_ms)
    if sigma == 0.0:
        if mu <= theta:
            return 0.0
        return float(1000.0 / (tau_ref + tau_m * np.log((mu - v_reset) / (mu - theta))))
    upper = (theta + shift - mu) / sigma
    lower = (v_reset + shift - mu) / sigma
    if upper > _MAX_UPPER:
        return 0.0
    period_ms = tau_ref + tau_m * np.sqrt(np.pi) * _siegert_integral(lower, upper)
    return float(1000.0 / period_ms)


class PopulationRates(NamedTuple):
    """Rates of a simulated population, one row per mean input."""

    mean_hz: np.ndarray  # (inputs,) population mean rate
    sem_hz: np.ndarray  # (inputs,) standard error of the mean across neurons
    rates_hz: np.ndarray  # (inputs, neurons) each neuron's rate after the transient


def simulate_noisy_each(circuit, mean_current_na, protocol: Protocol, tau_s_ms: float,
                        sigma_na: float, seeds) -> SimulationResult:
    """``noise.simulate_with_noise(circuit, mean_current_na, protocol, tau_s_ms, sigma_na,
    seeds)`` bit for bit, one kernel call per member (seed), in threads.

    Member b's current is its mean plus ``noise.ou_current_na`` drawn from
    ``numpy.random.default_rng(seeds[b])``, as in ``noise.simulate_with_noise``; a member's
    result depends only on its own seed, so the batch's result is the same. One member per
    kernel call is about twice as fast for populations of ~100 neurons over ~10^4 steps (the
    batch's (members, neurons, steps) current is read member after member at every step), and
    the calls share the cores (the kernel and the noise's recursion release the GIL).

    Parameters
    ----------
    circuit : Circuit
        The circuit of every member.
    mean_current_na : array_like
        Mean current of each member, (members, neurons), nA.
    protocol : Protocol
    tau_s_ms, sigma_na : float
        Correlation time (ms) and s.d. (nA) of the OU noise.
    seeds : sequence of int
        One seed per member (>= 0).

    Raises
    ------
    ValueError
        If the mean current is not one row per seed, or for a bad seed or noise (naming it).
    """
    mean = checks.finite_array("mean_current_na", mean_current_na)
    seeds = [int(s) for s in checks.each("seeds", seeds, checks.non_negative)]
    if mean.ndim != 2 or mean.shape[0] != len(seeds) or not seeds:
        raise ValueError(f"mean_current_na has shape {mean.shape}: must be (members, neurons) "
                         f"with one member per seed ({len(seeds)} seeds, at least 1)")

    def member(b):
        eta = ou_current_na(np.random.default_rng(seeds[b]), (mean.shape[1],), protocol.n_steps,
                            protocol.dt_ms, tau_s_ms, sigma_na)
        return simulate([circuit], (mean[b][:, None] + eta)[None], protocol)

    return SimulationResult.concatenate(in_threads(member, range(len(seeds))))


def population_rates_hz(neuron: Neuron, mean_currents_na, sigma_na: float, tau_s_ms: float,
                        n_neurons: int, protocol: Protocol, seed: int) -> PopulationRates:
    """Rates of uncoupled copies of ``neuron``, each with its own OU noise, for each mean current.

    Each mean current drives ``n_neurons`` independent neurons (one ``Circuit`` of uncoupled
    neurons per current) simulated as by ``noise.simulate_with_noise`` (one kernel call per
    current, :func:`simulate_noisy_each`); the noise of input k is
    seeded by the k-th state of ``numpy.random.SeedSequence(seed)``. A neuron's rate is its
    number of spikes after ``protocol.transient_ms`` divided by the remaining time; neurons are
    independent, so the standard error is the s.d. across neurons / sqrt(n_neurons).

    Raises
    ------
    ValueError
        For a bad population size, seed or noise (naming it).
    """
    currents = checks.finite_array("mean_currents_na", mean_currents_na).reshape(-1)
    n = checks.integer("n_neurons", n_neurons, 2)
    seed = checks.integer("seed", seed, 0)
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol = {protocol!r}: must be a Protocol")
    seeds = np.random.SeedSequence(seed).generate_state(currents.size).tolist()
    circuit = Circuit(tuple([neuron] * n))
    mean = np.repeat(currents[:, None], n, axis=1)
    result = simulate_noisy_each(circuit, mean, protocol, tau_s_ms, sigma_na, seeds)
    window_s = (protocol.duration_ms - protocol.transient_ms) / 1000.0
    rates = np.empty((currents.size, n))
    for k in range(currents.size):
        for i in range(n):
            spikes = result.spike_times(k, i)
            rates[k, i] = np.count_nonzero(spikes > protocol.transient_ms) / window_s
    return PopulationRates(rates.mean(axis=1), rates.std(axis=1, ddof=1) / np.sqrt(n), rates)


def logistic_hz(v_mv, e_max_per_s: float, r_per_mv: float, v0_mv: float):
    """Jansen-Rit's sigmoid S(v) = 2 e0 / (1 + exp(r (v0 - v))), with e_max = 2 e0, 1/s."""
    return e_max_per_s / (1.0 + np.exp(r_per_mv * (v0_mv - np.asarray(v_mv, dtype=float))))


class LogisticFit(NamedTuple):
    """Parameters of a fitted sigmoid S(v) = 2 e0 / (1 + exp(r (v0 - v)))."""

    e0_per_s: float
    r_per_mv: float
    v0_mv: float
    rms_residual_hz: float


def fit_logistic(v_mv, rate_hz, sd_hz=None) -> LogisticFit:
    """Least-squares fit of the logistic sigmoid to a transfer curve (scipy.optimize.curve_fit).

    Parameters
    ----------
    v_mv, rate_hz : array_like
        Input (mean potential, mV) and rate (Hz), at least 4 points.
    sd_hz : array_like, optional
        Standard errors of the rates (weights 1/sd); None for an unweighted fit.

    Raises
    ------
    ValueError
        For mismatched or too few points, non-positive errors, or a fit that does not converge.
    """
    v = checks.finite_array("v_mv", v_mv).reshape(-1)
    rate = checks.finite_array("rate_hz", rate_hz).reshape(-1)
    if v.size != rate.size or v.size < 4:
        raise ValueError(f"v_mv, rate_hz: need the same number (>= 4) of points, got "
                         f"{v.size} and {rate.size}")
    sd = None
    if sd_hz is not None:
        sd = checks.finite_array("sd_hz", sd_hz).reshape(-1)
        if sd.size != v.size or np.any(sd <= 0):
            raise ValueError("sd_hz: must be positive, one per point")
    top = max(float(rate.max()), 1e-9)
    guess = (2.0 * top, 4.0 / max(float(np.ptp(v)), 1e-9), float(v[np.argmin(
        np.abs(rate - top / 2.0))]))
    try:
        # MINPACK's Levenberg-Marquardt (no BLAS), converged to machine precision so that
        # the 10 digits kept are the same on every machine
        popt, _ = optimize.curve_fit(logistic_hz, v, rate, p0=guess, sigma=sd, maxfev=20000,
                                     ftol=1e-15, xtol=1e-15, gtol=0.0)
    except RuntimeError as error:
        raise ValueError(f"fit_logistic: the fit did not converge ({error})") from error
    residual = rate - logistic_hz(v, *popt)
    return LogisticFit(popt[0] / 2.0, popt[1], popt[2], float(np.sqrt(np.mean(residual**2))))


def logistic_gaussian_constant() -> float:
    """The k for which the logistic 1/(1 + exp(-k x)) best approximates the normal CDF Phi(x).

    Minimises max_x |Phi(x) - 1/(1 + exp(-k x))| (minimax on a grid of x in [-8, 8] step
    1e-3); the known value is 1.702 (Camilli 1994; Bowling et al. 2009). A population whose
    thresholds or potentials are Gaussian with s.d. sigma fires like Phi((v - v0)/sigma), i.e.
    a logistic of slope r = k / sigma (the variance argument of Marreiros et al. 2008).
    """
    x = np.arange(-8000, 8001) / 1000.0
    phi = special.ndtr(x)

    def worst(k):
        return float(np.max(np.abs(phi - special.expit(k * x))))

    return float(optimize.minimize_scalar(worst, bounds=(1.5, 1.9), method="bounded",
                                          options={"xatol": 1e-10}).x)
