"""neural_dynamics: the models and metrics of the book *From spikes to rhythms*.

Modules, one job each:

- ``params``: validated parameter objects (``Neuron``, ``Gate``, ``Circuit``, ``SynapseType``,
  ``Network``, and ``SparseNetwork``, its compressed-row form for large networks);
- ``presets``: the book's named neurons, circuits and protocols (``Protocol``);
- ``kernel``: the compiled integrate-and-fire kernel, ``simulate``;
- ``noise``: Ornstein-Uhlenbeck input noise and seeded noisy batches;
- ``networks``: builders of the coupled pair and of excitatory-inhibitory networks;
- ``metrics``: spike-train metrics (pure functions);
- ``synchrony``: synchrony measures between trains and across a population;
- ``analytic``: closed forms of the integrate-and-fire neuron;
- ``adaptation``: the adaptation gate, the critical adaptation state and the mean-adaptation
  reduction;
- ``prc``: phase response curves, by direct perturbation on the kernel and in closed form;
- ``sweeps``: current and parameter sweeps built on the kernel;
- ``neural_mass``: the Jansen-Rit model, its kernel, equilibria and bifurcations;
- ``cycles``: the Jansen-Rit model's periodic orbits, found by shooting and followed in the input;
- ``transfer``: population transfer functions (Siegert first passage, coloured-noise correction)
  and the logistic sigmoid fitted to them;
- ``psp``: postsynaptic potentials of a conductance synapse and the alpha kernels fitted to them;
- ``meanfield``: the mean-field (rate) description of an excitatory-inhibitory network;
- ``spectra``: Welch power spectra and spectral peaks;
- ``results``: the chapters' results tables;
- ``style``: the book's figure style;
- ``checks``: the input checks behind every error message;
- ``limits``: how much work and memory a computation may ask for, checked before allocating.
"""

from .kernel import SimulationResult, simulate
from .params import Circuit, Gate, Network, Neuron, SparseNetwork, SynapseType
from .presets import Protocol

__all__ = ["Circuit", "Gate", "Network", "Neuron", "Protocol", "SimulationResult",
           "SparseNetwork", "SynapseType", "simulate"]
