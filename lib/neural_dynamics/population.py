"""A population rhythm of an E-I network, measured per population, and the rules that name it.

Chapter 5 compares the rhythm of chapter 3's network with a PING cycle (Borgers & Kopell 2003,
2005) and with the sparsely synchronised regime (Brunel & Hakim 1999; Brunel 2000; Brunel &
Wang 2003). One measure cannot tell them apart: excitatory cells that skip cycles are what the
sparse regime shows, but also a PING rhythm under noisy drive (Borgers & Kopell 2005). This
module measures what each regime requires of the same run - the rhythm and its significance,
the excitatory cells' spikes per cycle and the irregularity (ISI CV) of their firing - and how
the rhythm's frequency follows the inhibitory decay time; :func:`name_regime` names a regime
only when all the measures agree.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import checks, synchrony
from .regimes import mean_cv_isi

#: Mean ISI CV of the excitatory cells from which their firing counts as irregular in the sense
#: of the sparse regime, whose cells fire like Poisson processes (CV near 1; Brunel & Hakim
#: 1999, Brunel 2000). A choice: cells with CV 0.5-0.8 are neither clocks nor Poisson-like.
IRREGULAR_CV = 0.8
#: A network's rhythm counts as following the inhibitory decay time like a PING cycle when its
#: log-sensitivity d ln f / d ln tau_I is at least this fraction of the PING cycle's own.
SENSITIVITY_FRACTION = 0.5


class RhythmMeasures(NamedTuple):
    """One run's population rhythm and its excitatory cells (see :func:`rhythm_measures`)."""
    rhythm_hz: float  # frequency of the population rate's rhythm (NaN: none in the band)
    p_value: float  # against circularly shifted surrogates
    strength: float  # autocorrelation of the population rate at the rhythm's lag
    rate_e_hz: float  # mean rate of the excitatory cells
    rate_i_hz: float  # mean rate of the inhibitory cells (NaN without any)
    cv_e: float  # mean ISI CV of the excitatory cells (regimes.mean_cv_isi)
    e_spikes_per_cycle: float  # rate_e_hz / rhythm_hz


def rhythm_measures(trains, n_exc: int, span_ms: float, n_surrogates: int,
                    rng: np.random.Generator, bin_ms: float = 1.0) -> RhythmMeasures:
    """The population rhythm of one run and what its excitatory cells do.

    Parameters
    ----------
    trains : sequence of arrays
        Spike times (ms) of every neuron in [0, span_ms), excitatory neurons first.
    n_exc : int
        Number of excitatory neurons (the first ``n_exc`` trains).
    span_ms : float
        Length of the analysed window, ms.
    n_surrogates : int
        Circular-shift surrogates of ``synchrony.rhythm_test``.
    rng : numpy.random.Generator
        Draws the surrogates.
    bin_ms : float
        Bin of the population rate, ms.

    Returns
    -------
    RhythmMeasures
        The rhythm (``synchrony.rhythm_test`` of all trains), the populations' mean rates, the
        excitatory cells' mean ISI CV (cells with at least 3 spikes) and their spikes per cycle
        of the rhythm, rate_e / f (1: one spike per cell per cycle; below 1 cells skip cycles).
    """
    n_exc = checks.integer("n_exc", n_exc, 1)
    if n_exc > len(trains):
        raise ValueError(f"n_exc = {n_exc}: must not exceed the number of trains, {len(trains)}")
    span = checks.positive("span_ms", span_ms)
    test = synchrony.rhythm_test(trains, span, bin_ms, n_surrogates, rng)
    counts = np.array([len(t) for t in trains], dtype=float) / (span / 1000.0)
    rate_e = float(counts[:n_exc].mean())
    f = test.rhythm.frequency_hz
    return RhythmMeasures(f, test.p_value, test.rhythm.strength, rate_e,
                          float(counts[n_exc:].mean()) if len(trains) > n_exc else math.nan,
                          mean_cv_isi(trains[:n_exc]),
                          rate_e / f if np.isfinite(f) and f > 0 else math.nan)


