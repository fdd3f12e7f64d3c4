"""What a to-keras translation returns: the new text, the diagnostics, and what verify needs
to know about each translated unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.diagnostics import Diagnostic


@dataclass
class UnitInfo:
    """What verify needs to know about one translated unit."""

    name: str  # class name in the original
    kind: str  # module | sequential | functional
    weight_order: list[str]  # original variable attributes, in the Keras model's get_weights() order
    kept_vars: list[str] = field(default_factory=list)
    instance: str | None = None  # module-level name bound to an instance (graph units)
    input_shapes: list[tuple[int | None, ...]] | None = None  # keras.Input shapes written (batch axis first)
    input_hint: dict[str, Any] | None = None  # what the first layer shows about the input
    # weights of weight_order that load reshaped: a scalar bias of a Dense(1) is its (1,) bias
    reshape: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # original variable attribute -> the raised layer weight (``dense.kernel``), for a module unit
    weight_paths: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    text: str
    diagnostics: list[Diagnostic]
    units: list[UnitInfo]
