"""Configuration files of large parameter sweeps: the format, the models, the validation.

A sweep is described by a YAML file (read with ``yaml.safe_load``)::

    name: network_regimes          # letters, digits, _ : names DIR/<name>.csv
    model: network                 # one of MODELS: network, jansen_rit, neuron
    fixed:                         # parameters held fixed (others keep their defaults)
      duration_ms: 1500.0
    grid:                          # the swept parameters: a list, or start/stop/num
      relative_inhibition_g: {start: 0.0, stop: 8.0, num: 9}
      current_na: [1.5, 2.0, 2.5]
    seeds: [0]                     # each grid point is run once per seed (ints >= 0)
    metrics: [rate_hz, chi, regime]  # a subset of the model's metrics, in the CSV's order
    chunk_size: 4                  # grid points per task (one batched library call)
    max_points: 1000               # the grid's size limit (grid points x seeds)

:func:`load` validates everything before anything runs and raises ``ValueError`` naming the
key, the value and what is allowed; a grid larger than ``max_points`` (or than
``limits.MAX_GRID_POINTS``) raises ``limits.WorkTooLarge``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from . import limits, regimes


@dataclass(frozen=True)
class Parameter:
    """A model parameter: default, allowed range (closed bounds, None: unbounded), kind."""

    default: float
    low: float | None = None
    high: float | None = None
    integer: bool = False
    gridable: bool = True  # False: the same for the whole batch, so only fixed
    strict_low: bool = False  # low excluded

    def allowed(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.strict_low else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"<= {self.high:g}")
        return kind + (" " + " and ".join(parts) if parts else "")

    def check(self, key: str, value) -> float | int:
        bad = (isinstance(value, bool) or not isinstance(value, (int, float))
               or not math.isfinite(value)
               or (self.integer and float(value) != int(value))
               or (self.low is not None and (value <= self.low if self.strict_low
                                             else value < self.low))
               or (self.high is not None and value > self.high))
        if bad:
            raise ValueError(f"{key} = {value!r}: must be {self.allowed()}")
        return int(value) if self.integer else float(value)


def _p(default, low=None, high=None, **kw) -> Parameter:
    return Parameter(default, low, high, **kw)


def _positive(default, **kw) -> Parameter:
    return Parameter(default, 0.0, None, strict_low=True, **kw)


_NEURON = {  # chapter 3's neuron (the book's integrate-and-fire neuron with a dynamic threshold)
    "e_leak_mv": _p(-65.0), "r_mohm": _positive(10.0), "tau_m_ms": _positive(30.0),
    "theta_0_mv": _p(-55.0), "theta_spike_mv": _p(50.0), "tau_theta_ms": _positive(5.0),
}


@dataclass(frozen=True)
class Model:
    """What a sweep of one model may set, measure, and the batched call that does it."""

    parameters: dict
    metrics: tuple
    evaluate: object  # callable(list of point dicts) -> list of metric dicts


MODELS = {
    "network": Model(
        parameters={
            **_NEURON,
            "n_exc": _p(320, 2, integer=True, gridable=False),
            "n_inh": _p(80, 0, integer=True, gridable=False),
            "p_connect": _p(0.2, 0.0, 1.0, gridable=False),
            "e_exc_mv": _p(0.0), "e_inh_mv": _p(-70.0),
            "tau_exc_ms": _positive(2.0), "tau_inh_ms": _positive(8.0),
            "delta_syn": _p(0.2, 0.0, 1.0),
            "w_exc_us": _p(0.01, 0.0),
            "relative_inhibition_g": _p(10.0, 0.0),
            "coupling": _p(1.0, 0.0),
            "current_na": _p(2.5),
            "sigma_na": _p(0.8, 0.0, gridable=False),
            "noise_tau_ms": _positive(5.0, gridable=False),
            "dt_ms": _positive(0.1, gridable=False),
            "duration_ms": _positive(2000.0, gridable=False),
            "transient_ms": _p(200.0, 0.0, gridable=False),
        },
        metrics=("rate_hz", "cv_isi", "chi", "peak_hz", "peak_ratio", "rhythm_hz",
                 "rhythmicity", "regime"),
        evaluate=regimes.evaluate_network),
    "jansen_rit": Model(
        parameters={
            "a_per_s": _positive(100.0), "b_per_s": _positive(50.0),
            "a_mv": _positive(3.25), "b_mv": _positive(22.0),
            "coupling_c": _positive(135.0), "e_max_per_s": _positive(5.0),
            "v0_mv": _p(6.0), "r_per_mv": _positive(0.56),
            "input_p": _p(128.0),
            "settle_s": _positive(4.0, gridable=False),
            "window_s": _positive(1.0, gridable=False),
        },
        metrics=("attractor", "n_stable_equilibria", "n_cycles", "frequency_hz",
                 "amplitude_mv", "small_frequency_hz", "eeg_mv"),
        evaluate=regimes.evaluate_jansen_rit),
    "neuron": Model(
        parameters={
            **_NEURON,
            "current_na": _p(2.0),
            "dt_ms": _positive(0.1, gridable=False),
            "duration_ms": _positive(1000.0, gridable=False),
            "transient_ms": _p(100.0, 0.0, gridable=False),
        },
        metrics=("spike_count", "first_spike_ms", "mean_rate_hz", "steady_rate_hz",
                 "initial_rate_hz", "adaptation_index"),
        evaluate=regimes.evaluate_neuron),
}

KEYS = ("name", "model", "fixed", "grid", "seeds", "metrics", "chunk_size", "max_points")
REQUIRED = ("name", "model", "grid", "metrics")


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep: the grid's parameters and values, fixed values, seeds, metrics."""

    name: str
    model: str
    fixed: dict
    grid: dict  # parameter -> tuple of values, in the file's order
    seeds: tuple
    metrics: tuple
    chunk_size: int
    max_points: int

    @property
    def n_points(self) -> int:
        return math.prod(len(v) for v in self.grid.values()) * len(self.seeds)

    def points(self) -> list[dict]:
        """Every grid point x seed as the full parameter dict, in a fixed order: the grid's
        parameters vary in the file's order (last fastest), the seed fastest of all."""
        base = {name: p.default for name, p in MODELS[self.model].parameters.items()}
        base.update(self.fixed)
        names = list(self.grid)
        out = []
        for values in itertools.product(*self.grid.values(), self.seeds):
            point = dict(base)
            point.update(zip(names, values[:-1], strict=True))
            point["seed"] = values[-1]
            out.append(point)
        return out

    @property
    def columns(self) -> list[str]:
        """The CSV's parameter columns: the grid's parameters, then ``seed``."""
        return list(self.grid) + ["seed"]

    def as_dict(self) -> dict:
        return {"name": self.name, "model": self.model, "fixed": self.fixed,
                "grid": {k: list(v) for k, v in self.grid.items()}, "seeds": list(self.seeds),
                "metrics": list(self.metrics), "chunk_size": self.chunk_size,
                "max_points": self.max_points}

    def digest(self) -> str:
        """SHA-256 of what determines the results and their order (everything but chunk_size
        and max_points; the grid as (parameter, values) pairs, in order)."""
        content = self.as_dict()
        del content["chunk_size"], content["max_points"]
        content["grid"] = [[name, values] for name, values in content["grid"].items()]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _allowed(options) -> str:
    return ", ".join(sorted(options))


