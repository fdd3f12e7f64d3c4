"""Every reference to Keras in a module, with its canonical public name.

The project's resolver (:mod:`kerastf_xlate.resolve`) follows imports and scopes to find
Keras *layers*; the program form needs every Keras name a program uses (``keras.Input``,
``keras.ops.mean``, ``keras.src.models.Functional``, ``keras.saving.register_keras_serializable``,
...), spelled any way Keras can be imported. This module reuses the resolver's scope passes
and records each maximal dotted chain that resolves into a Keras root, canonicalised to the
public ``keras.`` spelling (``tensorflow.keras.layers.Dense`` and
``keras.src.layers.core.dense.Dense`` are both ``keras.layers.Dense``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from kerastf_xlate.layers import KERAS2_LAYER_ALIASES, TF2_EXPERIMENTAL_LAYERS, TFA_ADAPTIVE_POOLINGS
from kerastf_xlate.resolve import _Binder, _Resolver, dotted

# longest first: the first root that prefixes a qualified name is the one it is under
ROOTS = ("tensorflow.python.keras", "tensorflow.keras", "tf_keras", "keras_core", "keras.api._v2.keras",
         "keras.api", "keras.src", "keras._tf_keras.keras", "keras")
_ROOT_NAMES = {r.split(".")[0] for r in ROOTS}

# keras.src module paths -> the public namespace they are exported under
_SRC_NAMESPACES = {
    "layers": "layers", "models": "models", "ops": "ops", "backend": "backend", "activations": "activations",
    "initializers": "initializers", "regularizers": "regularizers", "constraints": "constraints", "random": "random",
    "losses": "losses", "metrics": "metrics", "optimizers": "optimizers", "callbacks": "callbacks", "utils": "utils",
    "saving": "saving", "applications": "applications", "datasets": "datasets", "preprocessing": "preprocessing",
    "dtype_policies": "dtype_policies", "mixed_precision": "mixed_precision", "api_export": "api_export",
    "trainers": "trainers", "engine": "engine",
}
_OPS_SUBMODULES = {"image", "linalg", "nn", "numpy", "math", "core"}  # keras.ops.<sub>.fn (public for image, linalg, nn, numpy)


# TensorFlow 2's own names of Keras namespaces: ``tf.metrics`` is ``tf.keras.metrics`` (the same
# classes: ``tf.metrics.BinaryAccuracy is keras.metrics.BinaryAccuracy``), and so on
_TF_KERAS_ALIASES = ("metrics", "losses", "optimizers", "initializers")

# TensorFlow Addons (tfa) classes the program form translates, by their public path: tfa is
# built on tf.keras 2 (a file using it does not run under Keras 3), and these are Keras layers
# and optimizers whose computation its source fixes (docs/design.md, "TensorFlow Addons").
# Every other ``tensorflow_addons`` name stays outside code, as any other package's is.
ADDONS_ROOT = "tensorflow_addons"
ADDONS = frozenset({
    "tensorflow_addons.optimizers.AdamW", "tensorflow_addons.optimizers.SGDW", "tensorflow_addons.optimizers.LAMB",
    "tensorflow_addons.layers.InstanceNormalization", "tensorflow_addons.layers.GroupNormalization",
    "tensorflow_addons.layers.GELU",
    *(f"tensorflow_addons.layers.{name}" for name in TFA_ADAPTIVE_POOLINGS),
})


# TensorFlow Hub's Keras layer (docs/design.md, "TensorFlow Hub"): a tf.keras 2 layer wrapping
# the SavedModel ``tensorflow_hub.load`` gives, which the program form calls as the layer does.
# Every other ``tensorflow_hub`` name (``hub.load``, ``hub.resolve``) is TensorFlow's already.
HUB_ROOT = "tensorflow_hub"
HUB = frozenset({"tensorflow_hub.KerasLayer"})
_HUB_PATHS = {"tensorflow_hub.KerasLayer": "tensorflow_hub.KerasLayer",
              "tensorflow_hub.keras_layer.KerasLayer": "tensorflow_hub.KerasLayer"}
# keras-contrib (docs/design.md, "keras-contrib"): the add-on package of standalone Keras 2 (a file
# using it runs under Keras 2 only), whose InstanceNormalization GAN programs build with; its
# three import paths (the package, the module before its 2019 split, the module after) are one
# class. Every other ``keras_contrib`` name stays outside code.
CONTRIB_ROOT = "keras_contrib"
CONTRIB = frozenset({"keras_contrib.layers.InstanceNormalization"})
_CONTRIB_PATHS = {path: "keras_contrib.layers.InstanceNormalization" for path in (
    "keras_contrib.layers.InstanceNormalization", "keras_contrib.layers.normalization.InstanceNormalization",
    "keras_contrib.layers.normalization.instancenormalization.InstanceNormalization")}
# the outside packages some of whose classes the program form translates, and those classes
OUTSIDE_ROOTS = (ADDONS_ROOT, HUB_ROOT, CONTRIB_ROOT)
TRANSLATED_OUTSIDE = ADDONS | HUB | CONTRIB


def _addons(qual: str) -> str | None:
    """The public tfa path of ``qual`` when the program form translates it
    (``tensorflow_addons.optimizers.weight_decay_optimizers.AdamW`` is
    ``tensorflow_addons.optimizers.AdamW``), else None."""
    parts = qual.split(".")
    if len(parts) < 3:
        return None
    public = ".".join((parts[0], parts[1], parts[-1]))
    return public if public in ADDONS else None


# Keras 2's submodules of ``keras.layers`` that Keras 3 does not have. Every name they exported
# is the class or function ``keras.layers.<Name>`` of the same Keras 2 (``from
# keras.layers.convolutional import Conv2D``), so the program form reads it as that name; the
# program is then a Keras 2 program (keras2.py, docs/design.md "Keras 2 programs").
KERAS2_LAYER_MODULES = frozenset({
    "merge", "core", "convolutional", "pooling", "normalization", "recurrent", "embeddings", "advanced_activations",
    "wrappers", "noise", "local", "convolutional_recurrent", "cudnn_recurrent",
})


def application_builder(ref: Ref) -> bool:
    """A ``keras.applications`` model builder (``VGG19``), not ``preprocess_input``."""
    return ref.name.startswith("keras.applications.") and ref.name.rsplit(".", 1)[-1][:1].isupper()


# where Keras 2 kept `get_source_inputs` (keras.applications-style builders import it to take
# a given `input_tensor`'s Inputs): 2.0-2.1 `engine.topology`, 2.2 `engine`/`engine.network`,
# tf.keras 2 `utils.layer_utils`; one function, Keras 3's `keras.utils.get_source_inputs`
KERAS2_SOURCE_INPUTS_MODULES = frozenset({"keras.engine", "keras.engine.topology", "keras.engine.network",
                                          "keras.utils.layer_utils"})
# Keras 2's legacy aliases of its constraints (keras/constraints.py: `maxnorm = max_norm`, ...),
# which Keras 3 spells only the other way
KERAS2_CONSTRAINT_ALIASES = {"maxnorm": "max_norm", "nonneg": "non_neg", "unitnorm": "unit_norm"}
# Keras 2's engine modules that held the public base classes (`from keras.engine.topology import
# Layer`, Keras 2.0-2.1; `keras.engine.base_layer`, 2.2-2.3; tf.keras 2's `keras.engine.base_layer`):
# the same objects as `keras.layers.Layer`, `keras.layers.InputSpec`, `keras.Model`, `keras.Input`
KERAS2_ENGINE_CLASSES = {
    "Layer": ("keras.layers.Layer", frozenset({"keras.engine", "keras.engine.topology", "keras.engine.base_layer"})),
    "InputSpec": ("keras.layers.InputSpec", frozenset({"keras.engine", "keras.engine.topology",
                                                       "keras.engine.base_layer", "keras.engine.input_spec"})),
    "Model": ("keras.Model", frozenset({"keras.engine", "keras.engine.training"})),
    "Input": ("keras.Input", frozenset({"keras.engine", "keras.engine.topology", "keras.engine.input_layer"})),
}


def keras2_path(qual: str) -> str | None:
    """The Keras 3 name of a Keras 2 path Keras 3 does not have (``keras.layers.merge.concatenate``
    is ``keras.layers.concatenate``, ``keras.models.Input`` is ``keras.Input``), or None."""
    parts = qual.split(".")
    if parts == ["keras", "models", "Input"]:
        return "keras.Input"
    if len(parts) in (3, 4) and parts[:2] == ["keras", "layers"] and parts[-1] in KERAS2_LAYER_ALIASES \
            and (len(parts) == 3 or parts[2] == "convolutional"):
        return "keras.layers." + KERAS2_LAYER_ALIASES[parts[-1]]
    if len(parts) == 4 and parts[:2] == ["keras", "layers"] and parts[2] in KERAS2_LAYER_MODULES:
        return "keras.layers." + parts[3]
    if len(parts) == 4 and parts[:3] == ["keras", "utils", "vis_utils"] and parts[3] in ("plot_model", "model_to_dot"):
        return "keras.utils." + parts[3]  # Keras 2's module of the model plots
    if parts[-1] == "get_source_inputs" and ".".join(parts[:-1]) in KERAS2_SOURCE_INPUTS_MODULES:
        return "keras.utils.get_source_inputs"
    if parts[-1] in KERAS2_ENGINE_CLASSES and ".".join(parts[:-1]) in KERAS2_ENGINE_CLASSES[parts[-1]][1]:
        return KERAS2_ENGINE_CLASSES[parts[-1]][0]
    if len(parts) == 3 and parts[:2] == ["keras", "constraints"] and parts[2] in KERAS2_CONSTRAINT_ALIASES:
        return "keras.constraints." + KERAS2_CONSTRAINT_ALIASES[parts[2]]
    return None


def canonical(qual: str) -> str | None:
    """The public Keras spelling of a qualified name under a Keras root (or the public path of
    a translated TensorFlow Addons or Hub class, :data:`TRANSLATED_OUTSIDE`), or None."""
    parts = qual.split(".")
    if parts[0] == ADDONS_ROOT:
        return _addons(qual)
    if parts[0] == HUB_ROOT:
        return _HUB_PATHS.get(qual)
    if parts[0] == CONTRIB_ROOT:
        return _CONTRIB_PATHS.get(qual)
    qual = keras2_path(qual) or qual
    if len(parts) >= 3 and parts[0] == "tensorflow" and parts[1] in _TF_KERAS_ALIASES:
        qual = "tensorflow.keras." + ".".join(parts[1:])
    for root in ROOTS:
        if qual == root:
            return "keras"
        if qual.startswith(root + "."):
            rest = qual[len(root) + 1 :].split(".")
            break
    else:
        return None
    if root == "keras.src" or root == "tensorflow.python.keras":
        rest = _public_path(rest)
    if rest and rest[0] == "models" and len(rest) >= 2 and rest[-1] in ("Functional", "Model"):
        return "keras.Model"
    if rest and rest[0] == "models" and len(rest) >= 2 and rest[-1] == "Sequential":
        return "keras.Sequential"
    if rest[:2] == ["layers", "experimental"] and len(rest) in (3, 4) \
            and rest[-1] in TF2_EXPERIMENTAL_LAYERS.get(rest[2] if len(rest) == 4 else "", ()):
        rest = ["layers", rest[-1]]
    if rest[:1] == ["layers"] and len(rest) >= 2 and rest[-1] in ("Input", "InputLayer", "Layer", "InputSpec"):
        return "keras.layers." + rest[-1] if rest[-1] != "Input" else "keras.Input"
    if rest in (["Model"], ["Sequential"], ["Input"]):
        return "keras." + rest[0]
    if rest in (["Layer"], ["InputLayer"], ["InputSpec"]):
        return "keras.layers." + rest[0]
    if len(rest) == 2 and rest[0] == "layers":
        return "keras.layers." + layer_name(rest[1])
    if root == "tensorflow.python.keras":
        # tf.keras 2's private modules keep Keras 2's layout (`utils.vis_utils.plot_model`,
        # `layers.merge.concatenate`): the names Keras 2's paths are
        new = keras2_path("keras." + ".".join(rest))
        if new is not None:
            return new
    return "keras." + ".".join(rest)


def layer_name(name: str) -> str:
    """The canonical class name of a Keras layer spelled ``name``: Keras's aliases
    (``MaxPool2D``, ``GlobalAvgPool1D``, ``Convolution2D``...) are listed in each layer's rule
    (``names``), so ``MaxPool2D`` is ``MaxPooling2D`` everywhere the program form looks."""
    from kerastf_xlate.rules import default_rules

    rule = default_rules().get(name)
    return rule.layer if rule is not None and name in rule.names else name


def _public_path(rest: list[str]) -> list[str]:
    """``keras.src`` internals -> public path: ``layers.core.dense.Dense`` -> ``layers.Dense``,
    ``ops.numpy.mean`` -> ``ops.mean``, ``ops.image.resize`` stays."""
    if not rest or rest[0] not in _SRC_NAMESPACES:
        return rest
    ns = _SRC_NAMESPACES[rest[0]]
    if len(rest) == 1:
        return [ns]
    if ns == "ops":
        if len(rest) >= 3 and rest[1] in ("image", "linalg"):
            return ["ops", rest[1], rest[-1]]
        if len(rest) >= 3 and rest[1] == "operation_utils":
            return ["ops", "operation_utils", *rest[2:]]
        return ["ops", rest[-1]] if len(rest) >= 3 and rest[1] in _OPS_SUBMODULES else ["ops", *rest[1:]]
    if ns == "layers" and len(rest) >= 2:
        last = rest[-1]
        if last[:1].isupper() or len(rest) == 2:
            return ["layers", last]
        return rest
    if ns in ("applications", "utils", "backend", "saving", "api_export"):
        return [ns, *rest[1:]]
    if len(rest) >= 2:
        return [ns, rest[-1]] if rest[-1][:1].isupper() or len(rest) == 2 else [ns, *rest[1:]]
    return [ns]


@dataclass(frozen=True)
class Ref:
    """One reference to Keras: the expression (Name or Attribute chain), its canonical name,
    and how it is used."""

    node: ast.expr
    qualname: str  # as resolved (keras.src.layers.Conv2D)
    name: str  # canonical (keras.layers.Conv2D)
    call: ast.Call | None  # the call whose func is this reference
    role: str  # call | base | decorator | value


class _AllKeras(_Resolver):
    """The resolver's second pass, recording every chain that resolves into Keras."""

    def __init__(self, binder: _Binder, local_roots: set[str]) -> None:
        super().__init__(binder, set())
        self._local_roots = local_roots
        self.refs: list[Ref] = []
        self._roles: dict[int, str] = {}

    def _record(self, node: ast.expr, parts: list[str]) -> bool:
        # (a star import of a Keras module binds names the cheap filter cannot list: `*`)
        if parts[0] not in self._local_roots and "*" not in self._local_roots:
            return False
        qual = self.resolve(parts, (node.lineno, node.col_offset))
        if qual is None:
            return False
        name = canonical(qual)
        if name is None:
            return False
        call = self._call_func.get(id(node))
        role = "call" if call is not None else self._roles.get(id(node), "value")
        self.refs.append(Ref(node, qual, name, call, role))
        return True

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._record(node, [node.id])

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parts = dotted(node)
        if parts is not None and isinstance(node.ctx, ast.Load) and self._record(node, parts):
            return
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.AST) -> None:
        assert isinstance(node, ast.ClassDef)
        for b in node.bases:
            self._roles[id(b)] = "base"
        for d in node.decorator_list:
            self._roles[id(d)] = "decorator"
            if isinstance(d, ast.Call):
                self._roles[id(d.func)] = "decorator"
        super().visit_ClassDef(node)

    def _function(self, node: ast.AST) -> None:
        for d in getattr(node, "decorator_list", []):
            self._roles[id(d)] = "decorator"
            if isinstance(d, ast.Call):
                self._roles[id(d.func)] = "decorator"
        self._with_scope(node)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function