def is_fast(rhythm_hz, rate_e_hz):
    """True where the rhythm is faster than the excitatory cells' own mean rate.

    A population "rhythm" slower than the rate of its cells is a slow co-modulation of the
    rate, not a cycle that cells fire on or skip; neither PING nor the sparse regime describes
    it. NaN gives False.
    """
    f, r = np.asarray(rhythm_hz, dtype=float), np.asarray(rate_e_hz, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(f) & np.isfinite(r) & (f > r)


def clearly_rhythmic_index(strength, rhythmic, after: int | None = None):
    """The first point after ``after`` whose significant rhythm is at least half as strong as
    the strongest significant one.

    Parameters
    ----------
    strength : array_like
        The rhythm's strength at each point of a sweep (e.g. the autocorrelation at its lag).
    rhythmic : array_like of bool
        Which points count (e.g. significant, and faster than the cells' rate).
    after : int or None
        Only points with a larger index are candidates (e.g. the onset); None: all.

    Returns
    -------
    int or None
        The index, or None if no candidate qualifies. The threshold, half the maximum over the
        rhythmic points, is a rule of this module, not a property of the network.
    """
    s, mask = np.asarray(strength, dtype=float), np.asarray(rhythmic, dtype=bool)
    if s.shape != mask.shape:
        raise ValueError(f"strength and rhythmic: shapes {s.shape} and {mask.shape} differ")
    ok = mask & np.isfinite(s)
    if not ok.any():
        return None
    candidates = ok & (s >= 0.5 * s[ok].max())
    if after is not None:
        candidates &= np.arange(s.size) > after
    hits = np.flatnonzero(candidates)
    return int(hits[0]) if hits.size else None


def log_sensitivity(values, scales) -> float:
    """Least-squares slope of ln(value) on ln(scale): d ln f / d ln tau for f = c tau^s.

    Non-finite or non-positive values are left out; NaN with fewer than two left (or only one
    distinct scale). A power law f = c tau^s returns s exactly.
    """
    v, x = np.asarray(values, dtype=float), np.asarray(scales, dtype=float)
    if v.shape != x.shape:
        raise ValueError(f"values and scales: shapes {v.shape} and {x.shape} differ")
    if np.any(~np.isfinite(x) | (x <= 0)):
        raise ValueError(f"scales = {scales!r}: each must be a finite number > 0")
    keep = np.isfinite(v) & (v > 0)
    if keep.sum() < 2 or np.unique(x[keep]).size < 2:
        return math.nan
    lx, lv = np.log(x[keep]), np.log(v[keep])
    lx = lx - lx.mean()
    return float(np.sum(lx * (lv - lv.mean())) / np.sum(lx * lx))


class RegimeVerdict(NamedTuple):
    """What each measure says, and the regime named only when they agree (see
    :func:`name_regime`). None: the measure is not available."""
    skips_cycles: bool | None  # every rhythm < 1 excitatory spike per cell per cycle
    fires_every_cycle: bool | None  # every rhythm >= 1 spike per cycle
    irregular: bool | None  # every rhythm's excitatory ISI CV >= IRREGULAR_CV
    follows_tau_inh: bool | None  # |sensitivity| >= SENSITIVITY_FRACTION |PING's|
    name: str  # "sparse", "PING" or "" (measures disagree or are missing)


def name_regime(e_spikes_per_cycle, cv_e, network_sensitivity: float,
                ping_sensitivity: float, ping_frequency_agrees: bool) -> RegimeVerdict:
    """Name a network's rhythm only when the measures agree.

    Parameters
    ----------
    e_spikes_per_cycle, cv_e : array_like
        At each rhythmic coupling (fast rhythms only, see :func:`is_fast`): the excitatory
        cells' spikes per cycle and mean ISI CV.
    network_sensitivity, ping_sensitivity : float
        d ln f / d ln tau_I of the network's rhythm and of the PING cycle (NaN: not measured).
    ping_frequency_agrees : bool
        Whether the PING cycle's frequency matches the network's at every rhythmic coupling.

    Returns
    -------
    RegimeVerdict
        "sparse" (Brunel & Hakim 1999; Brunel 2000) when the cells skip cycles at every
        coupling, fire irregularly (CV >= :data:`IRREGULAR_CV`) and, if measured, the rhythm
        follows tau_I much less than a PING cycle would; "PING" (Borgers & Kopell 2003) when
        the cells fire on every cycle, the PING frequency agrees and, if measured, the rhythm
        follows tau_I like the PING cycle; "" otherwise.
    """
    cycles = np.asarray(e_spikes_per_cycle, dtype=float)
    cv = np.asarray(cv_e, dtype=float)
    cycles, cv_known = cycles[np.isfinite(cycles)], cv[np.isfinite(cv)]
    skips = bool(np.all(cycles < 1.0)) if cycles.size else None
    every = bool(np.all(cycles >= 1.0)) if cycles.size else None
    irregular = bool(np.all(cv_known >= IRREGULAR_CV)) if cv_known.size else None
    follows = (None if not (np.isfinite(network_sensitivity) and np.isfinite(ping_sensitivity)
                            and ping_sensitivity != 0) else
               bool(abs(network_sensitivity) >= SENSITIVITY_FRACTION * abs(ping_sensitivity)))
    name = ""
    if skips and irregular and follows is not True:
        name = "sparse"
    elif every and ping_frequency_agrees and follows is not False:
        name = "PING"
    return RegimeVerdict(skips, every, irregular, follows, name)