def _grid_values(key: str, spec, parameter: Parameter) -> tuple:
    if isinstance(spec, dict):
        if set(spec) != {"start", "stop", "num"}:
            raise ValueError(f"{key} = {spec!r}: a range must have exactly the keys start, "
                             "stop, num")
        num = spec["num"]
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise ValueError(f"{key}.num = {num!r}: must be an integer >= 1")
        limits.grid_points(f"{key}.num", num, "values of one parameter")
        for end in ("start", "stop"):
            parameter.check(f"{key}.{end}", spec[end])
        values = [float(v) for v in np.round(np.linspace(spec["start"], spec["stop"], num), 12)]
    elif isinstance(spec, list):
        if not spec:
            raise ValueError(f"{key} = []: must list at least one value")
        values = spec
    else:
        raise ValueError(f"{key} = {spec!r}: must be a list of values or "
                         "{start, stop, num}")
    checked = tuple(parameter.check(f"{key}[{i}]", v) for i, v in enumerate(values))
    if len(set(checked)) != len(checked):
        raise ValueError(f"{key} = {list(checked)!r}: values must not repeat")
    return checked


def validate(raw, source: str = "config") -> SweepConfig:
    """Check a parsed configuration (a dict) and return it as a :class:`SweepConfig`.

    Raises
    ------
    ValueError
        Naming the key, the value and what is allowed, for any unknown key, model, parameter
        or metric, a parameter that may not be swept, or a value out of range.
    neural_dynamics.limits.WorkTooLarge
        If the grid (points x seeds) exceeds ``max_points`` or ``limits.MAX_GRID_POINTS``.
    """
    if not isinstance(raw, dict):
        raise ValueError(f"{source}: must be a mapping with the keys {', '.join(KEYS)}")
    unknown = set(raw) - set(KEYS)
    if unknown:
        key = sorted(unknown)[0]
        raise ValueError(f"{key} = {raw[key]!r}: unknown key; allowed: {', '.join(KEYS)}")
    for key in REQUIRED:
        if key not in raw:
            raise ValueError(f"{key}: missing from {source}; required: {', '.join(REQUIRED)}")
    name = raw["name"]
    if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
        raise ValueError(f"name = {name!r}: must be a non-empty name of letters, digits and _")
    if raw["model"] not in MODELS:
        raise ValueError(f"model = {raw['model']!r}: must be one of {_allowed(MODELS)}")
    model = MODELS[raw["model"]]
    fixed_raw = raw.get("fixed") or {}
    grid_raw = raw["grid"]
    if not isinstance(fixed_raw, dict):
        raise ValueError(f"fixed = {fixed_raw!r}: must be a mapping of parameter: value")
    if not isinstance(grid_raw, dict) or not grid_raw:
        raise ValueError(f"grid = {grid_raw!r}: must be a non-empty mapping of parameter: "
                         "values")
    for section, entries in (("fixed", fixed_raw), ("grid", grid_raw)):
        for key in entries:
            if key not in model.parameters:
                raise ValueError(f"{section}.{key}: unknown parameter of model {raw['model']}; "
                                 f"allowed: {_allowed(model.parameters)}")
    both = set(fixed_raw) & set(grid_raw)
    if both:
        key = sorted(both)[0]
        raise ValueError(f"{key}: both fixed and in the grid; give it in one of them")
    fixed = {k: model.parameters[k].check(f"fixed.{k}", v) for k, v in fixed_raw.items()}
    for key in grid_raw:
        if not model.parameters[key].gridable:
            raise ValueError(f"grid.{key}: cannot be swept (the same for a whole batched "
                             "call); give it under fixed")
    seeds = raw.get("seeds", [0])
    if (not isinstance(seeds, list) or not seeds
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds)
            or len(set(seeds)) != len(seeds)):
        raise ValueError(f"seeds = {seeds!r}: must be a non-empty list of distinct integers "
                         ">= 0")
    max_points = raw.get("max_points", 10_000)
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise ValueError(f"max_points = {max_points!r}: must be an integer >= 1")
    size = math.prod(
        (g["num"] if isinstance(g, dict) and isinstance(g.get("num"), int)
         else len(g) if isinstance(g, list) else 1) for g in grid_raw.values()) * len(seeds)
    if size > max_points:
        raise limits.WorkTooLarge(
            f"grid = {size:,} points (values x seeds): more than max_points = {max_points:,}")
    limits.grid_points("grid, seeds", size, "points of the sweep")
    grid = {k: _grid_values(f"grid.{k}", v, model.parameters[k]) for k, v in grid_raw.items()}
    metrics = raw["metrics"]
    if not isinstance(metrics, list) or not metrics:
        raise ValueError(f"metrics = {metrics!r}: must be a non-empty list; allowed: "
                         f"{', '.join(model.metrics)}")
    for metric in metrics:
        if metric not in model.metrics:
            raise ValueError(f"metrics: {metric!r} is not a metric of model {raw['model']}; "
                             f"allowed: {', '.join(model.metrics)}")
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"metrics = {metrics!r}: must not repeat")
    chunk = raw.get("chunk_size", 1)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk_size = {chunk!r}: must be an integer >= 1")
    config = SweepConfig(name, raw["model"], fixed, grid, tuple(seeds), tuple(metrics), chunk,
                         max_points)
    _check_consistency(config)
    return config


