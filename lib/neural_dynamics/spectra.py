"""Power spectra: Welch's estimate (through ``scipy.signal``) and the peak of a spectrum."""

from __future__ import annotations

import math
import os
from typing import NamedTuple

import numpy as np
from scipy import signal

from . import checks
from .threads import in_threads


class Spectrum(NamedTuple):
    """One-sided power spectral density: frequencies (Hz) and power (signal unit^2 / Hz)."""

    frequencies_hz: np.ndarray
    power: np.ndarray


def welch(x, sampling_hz: float, segment_s: float, overlap_s: float | None = None) -> Spectrum:
    """Welch PSD along the last axis (Welch 1967; ``scipy.signal.welch``).

    Hann window, segments of ``segment_s`` overlapping by ``overlap_s`` (half a segment by
    default), the mean removed from each segment (constant detrend), one-sided density. The rows
    of a batch are split over threads: the FFTs release the GIL, and every row's result is the
    same as alone.

    Raises
    ------
    ValueError
        If a value is not finite, a segment has fewer than 2 samples or more than the signal, or
        the overlap is not shorter than the segment.
    """
    values = checks.finite_array("x", x)
    fs = checks.positive("sampling_hz", sampling_hz)
    segment = checks.positive("segment_s", segment_s)
    overlap = segment / 2 if overlap_s is None else checks.non_negative("overlap_s", overlap_s)
    if overlap >= segment:
        raise ValueError(f"overlap_s = {overlap}: must be < segment_s = {segment}")
    nperseg = int(round(segment * fs))
    if values.ndim == 0 or nperseg < 2 or nperseg > values.shape[-1]:
        raise ValueError(
            f"segment_s = {segment}: must give between 2 and "
            f"{values.shape[-1] if values.ndim else 0} samples per segment"
        )
    noverlap = nperseg // 2 if overlap_s is None else int(round(overlap * fs))

    def estimate(rows):
        return signal.welch(rows, fs=fs, window="hann", nperseg=nperseg, noverlap=noverlap,
                            detrend="constant", scaling="density", return_onesided=True,
                            axis=-1)

    rows = np.ascontiguousarray(values.reshape(-1, values.shape[-1]))
    workers = min(os.cpu_count() or 1, rows.shape[0])
    parts = in_threads(estimate, np.array_split(rows, workers), workers)
    f, p = parts[0][0], np.concatenate([part[1] for part in parts])
    return Spectrum(f, p.reshape(values.shape[:-1] + f.shape))


class Peak(NamedTuple):
    frequency_hz: float
    power: float


def dominant_peak(spectrum: Spectrum, min_hz: float = 3.0, max_hz: float = math.inf) -> Peak:
    """Frequency and value of the largest PSD value with min_hz <= f <= max_hz (1-D spectrum)."""
    low = checks.non_negative("min_hz", min_hz)
    if max_hz <= low:
        raise ValueError(f"max_hz = {max_hz}: must be > min_hz = {low}")
    band = (spectrum.frequencies_hz >= low) & (spectrum.frequencies_hz <= max_hz)
    if not band.any():
        raise ValueError(f"no frequency of the spectrum lies in [{low}, {max_hz}] Hz")
    index = np.flatnonzero(band)[np.argmax(spectrum.power[band])]
    return Peak(float(spectrum.frequencies_hz[index]), float(spectrum.power[index]))


class Fundamental(NamedTuple):
    """A spectral peak taken as a fundamental, and the harmonic the dominant peak was."""

    frequency_hz: float
    power: float
    harmonic: int  # the dominant peak lies at about harmonic x frequency_hz (1: itself)


def fundamental_peak(spectrum: Spectrum, peak: Peak, floor_hz: float = 0.0,
                     min_ratio: float = 0.25, max_harmonic: int = 4) -> Fundamental:
    """The fundamental of a dominant peak: the peak itself, or a subharmonic that carries power.

    A periodic but non-sinusoidal signal (a relaxation-like cycle) puts power at its frequency
    f0 and at its harmonics k f0; when the search band of :func:`dominant_peak` starts above
    f0, or f0 falls between bins, the dominant peak can be a harmonic. The rule: for
    k = ``max_harmonic``, ..., 2 (lowest frequency first), the largest PSD value within one
    frequency bin of f / k, at f / k >= ``floor_hz``, is a candidate if it is a local maximum
    of the spectrum and carries at least ``min_ratio`` of the peak's power; the first candidate
    is the fundamental, with harmonic number k. Without one the peak is its own fundamental.

    Parameters
    ----------
    spectrum : Spectrum
        One-dimensional spectrum on equally spaced frequencies.
    peak : Peak
        The dominant peak (e.g. from :func:`dominant_peak`).
    floor_hz : float
        Lowest frequency a fundamental may have, Hz (>= 0).
    min_ratio : float
        Least power of a subharmonic relative to the peak's, in (0, 1].
    max_harmonic : int
        Highest harmonic number tried (>= 2).
    """
    floor = checks.non_negative("floor_hz", floor_hz)
    ratio = checks.positive("min_ratio", min_ratio)
    if ratio > 1:
        raise ValueError(f"min_ratio = {min_ratio}: must be in (0, 1]")
    checks.integer("max_harmonic", max_harmonic, 2)
    f, p = spectrum.frequencies_hz, spectrum.power
    if f.size < 3:
        return Fundamental(peak.frequency_hz, peak.power, 1)
    df = f[1] - f[0]
    for k in range(int(max_harmonic), 1, -1):
        target = peak.frequency_hz / k
        if target < max(floor, f[1]):
            continue
        near = np.flatnonzero(np.abs(f - target) <= df * (1 + 1e-9))
        if near.size == 0:
            continue
        best = int(near[np.argmax(p[near])])
        local = 0 < best < f.size - 1 and p[best] >= p[best - 1] and p[best] >= p[best + 1]
        if local and p[best] >= ratio * peak.power:
            return Fundamental(float(f[best]), float(p[best]), k)
    return Fundamental(peak.frequency_hz, peak.power, 1)


def harmonic_number(frequency_hz: float, cycle_hz: float, tolerance_hz: float,
                    max_harmonic: int = 6) -> int:
    """k if ``frequency_hz`` lies within ``tolerance_hz`` of k x ``cycle_hz`` (k = 1 ...
    ``max_harmonic``), else 0: which harmonic of a known cycle a spectral peak is.

    With the cycle's frequency from its exact periodic orbit and the tolerance one frequency
    bin (a Welch bin holds a line within half a bin of its centre, plus leakage), this names a
    peak without comparing powers.
    """
    f = checks.non_negative("frequency_hz", frequency_hz)
    f0 = checks.positive("cycle_hz", cycle_hz)
    tol = checks.non_negative("tolerance_hz", tolerance_hz)
    checks.integer("max_harmonic", max_harmonic, 1)
    k = int(round(f / f0))
    return k if 1 <= k <= max_harmonic and abs(f - k * f0) <= tol else 0
