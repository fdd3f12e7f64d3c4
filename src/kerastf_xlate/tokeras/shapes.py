"""Static shapes through Keras layers, to give a recovered model back its ``keras.Input``.

``xlate to-tf`` does not write a model's input shape down; it only shows where it mattered:
in the static shapes of the variables (a ``Dense`` kernel of ``[5408, 10]`` after a
``Flatten``), in ``tf.matmul`` (rank 2) versus ``tf.tensordot``, in the axes of
``tf.nn.moments``. Each layer family knows its output shape and what its code shows about
its input (:class:`~kerastf_xlate.layerkit.family.LayerFamily`); this module asks the right
family for a recovered layer.
"""

from __future__ import annotations

from typing import Any

from kerastf_xlate.layerkit.recognise import LayerSpec, Match
from kerastf_xlate.layerkit.shapes import Fact, Shape, Unbuildable
from kerastf_xlate.layers import family_for
from kerastf_xlate.rules import RuleSet, default_rules

__all__ = ["Fact", "Shape", "Unbuildable", "input_hint", "input_facts", "out_shape", "rank_hint"]


def out_shape(cls: str, args: dict[str, str], ins: list[Shape | None], rules: RuleSet | None = None) -> Shape | None:
    """The Keras output shape of a layer (None when it cannot be told statically)."""
    family = family_for(cls, rules or default_rules())
    if family is None or family.output_shape is None:
        return None
    return family.output_shape(cls, args, ins)


def input_facts(index: int, m: Match, rules: RuleSet) -> list[Fact]:
    """What to-tf's code for application ``index`` shows about its input."""
    family = family_for(m.spec.cls, rules)
    if family is None or family.facts is None:
        return []
    return family.facts(index, m)


def input_hint(spec: LayerSpec, rules: RuleSet) -> dict[str, Any]:
    """What a layer applied to the model's input says about that input (used by verify to
    make test inputs)."""
    hint: dict[str, Any] = {"cls": spec.cls}
    family = family_for(spec.cls, rules)
    if family is not None and family.input_hint is not None:
        hint.update(family.input_hint(spec))
    return hint


def rank_hint(m: Match, rules: RuleSet) -> int | None:
    """The input rank a model's first layer implies: ``Conv2D``, ``MaxPooling2D``,
    ``Conv2DTranspose``... take rank 4 (Keras's naming), a family may say more."""
    cls = m.spec.cls
    hint = None
    for r in (1, 2, 3):
        if cls.endswith(f"{r}D") or cls.endswith(f"{r}DTranspose"):
            hint = r + 2
    family = family_for(cls, rules)
    if family is not None and family.rank_hint is not None:
        hint = family.rank_hint(m) or hint
    return hint


def input_dtype(cls: str, rules: RuleSet) -> str | None:
    """The dtype a model input read first by ``cls`` has (``int32`` for Embedding)."""
    family = family_for(cls, rules)
    return family.input_dtype if family is not None else None