def _check_consistency(config: SweepConfig) -> None:
    """Checks across parameters, on the fixed values (they hold for every point)."""
    values = {name: p.default for name, p in MODELS[config.model].parameters.items()}
    values.update(config.fixed)
    if "transient_ms" in values:
        if values["duration_ms"] <= values["transient_ms"]:
            raise ValueError(f"fixed.duration_ms = {values['duration_ms']!r}: must be > "
                             f"transient_ms = {values['transient_ms']!r}")
        if values["dt_ms"] > values["duration_ms"] - values["transient_ms"]:
            raise ValueError(f"fixed.dt_ms = {values['dt_ms']!r}: must be <= duration_ms - "
                             "transient_ms")
    if "window_s" in values and values["window_s"] > values["settle_s"]:
        raise ValueError(f"fixed.window_s = {values['window_s']!r}: must be <= settle_s = "
                         f"{values['settle_s']!r}")
    theta = config.grid.get("theta_0_mv", [values.get("theta_0_mv")])
    leak = config.grid.get("e_leak_mv", [values.get("e_leak_mv")])
    if "theta_0_mv" in values and min(theta) <= max(leak):
        raise ValueError(f"theta_0_mv = {min(theta)!r}: must be > e_leak_mv = {max(leak)!r} "
                         "at every grid point")


def load(path) -> SweepConfig:
    """Read a YAML sweep configuration (``yaml.safe_load``) and validate it."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})") from None
    return validate(raw, str(path))