def keras_refs(tree: ast.Module) -> list[Ref]:
    """Every reference to a Keras name in ``tree``, in source order."""
    binder = _Binder(set())
    binder.visit(tree)
    resolver = _AllKeras(binder, _names_bound_to_keras(binder))
    resolver.visit(tree)
    # a decorator call's func is recorded with role "call"; make it "decorator"
    out = []
    for r in resolver.refs:
        if r.call is not None and resolver._roles.get(id(r.node)) == "decorator":
            r = Ref(r.node, r.qualname, r.name, r.call, "decorator")
        out.append(r)
    return sorted(out, key=lambda r: (r.node.lineno, r.node.col_offset))


def _names_bound_to_keras(binder: _Binder) -> set[str]:
    """Names some import binds to a Keras path (a cheap filter before resolving)."""
    out: set[str] = set()
    stack = [binder.module]
    seen = set()
    scopes = list(binder.scope_of.values()) + [binder.module]
    for scope in scopes:
        if id(scope) in seen:
            continue
        seen.add(id(scope))
        for name, entries in scope.bindings.items():
            for _, qual in entries:
                if qual is not None and (qual.split(".")[0] in _ROOT_NAMES) and canonical(qual) is not None:
                    out.add(name)
                elif qual is not None and qual.split(".")[0] in OUTSIDE_ROOTS:  # `import tensorflow_addons as tfa`
                    out.add(name)
                elif qual is not None and qual in ("tensorflow",):
                    out.add(name)
        for _, module in scope.star_imports:
            if canonical(module) is not None:
                out.add("*")
    del stack
    return out


def bound_name(node: ast.AST) -> str | None:
    """The name a node binds: an assigned or deleted name, a ``def``/``class``, a parameter,
    an import alias (its first part); None for any other node."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return node.id
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.arg):
        return node.arg
    if isinstance(node, ast.alias):
        return (node.asname or node.name).split(".")[0]
    return None


def changed_in_place(node: ast.AST, mutators: frozenset[str]) -> str | None:
    """The name whose object a node changes in place: the root of a subscript or attribute it
    stores into or deletes (``cfg["units"] = 8``), or the receiver of a method call named in
    ``mutators`` (``sizes.append(9)``); None otherwise."""
    if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)):
        root: ast.expr = node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in mutators:
        root = node.func.value
    else:
        return None
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root = root.value
    return root.id if isinstance(root, ast.Name) else None


def is_camel(name: str) -> bool:
    return bool(re.match(r"[A-Z]", name))
