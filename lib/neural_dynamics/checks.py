"""Input checks shared by the library's public functions.

Each check raises ``ValueError`` with a message that names the parameter, echoes the value and
states what is allowed, so that a papermill user who passes ``-p dt_ms -0.05`` reads
``dt_ms = -0.05: must be a finite number > 0``.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np


def _is_real(value) -> bool:
    return isinstance(value, (Real, np.floating, np.integer)) and not isinstance(value, bool)


def show(value) -> str:
    """The value as a reader typed it: NumPy scalars shown as plain Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def finite(name: str, value) -> float:
    """Return ``value`` as float if it is a finite real number, else raise ``ValueError``."""
    if not _is_real(value) or not math.isfinite(float(value)):
        raise ValueError(f"{name} = {show(value)}: must be a finite number")
    return float(value)


def positive(name: str, value) -> float:
    """Return ``value`` as float if it is finite and > 0."""
    if not _is_real(value) or not math.isfinite(float(value)) or float(value) <= 0:
        raise ValueError(f"{name} = {show(value)}: must be a finite number > 0")
    return float(value)


def non_negative(name: str, value) -> float:
    """Return ``value`` as float if it is finite and >= 0."""
    if not _is_real(value) or not math.isfinite(float(value)) or float(value) < 0:
        raise ValueError(f"{name} = {show(value)}: must be a finite number >= 0")
    return float(value)


def integer(name: str, value, least: int) -> int:
    """Return ``value`` as int if it is an integer (not a bool) >= ``least``.

    Example: ``integer("n_seeds", 1, 2)`` raises ``n_seeds = 1: must be an int >= 2``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} = {show(value)}: must be an int >= {least}")
    return int(value)


def in_closed_range(name: str, value, low: float, high: float) -> float:
    """Return ``value`` as float if it is finite and in ``[low, high]``."""
    if not _is_real(value) or not math.isfinite(float(value)) or not low <= float(value) <= high:
        raise ValueError(f"{name} = {show(value)}: must be a finite number in [{low}, {high}]")
    return float(value)


def greater_than(name: str, value, other_name: str, other) -> float:
    """Return ``value`` as float if it is finite and strictly greater than ``other``."""
    value = finite(name, value)
    if value <= other:
        raise ValueError(f"{name} = {show(value)}: must be > {other_name} = {show(other)}")
    return value


def at_least(name: str, value, other_name: str, other) -> float:
    """Return ``value`` as float if it is finite and >= ``other``."""
    value = finite(name, value)
    if value < other:
        raise ValueError(f"{name} = {show(value)}: must be >= {other_name} = {show(other)}")
    return value


def finite_array(name: str, values) -> np.ndarray:
    """Return ``values`` as a float array if every element is finite."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: must be an array of finite numbers ({error})") from None
    if not np.all(np.isfinite(array)):
        bad = array[~np.isfinite(array)].ravel()[0]
        raise ValueError(f"{name} contains {show(bad)}: every value must be a finite number")
    return array


def sorted_times(name: str, values) -> np.ndarray:
    """Return spike times as a 1-D float array, checking they are finite and non-decreasing."""
    array = finite_array(name, values)
    if array.ndim != 1:
        raise ValueError(f"{name} has shape {array.shape}: must be a 1-D array of times")
    if array.size > 1 and np.any(np.diff(array) < 0):
        raise ValueError(f"{name}: spike times must be sorted in non-decreasing order")
    return array


def each(name: str, values, check, *args) -> np.ndarray:
    """Apply a scalar check to every element of a non-empty 1-D list, naming ``name[i]``.

    Example: ``each("tau_a_sweep_ms", [100, -5], positive)`` raises
    ``tau_a_sweep_ms[1] = -5: must be a finite number > 0``.
    """
    array = np.asarray(values, dtype=object)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} = {show(values)}: must be a non-empty list of numbers")
    return np.array([check(f"{name}[{i}]", value, *args) for i, value in enumerate(array)])
