"""Power spectra: Welch's estimate (through ``scipy.signal``) and the peak of a spectrum."""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
from scipy import signal

from . import checks


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
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(estimate, np.array_split(rows, workers)))
        f, p = parts[0][0], np.concatenate([part[1] for part in parts])
    else:
        f, p = estimate(rows)
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
