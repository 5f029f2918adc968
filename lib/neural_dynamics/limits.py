"""How much work a chapter may ask for, checked before anything is allocated.

A papermill user may ask for any grid or duration, and some requests are more than a machine
has: chapter 1 with ``current_step_na = 1e-9`` would allocate 78 GiB, and ``duration_ms = 1e9``
149 GiB. Each chapter therefore checks, in its validation cell, what its parameters ask for
against the limits below and stops at once with a :class:`WorkTooLarge` error that names the
parameters, the size asked for and the limit; the library checks again where it allocates
(grids, simulations, noise), naming its own arguments. The limits fit the book's reference
machine (2 cores, 24 GiB) with room to spare; raise them here for a larger one.

Limits
------
MAX_BYTES
    Memory of the arrays one computation holds at once (recorded traces, time-varying
    currents, pre-drawn noise): 4 GiB.
MAX_NEURON_STEPS
    Neuron updates (members x neurons x time steps) of one chapter: 2e10, about half a
    minute for single neurons and a quarter of an hour for the networks here.
MAX_GRID_POINTS
    Values of one parameter grid or sweep: 100,000.
"""

from __future__ import annotations

MAX_BYTES = 4 * 2**30
MAX_NEURON_STEPS = 2e10
MAX_GRID_POINTS = 100_000



class WorkTooLarge(ValueError):
    """A request for more work or memory than the limits of :mod:`neural_dynamics.limits`."""


def _amount(value: float, in_bytes: bool) -> str:
    if in_bytes:
        return f"{value / 2**30:,.3g} GiB"
    return f"{value:.3g}" if value >= 1e7 else f"{value:,.0f}"


def check(parameters: str, asked: float, limit_name: str, what: str) -> None:
    """Raise :class:`WorkTooLarge` if ``asked`` exceeds the limit called ``limit_name``.

    Parameters
    ----------
    parameters : str
        The parameters that set the size, as the user names them, e.g. ``"dt_ms, duration_ms"``.
    asked : float
        The size they ask for, computed without allocating it (bytes for ``MAX_BYTES``).
    limit_name : {"MAX_BYTES", "MAX_NEURON_STEPS", "MAX_GRID_POINTS"}
        Which limit applies.
    what : str
        What is counted, read after the amount: ``"currents in the f-I grid"``, or for
        bytes ``"of recorded traces"``.

    Raises
    ------
    WorkTooLarge
        For example ``current_min_na, current_max_na, current_step_na ask for 1.05e+10
        currents in the f-I grid; the limit is 100,000 (neural_dynamics.limits.MAX_GRID_POINTS)``.
    """
    limit = globals()[limit_name]
    in_bytes = limit_name == "MAX_BYTES"
    if not asked <= limit:  # also catches NaN
        raise WorkTooLarge(
            f"{parameters} ask for {_amount(asked, in_bytes)} {what}; the limit is "
            f"{_amount(limit, in_bytes)} (neural_dynamics.limits.{limit_name})"
        )


def neuron_steps(parameters: str, asked: float) -> None:
    """Check a number of neuron updates against ``MAX_NEURON_STEPS``."""
    check(parameters, asked, "MAX_NEURON_STEPS",
          "neuron updates (members x neurons x time steps)")


def memory(parameters: str, asked_bytes: float, what: str) -> None:
    """Check the bytes of arrays held at once against ``MAX_BYTES``."""
    check(parameters, asked_bytes, "MAX_BYTES", f"of {what}")


def grid_points(parameters: str, asked: float, what: str) -> None:
    """Check the length of a grid or sweep against ``MAX_GRID_POINTS``."""
    check(parameters, asked, "MAX_GRID_POINTS", what)
