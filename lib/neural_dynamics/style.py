"""The book's one look: colours keyed by role, figure sizes and small plotting helpers.

Colours come from the Okabe-Ito palette (Okabe & Ito 2008), which stays distinguishable under
the common colour-vision deficiencies. Chapters call :func:`apply_style` once and never set
rcParams themselves; plotting helpers take ``ax=None`` and return the axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

#: Okabe-Ito colours, by role in the book.
COLORS = {
    "fixed": "#0072B2",  # blue: fixed-threshold neuron
    "dynamic": "#D55E00",  # vermillion: dynamic-threshold neuron
    "analytic": "#000000",  # black: closed forms
    "threshold": "#CC79A7",  # reddish purple: threshold trace
    "input": "#009E73",  # bluish green: injected current
    "adaptation": "#E69F00",  # orange: adaptation
    "neuron1": "#0072B2",
    "neuron2": "#D55E00",
    "marker": "#56B4E9",  # sky blue: reference lines and bands
    "muted": "#999999",
}

#: Figure sizes in inches: one column of text, and a wide two-panel figure.
FIGSIZE = {"single": (6.4, 3.6), "wide": (10.0, 3.8), "tall": (10.0, 6.0)}


def apply_style() -> None:
    """Set the book's matplotlib/seaborn defaults (white ticks, readable fonts, PNG at 110 dpi)."""
    sns.set_theme(context="notebook", style="ticks", palette=list(COLORS.values())[:8])
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": "medium",
            "axes.titleweight": "bold",
            "legend.frameon": False,
            "figure.constrained_layout.use": True,
        }
    )


def _axes(ax):
    return ax if ax is not None else plt.gca()


def plot_voltage(t_ms, v_mv, spike_times_ms=(), theta_mv=None, ax=None, color=None, label=None,
                 spike_peak_mv=20.0):
    """Membrane potential with spikes drawn as vertical strokes, and the threshold if given.

    The model resets V at the spike's own sample, so its trace never shows the spike; a stroke
    from the threshold to ``spike_peak_mv`` marks each spike time instead (a drawing
    convention, not part of the model).
    """
    ax = _axes(ax)
    color = color or COLORS["fixed"]
    ax.plot(t_ms, v_mv, color=color, lw=1.2, label=label)
    spikes = np.asarray(spike_times_ms, dtype=float)
    if spikes.size:
        index = np.searchsorted(t_ms, spikes)
        base = theta_mv[index - 1] if theta_mv is not None else v_mv[index - 1]
        ax.vlines(spikes, base, spike_peak_mv, color=color, lw=0.9)
    if theta_mv is not None:
        ax.plot(t_ms, theta_mv, color=COLORS["threshold"], lw=1.2, ls="--", label="threshold θ")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("membrane potential (mV)")
    return ax
