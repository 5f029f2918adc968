"""A population rhythm of an E-I network, measured per population, and the rules that name it.

Chapter 5 compares the rhythm of chapter 3's network with a PING cycle (Borgers & Kopell 2003,
2005) and with the sparsely synchronised regime (Brunel & Hakim 1999; Brunel 2000; Brunel &
Wang 2003). One measure cannot tell them apart: excitatory cells that skip cycles are what the
sparse regime shows, but also a PING rhythm under noisy drive (Borgers & Kopell 2005). This
module measures what each regime requires of the same run - the rhythm and its significance,
the share of cycles on which an excitatory cell fires, its spikes per cycle, the irregularity
(ISI CV) of its firing, set against independently driven cells at the same rate, and whether
its mean free membrane potential lies above or below the threshold (mean- or
fluctuation-driven, :func:`mean_free_potential_mv`) - and how the rhythm's frequency follows
the inhibitory decay time; :func:`name_regime` names a regime only when all the measures agree.
:func:`phase_locking` measures how concentrated the spikes are at one phase of the rhythm, and
:func:`poisson_under_rate` is its control: cells redrawn as Poisson trains under the
population's own rate. :func:`alignment_test` asks whether cells fire together at all.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import signal

from . import checks, meanfield, synchrony
from .kernel import SimulationResult, simulate
from .params import Circuit, Neuron
from .presets import Protocol
from .regimes import mean_cv_isi
from .threads import in_threads
from .transfer import simulate_noisy_each

#: The excitatory cells count as irregular "as independent input makes them" when their mean ISI
#: CV is at least this fraction of the CV of uncoupled cells of the same neuron, under the same
#: noise, at the same rate (:func:`rate_matched_cv`). A choice: an absolute CV (a Poisson
#: train's 1) cannot be reached by cells with a refractory threshold under this noise.
IRREGULAR_CV_RATIO = 0.8
#: A rhythm counts as clearly slower than the excitatory cells, a slow co-modulation of the rate
#: rather than a cycle cells fire on or skip, when its frequency is below this fraction of their
#: mean rate (a cell would then fire at least twice per cycle on average). A choice.
SLOW_RHYTHM_FRACTION = 0.5
#: The excitatory cells count as firing on every cycle, as a PING cycle assumes, when a cell
#: fires on at least this fraction of the cycles on average (:func:`cycle_participation`).
EVERY_CYCLE_PARTICIPATION = 0.9
#: A network's rhythm counts as following the inhibitory decay time like a PING cycle when its
#: log-sensitivity d ln f / d ln tau_I is at least this fraction of the PING cycle's own.
SENSITIVITY_FRACTION = 0.5

#: Relative band, times the rhythm's frequency, of the filter that gives the rhythm's phase.
PHASE_BAND = (0.7, 1.4)


def simulate_each(circuits, current_na, protocol: Protocol,
                  workers: int | None = None) -> SimulationResult:
    """``kernel.simulate(circuits, current_na, protocol)``, one kernel call per circuit, in threads.

    The members of a batch are independent, so the result is the batch's bit for bit (spike
    times only, no traces). The separate calls share the cores (``threads.in_threads``; the
    kernel releases the GIL), where one batched call runs on one: for a sweep of networks of
    hundreds of neurons that share one time-varying current, e.g. a coupling sweep under the
    same noise. (The kernel reads a shared current without copying it per member.)

    Parameters
    ----------
    circuits : sequence of Circuit, Network or SparseNetwork
        The members, with the same topology (as for ``kernel.simulate``).
    current_na : float or array_like
        One current for every member: a number, (1, neurons) or (1, neurons, steps), nA.
    protocol : Protocol
    workers : int, optional
        Threads (default: the number of cores).

    Raises
    ------
    ValueError
        Without circuits or with a current that is not shared by all members.
    """
    members = list(circuits)
    if not members:
        raise ValueError("circuits: need at least one circuit")
    if np.ndim(current_na) >= 2 and np.shape(current_na)[0] != 1:
        raise ValueError(f"current_na has shape {np.shape(current_na)}: must be one current "
                         "for every member (a number, or axis 0 of length 1)")
    return SimulationResult.concatenate(
        in_threads(lambda circuit: simulate([circuit], current_na, protocol), members, workers))


class PhaseLocking(NamedTuple):
    """Spikes against the phase of the population rhythm (see :func:`phase_locking`): how
    concentrated they are at one phase, not whether single cells are locked to the cycle."""
    vector_strength: float  # |mean of exp(i phase)| over all spikes of the tested trains
    mean_phase_rad: float  # the angle of that mean
    surrogate_mean: float  # mean vector strength of the circularly shifted surrogates
    p_value: float  # (1 + #surrogates >= data) / (1 + n); NaN without spikes or rhythm


class Alignment(NamedTuple):
    """Variance of a pooled rate against circular shifts (see :func:`alignment_test`)."""
    variance_ratio: float  # variance of the pooled rate / mean variance of the surrogates
    p_value: float  # (1 + #surrogates >= data) / (1 + n); NaN without spikes


def _binned(trains, n_bins: int, bin_ms: float):
    """Each train's spikes as (train index, bin index) pairs on [0, n_bins bin_ms)."""
    bins = [np.floor(np.asarray(t, float) / bin_ms).astype(np.int64) for t in trains]
    bins = [b[(b >= 0) & (b < n_bins)] for b in bins]
    sizes = np.array([b.size for b in bins], dtype=np.int64)
    flat = np.concatenate(bins) if bins else np.empty(0, dtype=np.int64)
    return np.repeat(np.arange(len(bins)), sizes), flat


