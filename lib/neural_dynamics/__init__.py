"""neural_dynamics: the models and metrics of the book *From spikes to rhythms*.

Modules, one job each:

- ``params``: validated parameter objects (``Neuron``, ``Gate``, ``Circuit``);
- ``presets``: the book's named neurons and protocols (``Protocol``);
- ``kernel``: the compiled integrate-and-fire kernel, ``simulate``;
- ``metrics``: spike-train metrics (pure functions);
- ``analytic``: closed forms of the integrate-and-fire neuron;
- ``sweeps``: current sweeps and rheobase searches built on the kernel;
- ``results``: the chapters' results tables;
- ``style``: the book's figure style.
"""

from .kernel import SimulationResult, simulate
from .params import Circuit, Gate, Neuron
from .presets import Protocol

__all__ = ["Circuit", "Gate", "Neuron", "Protocol", "SimulationResult", "simulate"]
