"""One layer family: everything the project knows about a group of Keras layers.

A layer module (``kerastf_xlate.layers.<module>``) defines one :class:`LayerFamily` per
``counterpart.handler`` name of the rules it serves (``conv`` serves Conv1D/2D/3D); the rules
say which family a layer belongs to, the family says what to do with it. Nothing registers
by hand: :mod:`kerastf_xlate.layers` finds the families in its modules.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted
from kerastf_xlate.layerkit.recognise import LayerSpec, Match, MatchCtx
from kerastf_xlate.layerkit.shapes import Fact, Shape

# Where the to-keras engine tries a recogniser (in this order), and what it is given:
CORE = "core"  # (node, ctx) -> Match: a weighted op that a bias and an activation fold into
EXPRESSION = "expression"  # (node, ctx) -> Match: one expression is one layer application
SEQUENCE = "sequence"  # (ctx, stmts, i) -> (target, Match): statements ending at stmts[i]
BLOCK = "block"  # (ctx, stmt) -> (target, Match): one compound statement (``if training: ...``)
DEFINITION = "definition"  # (ctx, stmt) -> info: a statement that defines what a later use reads
DEFUSE = "defuse"  # (ctx, node, i, reach) -> (Match | None,) | None: a use followed to its definitions
STAGES = (CORE, EXPRESSION, SEQUENCE, BLOCK, DEFINITION, DEFUSE)


@dataclass(frozen=True)
class Recogniser:
    """A to-keras pattern: ``fn`` recognises an application of the family's layers (or of a
    sibling family's in the same module, where one TensorFlow op serves several layers)."""

    stage: str
    priority: int  # order within the stage, lower first (fixed numbers: the order on disk is irrelevant)
    fn: Callable[..., Any]

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"unknown recogniser stage {self.stage!r}")


@dataclass(frozen=True)
class LayerFamily:
    """What the project knows about the layers whose rules name ``name`` as their handler.

    - ``emit``: to-tf, the TensorFlow statements and variables of one application;
    - ``recognisers``: to-keras, TensorFlow code that is an application of the layer;
    - ``output_shape(cls, args, ins)``: to-keras, the Keras output shape for the layer's
      arguments (source, as a recovered :class:`LayerSpec` holds them) and input shapes;
      raises :class:`~kerastf_xlate.layerkit.shapes.Unbuildable` where Keras could not build it;
    - ``facts(index, match)``: to-keras, what an application shows about its input;
    - ``input_hint(spec)``: what a layer applied to a model's input says about that input;
    - ``rank_hint(match)``: the input rank a model's first layer implies;
    - ``input_dtype``: the dtype a model's input has when this layer reads it first;
    - ``refine_arguments(match, input_shape)``: complete arguments that the input's sizes
      tell, once the model's ``keras.Input`` is known (EinsumDense's ``output_shape``);
    - ``multi_input``: the layer takes a list of inputs (a Sequential model cannot hold it);
    - ``object_names``: friendlier names than Keras's own (``re_lu``) for to-keras's layer objects.
    """

    name: str
    emit: Callable[[EmitCtx], Emitted] | None = None
    recognisers: tuple[Recogniser, ...] = ()
    output_shape: Callable[[str, dict[str, str], list[Shape | None]], Shape | None] | None = None
    facts: Callable[[int, Match], list[Fact]] | None = None
    input_hint: Callable[[LayerSpec], dict[str, Any]] | None = None
    rank_hint: Callable[[Match], int | None] | None = None
    input_dtype: str | None = None
    refine_arguments: Callable[[Match, Shape | None], None] | None = None
    multi_input: bool = False
    object_names: tuple[tuple[str, str], ...] = ()  # (class, attribute name to-keras gives its objects)


SequenceFn = Callable[[MatchCtx, "list[ast.stmt]", int], "tuple[str, Match] | None"]


def calling(q: str, fn: Callable[[ast.Call, MatchCtx], Match | None]) -> Callable[[ast.AST, MatchCtx], Match | None]:
    """A recogniser that hands ``fn`` the calls of TensorFlow API ``q`` (canonical name) only."""

    def recognise(node: ast.AST, ctx: MatchCtx) -> Match | None:
        return fn(node, ctx) if isinstance(node, ast.Call) and ctx.names.call(node) == q else None

    return recognise