def _shifts(rng, n_surrogates, n_trains, n_bins):
    """(n_surrogates, n_trains) circular shifts in whole bins, drawn surrogate by surrogate."""
    return np.array([rng.integers(0, n_bins, n_trains) for _ in range(n_surrogates)],
                    dtype=np.int64).reshape(n_surrogates, n_trains)


def _by_blocks(statistic, shifts, n_values, max_values=2**22):
    """``statistic`` of blocks of rows of ``shifts``, joined: at most ``max_values`` values
    (rows x ``n_values``) at once."""
    rows = max(1, max_values // max(n_values, 1))
    return np.concatenate([statistic(shifts[i:i + rows]) for i in range(0, len(shifts), rows)])


def _check_surrogates(n_surrogates, rng):
    if not isinstance(n_surrogates, int) or isinstance(n_surrogates, bool) or n_surrogates < 1:
        raise ValueError(f"n_surrogates = {n_surrogates!r}: must be an int >= 1")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator")


def phase_locking(trains, rhythm_hz: float, span_ms: float, n_surrogates: int,
                  rng: np.random.Generator, reference_trains=(), bin_ms: float = 1.0
                  ) -> PhaseLocking:
    """How concentrated the spikes of ``trains`` are at one phase of the population rhythm.

    The rhythm's phase is that of the analytic signal of the population rate (bins of
    ``bin_ms`` over [0, T), T = ``span_ms``, taken as one period of a circle) band-passed to
    [:data:`PHASE_BAND`] x ``rhythm_hz`` in the Fourier domain (the Hilbert transform's phase).
    For each tested train the rate is that of all the *other* trains and ``reference_trains``,
    so a cell's own spikes do not make the phase they are read against. The vector strength
    (mean resultant length; Goldberg & Brown 1969; Mardia & Jupp 2000) of the N spikes at
    phases phi_k is

        VS = |(1/N) sum_k exp(i phi_k)|,

    1 when every spike falls at the same phase of the cycle, whether or not the cell fires on
    every cycle, and 0 for spikes spread evenly over the cycle. It is the phase concentration
    of the spikes, a property of the population rate as the spikes see it as much as of single
    cells: Poisson cells whose common rate is modulated as nu(phi) have the VS of that
    modulation's first circular moment, m / 2 for nu (1 + m cos phi) and I1(k) / I0(k) for a von
    Mises modulation exp(k cos phi) (Mardia & Jupp 2000), which comes as close to 1 as the rate
    is concentrated. So a large VS does not tell cells locked to the cycle from Poisson-like
    cells under a deeply modulated rate; :func:`poisson_under_rate` gives the control.

    Each of ``n_surrogates`` surrogates rotates every tested train by its own random whole
    number of bins around the circle, against the same (unrotated) reference phase: a train
    keeps its intervals and its own regularity, and loses only its alignment with the others.

    Returns
    -------
    PhaseLocking
        NaN throughout without a finite rhythm > 0, without spikes or with no frequency of the
        band resolved by the window.
    """
    span = checks.positive("span_ms", span_ms)
    width = checks.positive("bin_ms", bin_ms)
    _check_surrogates(n_surrogates, rng)
    nan = PhaseLocking(math.nan, math.nan, math.nan, math.nan)
    n_bins = int(span // width)
    if not (np.isfinite(rhythm_hz) and rhythm_hz > 0) or not len(trains) or n_bins < 4:
        return nan
    cell, spike_bin = _binned(trains, n_bins, width)
    if spike_bin.size == 0:
        return nan
    freqs = np.fft.fftfreq(n_bins, width / 1000.0)
    band = (freqs >= PHASE_BAND[0] * rhythm_hz) & (freqs <= PHASE_BAND[1] * rhythm_hz)
    if not band.any():
        return nan
    gain = np.where(band, 2.0, 0.0)  # positive frequencies of the band only: analytic signal
    counts = np.zeros((len(trains), n_bins))
    np.add.at(counts, (cell, spike_bin), 1.0)
    own = np.fft.ifft(np.fft.fft(counts, axis=1) * gain, axis=1)
    _, ref_bin = _binned(reference_trains, n_bins, width)
    extra = np.fft.ifft(np.fft.fft(np.bincount(ref_bin, minlength=n_bins).astype(float)) * gain)
    others = own.sum(axis=0) + extra - own  # each train's reference: everyone else
    size = np.abs(others)
    unit = np.divide(others, size, out=np.zeros_like(others), where=size > 0)

    def resultant(shifts):  # (surrogates, trains) -> (surrogates,) mean resultant vectors
        # row by row: each row's mean summed in the same order as a single train set's
        return np.array([row.mean() for row in unit[cell, (spike_bin + shifts[:, cell]) % n_bins]])

    mean = resultant(np.zeros((1, len(trains)), dtype=np.int64))[0]
    surrogate = np.array([abs(v) for v in _by_blocks(
        resultant, _shifts(rng, n_surrogates, len(trains), n_bins), spike_bin.size)])
    strength = float(abs(mean))
    return PhaseLocking(strength, float(np.angle(mean)), float(surrogate.mean()),
                        float((1 + np.sum(surrogate >= strength)) / (1 + n_surrogates)))


def poisson_under_rate(trains, span_ms: float, rng: np.random.Generator, bin_ms: float = 1.0,
                       rate_trains=None) -> list[np.ndarray]:
    """Each train redrawn as a Poisson train under the population's rate, with its spike count.

    The intensity is proportional to the pooled rate of ``rate_trains`` (default: ``trains``)
    in bins of ``bin_ms`` over [0, T), T = ``span_ms``. A train with n spikes in [0, T) is
    replaced by n times drawn independently from that density (a bin with probability its share
    of the pooled spikes, then a uniform time within the bin): an inhomogeneous Poisson process
    conditioned on its count (Daley & Vere-Jones 2003). The control keeps each cell's number of
    spikes and the population's rate, and nothing else: its cells fire independently of each
    other and of their own past (no refractoriness, no memory from cycle to cycle). A measure
    that reads the same on the control as on the network, such as :func:`phase_locking`, is a
    property of the population rate, not of how single cells keep to it. The intensity is the
    measured pooled rate, counting noise included, and every redrawn cell follows that noise
    too: where the rate is barely modulated, the control's vector strength sits above that of
    cells that share no noise (about 0.05 for 4000 spikes in 1000 bins of 1 ms).

    Parameters
    ----------
    trains : sequence of arrays
        Spike times (ms); spikes outside [0, T) are dropped.
    span_ms : float
        T, ms (> 0, at least one bin).
    rng : numpy.random.Generator
        Draws the spike times.
    bin_ms : float
        Bin of the pooled rate, ms (> 0).
    rate_trains : sequence of arrays, optional
        The trains whose pooled rate is the intensity (default ``trains``).

    Returns
    -------
    list of numpy.ndarray
        One sorted train per input train, with its count of spikes in [0, T); empty trains
        throughout if the pooled rate has no spike.

    Raises
    ------
    ValueError
        For a bad span, bin or generator (naming it).
    """
    span = checks.positive("span_ms", span_ms)
    width = checks.positive("bin_ms", bin_ms)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}: must be a numpy.random.Generator")
    n_bins = int(span // width)
    if n_bins < 1:
        raise ValueError(f"span_ms = {span_ms!r}: must hold at least one bin of {width!r} ms")
    cell, _ = _binned(trains, n_bins, width)
    sizes = np.bincount(cell, minlength=len(trains)).astype(np.int64)
    _, pooled = _binned(trains if rate_trains is None else rate_trains, n_bins, width)
    weight = np.bincount(pooled, minlength=n_bins).astype(float)
    if weight.sum() == 0:
        return [np.empty(0) for _ in range(len(trains))]
    cumulative = np.cumsum(weight) / weight.sum()
    total = int(sizes.sum())
    bins = np.minimum(np.searchsorted(cumulative, rng.random(total), side="right"), n_bins - 1)
    times = (bins + rng.random(total)) * width
    return [np.sort(t) for t in np.split(times, np.cumsum(sizes)[:-1])]


def mean_free_potential_mv(network: meanfield.MeanFieldNetwork, rate_exc_hz, rate_inh_hz):
    """Mean free membrane potential of a neuron whose inputs fire at the given rates, mV.

    The threshold and reset removed, the membrane's time-averaged potential under mean
    conductances is mu = (E_L / R + g_E E_E + g_I E_I + I) / (1/R + g_E + g_I), with
    g_X = k_X w_X <s_X> and the gate means of Poisson trains at the presynaptic rates
    (:func:`meanfield.gate_mean`; spec, "Conductance-based membrane"); the external noise has
    mean zero. It is :func:`meanfield.membrane_input`'s mu with the excitatory and inhibitory
    rates apart. A neuron with mu above its threshold is mean-driven (it fires regularly
    without noise), one below it fluctuation-driven (it fires only when fluctuations carry it
    across), the distinction behind the sparse regime (Brunel 2000; Brunel & Hakim 1999).

    What it leaves out: the conductances' fluctuations and their timing (a pulsed inhibition
    gives the same mean as a steady one; synchronous input saturates the gates differently from
    Poisson input) and any dynamics of the threshold.

    Parameters
    ----------
    network : meanfield.MeanFieldNetwork
        The neuron and its inputs (k, w, synapse types, mean current).
    rate_exc_hz, rate_inh_hz : float or array_like
        Rates of the excitatory and of the inhibitory presynaptic neurons, Hz (>= 0; broadcast).
    """
    if not isinstance(network, meanfield.MeanFieldNetwork):
        raise ValueError(f"network = {network!r}: must be a meanfield.MeanFieldNetwork")
    n = network
    g_leak = 1.0 / n.r_mohm
    g_e = n.k_exc * n.w_exc_us * meanfield.gate_mean(rate_exc_hz, n.excitatory.tau_ms,
                                                     n.excitatory.delta)
    g_i = n.k_inh * n.w_inh_us * meanfield.gate_mean(rate_inh_hz, n.inhibitory.tau_ms,
                                                     n.inhibitory.delta)
    return ((g_leak * n.e_leak_mv + g_e * n.excitatory.e_rev_mv + g_i * n.inhibitory.e_rev_mv
             + n.current_na) / (g_leak + g_e + g_i))


def alignment_test(trains, span_ms: float, n_surrogates: int, rng: np.random.Generator,
                   bin_ms: float = 1.0, smooth_bins: int = 3) -> Alignment:
    """Whether cells fire together more than independent cells with the same trains would.

    The variance of the pooled rate (bins of ``bin_ms`` over [0, T) taken as a circle, a
    circular moving average over ``smooth_bins`` bins) is set against that of surrogates that
    rotate each train by its own random whole number of bins. A rotation keeps every train's
    intervals, so the sum of the trains' own variances is kept and only the covariances between
    trains are randomised: the ratio is about 1 for independent cells, however regular each one
    is, and grows with their alignment (cf. the synchrony measure chi^2 of Golomb 2007, here
    against surrogates). The peak of the pooled rate's autocorrelation at the cells' own period
    is no such evidence, since the trains' own autocorrelations survive rotation
    (:func:`synchrony.rhythm_test`).

    Returns
    -------
    Alignment
        NaN without spikes.
    """
    span = checks.positive("span_ms", span_ms)
    width = checks.positive("bin_ms", bin_ms)
    smooth = checks.integer("smooth_bins", smooth_bins, 1)
    _check_surrogates(n_surrogates, rng)
    n_bins = int(span // width)
    cell, spike_bin = _binned(trains, n_bins, width)
    if spike_bin.size == 0 or n_bins < 4:
        return Alignment(math.nan, math.nan)
    smooth = min(smooth, n_bins)
    kernel = np.fft.rfft(np.r_[np.ones(smooth), np.zeros(n_bins - smooth)] / smooth, n_bins)

    def variance(shifts):  # (surrogates, trains) -> (surrogates,) variances of the pooled rate
        rows = np.arange(len(shifts))[:, None] * n_bins
        rate = np.bincount((rows + (spike_bin + shifts[:, cell]) % n_bins).ravel(),
                           minlength=len(shifts) * n_bins).reshape(len(shifts), n_bins)
        return np.var(np.fft.irfft(np.fft.rfft(rate.astype(float), axis=1) * kernel, n_bins,
                                   axis=1), axis=1)

    observed = float(variance(np.zeros((1, len(trains)), dtype=np.int64))[0])
    surrogate = _by_blocks(variance, _shifts(rng, n_surrogates, len(trains), n_bins),
                           max(spike_bin.size, n_bins))
    return Alignment(observed / surrogate.mean() if surrogate.mean() > 0 else math.nan,
                     float((1 + np.sum(surrogate >= observed)) / (1 + n_surrogates)))


class RhythmMeasures(NamedTuple):
    """One run's population rhythm and its excitatory cells (see :func:`rhythm_measures`)."""
    rhythm_hz: float  # frequency of the population rate's rhythm (NaN: none in the band)
    p_value: float  # against circularly shifted surrogates
    strength: float  # autocorrelation of the population rate at the rhythm's lag
    rate_e_hz: float  # mean rate of the excitatory cells
    rate_i_hz: float  # mean rate of the inhibitory cells (NaN without any)
    cv_e: float  # mean ISI CV of the excitatory cells (regimes.mean_cv_isi)
    e_spikes_per_cycle: float  # rate_e_hz / rhythm_hz
    e_participation: float  # share of the cycles on which an excitatory cell fires (mean)


def cycle_participation(trains, rhythm_hz: float, span_ms: float, bin_ms: float = 1.0,
                        cycle_trains=None) -> float:
    """The share of the rhythm's cycles on which a cell fires, averaged over the cells.

    A rhythm of frequency f has f T cycles in a window of length T, and that is the number of
    cycles counted here. The cycles are placed by the population rate of ``cycle_trains``
    (default ``trains``; bins of ``bin_ms``, smoothed over 3 bins): its peaks at least 0.6 of
    the rhythm's period apart (``scipy.signal.find_peaks``), each cycle running from the
    midpoint before its peak to the midpoint after it (the first and the last to the window's
    ends). A cell's participation is the number of these cycles that hold at least one of its
    spikes over f T, at most 1, so doublets do not raise it: 1 is a cell on every cycle
    (Borgers & Kopell 2003), 1/2 a cell on every other cycle.

    Why f T and not the number of peaks: where the rate's modulation is weak next to its
    counting noise, the noise adds peaks (up to one per 0.6 period), so counting peaks as
    cycles makes cells locked to the rhythm, one spike per cycle, appear to skip cycles; the
    peaks only place the cycles, and a cell spiking once per cycle still spikes in as many
    of them as there are cycles. f comes from the rhythm's measurement (e.g. the peak lag of
    the autocorrelation in whole bins, :func:`synchrony.rhythm_test`), so the count carries
    that measurement's rounding: a locked cell reads 1 minus that relative error at worst
    (about 3 % at 60 Hz in 1 ms bins). NaN without a finite rhythm, with fewer than 4 cycles
    (f T < 4) or without a peak.
    """
    span = checks.positive("span_ms", span_ms)
    if not (np.isfinite(rhythm_hz) and rhythm_hz > 0) or not len(trains):
        return math.nan
    n_cycles = rhythm_hz * span / 1000.0
    if n_cycles < 4:
        return math.nan
    reference = trains if cycle_trains is None else cycle_trains
    edges = np.arange(0.0, span + bin_ms, bin_ms)
    pooled = [np.asarray(t, float) for t in reference]
    rate = np.histogram(np.concatenate(pooled) if pooled else np.empty(0), edges)[0]
    smooth = np.convolve(rate, np.ones(3) / 3.0, mode="same")
    peaks = signal.find_peaks(smooth, distance=max(1, int(0.6 * 1000.0 / rhythm_hz / bin_ms)))[0]
    if peaks.size < 1:
        return math.nan
    centres = (peaks + 0.5) * bin_ms
    bounds = np.concatenate([[0.0], 0.5 * (centres[1:] + centres[:-1]), [span]])
    hits = np.array([np.count_nonzero(np.histogram(t, bounds)[0]) for t in trains], dtype=float)
    return float(np.mean(np.minimum(hits / n_cycles, 1.0)))


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
        of the rhythm, rate_e / f, and the share of cycles on which they fire
        (:func:`cycle_participation` of the excitatory trains).
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
                          rate_e / f if np.isfinite(f) and f > 0 else math.nan,
                          cycle_participation(trains[:n_exc], f, span, bin_ms))


def is_fast(rhythm_hz, rate_e_hz):
    """True where the rhythm is not clearly slower than the excitatory cells' mean rate:
    f >= :data:`SLOW_RHYTHM_FRACTION` x rate_e.

    A population "rhythm" much slower than the rate of its cells (each cell firing twice or more
    per cycle on average) is a slow co-modulation of the rate, not a cycle that cells fire on or
    skip; neither PING nor the sparse regime describes it. A PING rhythm, one spike per cell per
    cycle (f = rate_e) or a little less with doublets, passes. NaN gives False.
    """
    f, r = np.asarray(rhythm_hz, dtype=float), np.asarray(rate_e_hz, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(f) & np.isfinite(r) & (f >= SLOW_RHYTHM_FRACTION * r)


class RateMatchedCV(NamedTuple):
    """Uncoupled, independently driven cells over a range of mean currents (see
    :func:`rate_matched_cv`)."""
    currents_na: np.ndarray  # (currents,) mean input
    rates_hz: np.ndarray  # (currents,) their mean rate
    cv: np.ndarray  # (currents,) their mean ISI CV
    cv_at_rates: np.ndarray  # (targets,) CV interpolated at the target rates (NaN outside)


def rate_matched_cv(neuron: Neuron, target_rates_hz, currents_na, sigma_na: float,
                    tau_s_ms: float, n_neurons: int, protocol: Protocol,
                    seed: int) -> RateMatchedCV:
    """The ISI CV that independent noise alone gives cells of this neuron at given rates.

    ``n_neurons`` uncoupled copies of ``neuron`` per mean current, each with its own OU noise
    (``noise.simulate_with_noise``, one call per current: ``transfer.simulate_noisy_each``;
    current k seeded by the k-th state of
    ``SeedSequence(seed)``), give the rate and the mean ISI CV (``regimes.mean_cv_isi``, cells
    with at least 3 spikes after the transient) as functions of the current; the CV at each
    target rate is interpolated linearly in the rate, over the currents whose rate rises
    monotonically from the first one that fires. This is the reference for a network's
    irregularity: coupled cells that fire as irregularly as these at their own rate are as
    irregular as independent inputs make them (cf. Brunel 2000, where irregularity is judged
    against Poisson firing well below 1/tau_ref).

    Raises
    ------
    ValueError
        For bad currents, population size, seed or noise (naming it).
    """
    currents = np.sort(checks.finite_array("currents_na", currents_na).reshape(-1))
    if currents.size < 2:
        raise ValueError(f"currents_na = {currents_na!r}: needs at least 2 currents")
    n = checks.integer("n_neurons", n_neurons, 3)
    seed = checks.integer("seed", seed, 0)
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol = {protocol!r}: must be a Protocol")
    targets = np.asarray(target_rates_hz, dtype=float).reshape(-1)
    seeds = np.random.SeedSequence(seed).generate_state(currents.size).tolist()
    mean = np.repeat(currents[:, None], n, axis=1)
    result = simulate_noisy_each(Circuit(tuple([neuron] * n)), mean, protocol, tau_s_ms,
                                 sigma_na, seeds)
    window_s = (protocol.duration_ms - protocol.transient_ms) / 1000.0
    rates, cvs = np.empty(currents.size), np.empty(currents.size)
    for k in range(currents.size):
        trains = [t[t > protocol.transient_ms] for t in
                  (result.spike_times(k, i) for i in range(n))]
        rates[k] = np.mean([t.size for t in trains]) / window_s
        cvs[k] = mean_cv_isi(trains)
    # the monotone stretch of rate against current, from the first current with a CV
    usable = np.flatnonzero(np.isfinite(cvs) & (rates > 0))
    at = np.full(targets.shape, math.nan)
    if usable.size >= 2:
        first = usable[0]
        stop = first + 1
        while stop < currents.size and np.isfinite(cvs[stop]) and rates[stop] > rates[stop - 1]:
            stop += 1
        r, c = rates[first:stop], cvs[first:stop]
        if r.size >= 2:
            inside = np.isfinite(targets) & (targets >= r[0]) & (targets <= r[-1])
            at[inside] = np.interp(targets[inside], r, c)
    return RateMatchedCV(currents, rates, cvs, at)


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
    skips_cycles: bool | None  # participation < EVERY_CYCLE_PARTICIPATION at every rhythm
    fires_every_cycle: bool | None  # participation >= EVERY_CYCLE_PARTICIPATION at every rhythm
    irregular: bool | None  # CV / rate-matched CV >= IRREGULAR_CV_RATIO at every rhythm
    follows_tau_inh: bool | None  # |sensitivity| >= SENSITIVITY_FRACTION |PING's|
    name: str  # "sparse", "PING" or "" (measures disagree or are missing)
    # mean free potential at least one membrane s.d. below threshold (z <= -1) at every rhythm
    fluctuation_driven: bool | None = None


def name_regime(e_participation, cv_ratio, network_sensitivity: float,
                ping_sensitivity: float, ping_frequency_agrees: bool,
                mean_minus_threshold_mv=None, membrane_sd_mv=None) -> RegimeVerdict:
    """Name a network's rhythm only when the measures agree.

    Parameters
    ----------
    e_participation, cv_ratio : array_like
        At each rhythmic coupling (not clearly slow rhythms only, see :func:`is_fast`): the
        share of cycles on which an excitatory cell fires (:func:`cycle_participation`), and
        the excitatory cells' mean ISI CV over that of rate-matched independent cells
        (:func:`rate_matched_cv`).
    network_sensitivity, ping_sensitivity : float
        d ln f / d ln tau_I of the network's rhythm and of the PING cycle (NaN: not measured).
    ping_frequency_agrees : bool
        Whether the PING cycle's frequency matches the network's at every rhythmic coupling.
    mean_minus_threshold_mv : array_like or None
        At each rhythmic coupling, an excitatory cell's mean free membrane potential minus its
        threshold (:func:`mean_free_potential_mv`); None: not measured.
    membrane_sd_mv : array_like or None
        At each rhythmic coupling, the s.d. of the free membrane potential at the same rates
        (``meanfield.membrane_input(...).sd_v_mv``): how far fluctuations carry V about its
        mean. A coupling counts as fluctuation-driven when z = (mu - theta) / sd <= -1, as
        mean-driven when z >= 1, and as near threshold, neither, in between. None: the sign
        of mu - theta alone (z measured in mV).

    Returns
    -------
    RegimeVerdict
        "sparse" (Brunel & Hakim 1999; Brunel 2000) when the cells skip cycles at every
        coupling, fire as irregularly as independent inputs make them (CV ratio >=
        :data:`IRREGULAR_CV_RATIO`), are, if measured, fluctuation-driven (mean free potential
        at least one membrane s.d. below threshold, z <= -1) at every coupling and, if
        measured, the rhythm follows tau_I much less
        than a PING cycle would; "PING" (Borgers & Kopell 2003) when the cells fire on every
        cycle (participation >= :data:`EVERY_CYCLE_PARTICIPATION`), are more regular than
        independent inputs make them (if measured), the PING frequency agrees and, if
        measured, the rhythm follows tau_I like the PING cycle; "" otherwise. The vector
        strength of :func:`phase_locking` enters no verdict: Poisson cells under a deeply
        modulated rate reach any value of it (:func:`poisson_under_rate`).
    """
    cycles = np.asarray(e_participation, dtype=float)
    cv = np.asarray(cv_ratio, dtype=float)
    cycles, cv_known = cycles[np.isfinite(cycles)], cv[np.isfinite(cv)]
    skips = bool(np.all(cycles < EVERY_CYCLE_PARTICIPATION)) if cycles.size else None
    every = bool(np.all(cycles >= EVERY_CYCLE_PARTICIPATION)) if cycles.size else None
    irregular = bool(np.all(cv_known >= IRREGULAR_CV_RATIO)) if cv_known.size else None
    follows = (None if not (np.isfinite(network_sensitivity) and np.isfinite(ping_sensitivity)
                            and ping_sensitivity != 0) else
               bool(abs(network_sensitivity) >= SENSITIVITY_FRACTION * abs(ping_sensitivity)))
    drive = (None if mean_minus_threshold_mv is None else
             np.asarray(mean_minus_threshold_mv, dtype=float).reshape(-1))
    if drive is not None and membrane_sd_mv is not None:
        drive = drive / np.asarray(membrane_sd_mv, dtype=float).reshape(-1)  # z
        below = drive <= -1.0
    else:
        below = drive < 0.0 if drive is not None else None
    if drive is not None:
        below = bool(np.all(below[np.isfinite(drive)])) if np.isfinite(drive).any() else None
    name = ""
    if skips and irregular and follows is not True and below is not False:
        name = "sparse"
    elif every and irregular is not True and ping_frequency_agrees and follows is not False:
        name = "PING"
    return RegimeVerdict(skips, every, irregular, follows, name, below)
