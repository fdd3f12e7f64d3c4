"""Names for the Keras layer objects ``to-keras`` creates."""

from __future__ import annotations

import os

from kerastf_xlate.layerkit.recognise import LayerSpec, Var
from kerastf_xlate.layers import family_for
from kerastf_xlate.rules import RuleSet
from kerastf_xlate.static import Namer, snake

# attribute names a keras.Model / Layer already uses: a layer must not shadow them
RESERVED = frozenset({
    "add_loss", "add_weight", "add_variable", "add_metric", "losses", "built", "build", "compute_dtype",
    "variable_dtype", "dtype_policy", "input_spec", "supports_masking", "compile", "fit", "evaluate",
    "predict", "layers", "get_layer", "compute_output_shape", "compute_mask", "trainable_weights",
    "non_trainable_weights", "weights", "get_weights", "set_weights", "metrics", "optimizer", "loss",
    "count_params", "save", "save_weights", "load_weights", "summary", "train_step", "test_step",
    "predict_step", "stop_training", "output_shape", "input_shape", "quantize", "dtype", "trainable",
    "inputs", "outputs", "input", "output", "name", "call", "variables", "trainable_variables",
    "non_trainable_variables", "get_config", "from_config", "state", "path", "training", "submodules",
})

def base_name(cls: str, rules: RuleSet) -> str:
    """The name of a layer object: the family's friendlier one (``relu``, not ``re_lu``), or Keras's."""
    family = family_for(cls, rules)
    return dict(family.object_names).get(cls, snake(cls)) if family is not None else snake(cls)


def namer(taken: set[str] | None = None) -> Namer:
    """A :class:`~kerastf_xlate.static.Namer` for Keras layer objects: never a Keras model attribute."""
    return Namer(taken, RESERVED)


def weight_stem(spec: LayerSpec) -> str | None:
    """A name shared by the layer's variables: ``dense`` from name='dense/kernel', or
    ``conv1`` from ``conv1_w`` / ``conv1_b``."""
    vars_: list[Var] = list(spec.weights.values())
    if not vars_:
        return None
    prefixes = {v.prefix for v in vars_}
    if len(prefixes) == 1 and None not in prefixes:
        p = prefixes.pop()
        assert p is not None
        return p if p.isidentifier() else None
    for role, v in spec.weights.items():
        if v.attr.endswith("_" + role) and all(w.attr.startswith(v.attr[: -len(role) - 1] + "_") for w in vars_):
            return v.attr[: -len(role) - 1]
    if len(vars_) > 1:
        stem = os.path.commonprefix([v.attr for v in vars_]).rstrip("_")
        numbered = all(v.attr[len(stem):].lstrip("_").isdigit() for v in vars_)  # `params_0`, `params_1`: entries of a list
        if len(stem) >= 2 and stem.isidentifier() and not numbered:
            return stem
    return None
