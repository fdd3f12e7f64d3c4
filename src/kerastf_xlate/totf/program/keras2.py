"""Keras 2 programs: files spelled with Keras 2 names that Keras 3 does not have.

``from keras.layers.convolutional import Conv2D``, ``from keras.models import Input`` and
``from keras import backend as K; K.sum(x)`` fail under Keras 3 before anything runs. Each
names what ``keras.layers.Conv2D``, ``keras.Input`` and ``tf.keras.backend.sum`` name in the
same Keras 2, so the program form reads them as those names (:func:`names.keras2_path`) and
says so at each (XL102, a note). The program's reference is then Keras 2, not the installed
Keras 3, and Keras 2 was not one program: 2.0 to 2.2 (standalone, 2017-2019) and tf.keras
2.3 to 2.15 differ in a few defaults and formulas, and some differ from Keras 3. Where they
do, the model stays Keras, with XL102 saying why (:func:`blockers`). Everything else computes
the same in every Keras 2 and in Keras 3 (docs/design.md, "Keras 2 programs (XL102)"; the
executed tests compare with tf-keras, the last Keras 2).
"""

from __future__ import annotations

import ast
import functools
import re

from kerastf_xlate.layers import (
    KERAS1_KERNEL_SIZES,
    KERAS1_KEYWORDS,
    KERAS2_BILINEAR_DIFFERS,
    KERAS2_LAYER_KEYWORDS,
    KERAS2_LEGACY_CONVOLUTIONS,
    KERAS2_RECURRENT_DEFAULTS,
    KERAS2_SIZE_ARGUMENTS,
    KERAS2_TRAINING_DIFFERS,
    TF_KERAS2_RECURRENT_AS_KERAS3,
)
from kerastf_xlate.totf.program.names import ADDONS_ROOT, CONTRIB_ROOT, HUB, OUTSIDE_ROOTS, Ref, keras2_path, keras_refs
from kerastf_xlate.totf.program.training_checks import model_compile_calls

# what Keras 3's own `keras.backend` exports (keras/api/backend/__init__.py, Keras 3.15); Keras
# 2's backend functions (`K.int_shape`, `K.square`, `K.repeat_elements`...) are under
# `tf.keras.backend` only (keras/_tf_keras), and `from keras import backend as K; K.square(x)`
# raises AttributeError under Keras 3. tests/test_program_legacy_layer_paths.py checks the list.
KERAS3_BACKEND = frozenset({
    "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format", "is_float_dtype", "is_int_dtype",
    "is_keras_tensor", "result_type", "set_epsilon", "set_floatx", "set_image_data_format", "standardize_dtype",
})

# optimizers whose update is one formula in Keras 2.0-2.15 and Keras 3 (Adam's and SGD's);
# RMSprop, Adagrad and Adadelta put epsilon inside or outside the square root depending on
# the version, and Nadam, Adamax and Ftrl changed too
SAME_OPTIMIZERS = frozenset({"Adam", "SGD"})


# Keras 2's model API that the translated model (Keras 3's API) does not have, or has with
# other values (`metrics_names`: Keras 2 ['loss', 'acc'], Keras 3 ['loss', 'compile_metrics'])
KERAS2_MODEL_API = frozenset({"predict_classes", "predict_proba", "_make_predict_function", "_make_train_function",
                              "metrics_names"})
# the training methods whose keywords are checked against the runtime's (Keras 3's) signatures
_CHECKED_METHODS = ("compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch",
                    "fit_generator", "evaluate_generator", "predict_generator")


@functools.cache
def runtime_keywords() -> dict[str, frozenset[str]]:
    """The keywords each training method of the runtime ``Model`` takes (its source, parsed)."""
    from kerastf_xlate.totf.program.bundle import load_runtime

    tree = ast.parse(load_runtime().by_name["_TrainingMethods"].source)
    out: dict[str, frozenset[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in _CHECKED_METHODS and node.args.kwarg is None:
            out[node.name] = frozenset(a.arg for a in node.args.args + node.args.kwonlyargs)
    return out


# Keras 2's scikit-learn wrappers' module (tf.keras 2's to TensorFlow 2.11; not in Keras 3)
SKLEARN_WRAPPERS = "keras.wrappers.scikit_learn."


def spelled(ref: Ref) -> str | None:
    """The Keras 3 name ``ref`` is spelled as in Keras 2 only, or None: a Keras 2 path
    (``keras.layers.merge.concatenate``), or a backend function spelled from Keras itself that
    Keras 3's ``keras.backend`` does not have (``keras.backend.int_shape``)."""
    new = keras2_path(ref.qualname)
    if new is not None:
        return new
    parts = ref.qualname.split(".")
    if len(parts) == 3 and parts[:2] == ["keras", "backend"] and parts[2] not in KERAS3_BACKEND:
        return "tf.keras.backend." + parts[2]
    return None


def renamed_keywords(refs: list[Ref]) -> list[tuple[ast.keyword, str]]:
    """Keywords of a Keras 2 program that Keras 3 spells otherwise, with the same meaning: an
    optimizer's ``lr=`` (Keras 2.0-2.2's name, tf.keras 2's alias) is ``learning_rate=``."""
    out = []
    for ref in refs:
        if ref.call is None or not _optimizer(ref):
            continue
        given = {k.arg for k in ref.call.keywords}
        out += [(k, "learning_rate") for k in ref.call.keywords if k.arg == "lr" and "learning_rate" not in given]
    return out


def default_rate_keywords(refs: list[Ref]) -> list[ast.keyword]:
    """A tf.keras 2 program's ``Adam(lr=0.001)``: ``lr=`` given Adam's default learning rate as a
    literal. tf.keras 2.0-2.10 read ``lr`` as the learning rate, 2.11 and later ignore it (with
    a warning) and keep the default: the same rate in every tf.keras 2, so the keyword is
    renamed ``learning_rate=`` (any other value keeps the model)."""
    out = []
    for ref in refs:
        if ref.call is None or ref.name != "keras.optimizers.Adam":
            continue
        given = {k.arg for k in ref.call.keywords}
        out += [k for k in ref.call.keywords if k.arg == "lr" and "learning_rate" not in given
                and isinstance(k.value, ast.Constant) and type(k.value.value) in (int, float)
                and k.value.value == ADAM_DEFAULT_RATE]
    return out


# Adam's default learning rate in every Keras (standalone 2, tf.keras 2, Keras 3)
ADAM_DEFAULT_RATE = 0.001


def _optimizer(ref: Ref) -> bool:
    return ref.name.startswith("keras.optimizers.") and ref.name.count(".") == 2 and ref.name.rsplit(".", 1)[-1][:1].isupper()


def keras2_keywords(refs: list[Ref]) -> list[tuple[ast.keyword, str]]:
    """A Keras layer given a keyword only Keras 2's base Layer took (``LSTM(...,
    batch_input_shape=(32, None, 8), stateful=True)``): (the keyword, the layer's name)."""
    out: list[tuple[ast.keyword, str]] = []
    for ref in refs:
        if ref.call is None or ref.role != "call" or not ref.name.startswith("keras.layers.") or ref.name.count(".") != 2:
            continue
        last = ref.name.rsplit(".", 1)[1]
        out += [(k, last) for k in ref.call.keywords
                if k.arg in KERAS2_LAYER_KEYWORDS and last not in KERAS2_LAYER_KEYWORDS[k.arg]]
    return out


# Keras 1's keywords of the functional model's constructor, which standalone Keras 2.0-2.3 still
# took (keras/legacy/interfaces.py, `legacy_model_constructor`, renamed them with a warning);
# tf.keras (TensorFlow 1 and 2) and Keras 3 raise TypeError on them. A layer's: KERAS1_KEYWORDS
LEGACY_MODEL_KEYWORDS = {"input": "inputs", "output": "outputs"}


def legacy_keywords(refs: list[Ref], layers_only: bool = False) -> list[tuple[ast.keyword, str, str, str]]:
    """Keras 1's keywords of a call spelled through standalone Keras that Keras 2.0-2.3 renamed
    (``Model(input=x, output=y)``, ``Conv2D(64, (3, 3), border_mode='same')``): (the keyword,
    the callee's name as spelled, the Keras 1 name, the Keras 2 name). A keyword given with its Keras 2 name
    too raised there and is not one. A keyword :func:`read_legacy_keywords` renamed in the tree
    is still one (``legacy_arg``). ``layers_only``: not the model constructor's."""
    out: list[tuple[ast.keyword, str, str, str]] = []
    for ref in refs:
        if ref.call is None or ref.role != "call" or ref.node is not ref.call.func \
                or ref.qualname.startswith(_TF_KERAS_ROOTS):
            continue
        if ref.name == "keras.Model" and not layers_only:
            table = LEGACY_MODEL_KEYWORDS
        elif ref.name.startswith("keras.layers.") and ref.name.count(".") == 2 and ref.name[13:] in KERAS1_KEYWORDS:
            table = KERAS1_KEYWORDS[ref.name[13:]]
        else:
            continue
        callee = ref.qualname.rsplit(".", 1)[-1]  # as spelled (`Convolution2D`)
        given = [str(getattr(k, "legacy_arg", k.arg)) for k in ref.call.keywords]
        out += [(k, callee, arg, table[arg]) for k, arg in zip(ref.call.keywords, given)
                if arg in table and table[arg] not in given]
    return out


def read_legacy_keywords(refs: list[Ref]) -> None:
    """Rename :func:`legacy_keywords` in the tree (``k.arg``; the Keras 1 name stays as
    ``k.legacy_arg``), so the analysis, which reads Keras 2's and 3's names, sees the calls
    Keras 2 saw. The text is edited where a translation keeps the call
    (:func:`legacy_layer_keywords`); a translated model statement is written anew."""
    for keyword, _, old, new in legacy_keywords(refs):
        if not hasattr(keyword, "legacy_arg"):
            keyword.legacy_arg = old  # type: ignore[attr-defined]
            keyword.arg = new


def legacy_kernel_sizes(refs: list[Ref]) -> list[ast.Call]:
    """Keras 1's convolutions given their kernel's sizes as positional integers
    (``Convolution2D(32, 3, 3)``) in a file with Keras 1's layer keywords, which only Keras
    2.0-2.3 ran: those put the sizes together as the kernel size (tf.keras 2.4 and later and
    Keras 3 read the third argument as the strides, and the file is not theirs). Not when
    ``padding``, ``strides`` or ``data_format`` came by their Keras 2 names too (Keras 2.0-2.3
    raised ValueError). A call :func:`read_legacy_kernel_sizes` changed is still one."""
    if not legacy_layer_keywords(refs):
        return []
    out: list[ast.Call] = []
    for ref in refs:
        call = ref.call
        if call is None or ref.role != "call" or ref.node is not call.func or ref.qualname.startswith(_TF_KERAS_ROOTS) \
                or not ref.name.startswith("keras.layers.") or ref.name[13:] not in KERAS1_KERNEL_SIZES:
            continue
        if any(getattr(a, "legacy_kernel", False) for a in call.args):
            out.append(call)
            continue
        sizes = call.args[1:]
        given = {getattr(k, "legacy_arg", k.arg) for k in call.keywords}
        if len(sizes) == KERAS1_KERNEL_SIZES[ref.name[13:]] \
                and all(isinstance(a, ast.Constant) and type(a.value) is int for a in sizes) \
                and not given & {"padding", "strides", "data_format", "kernel_size"}:
            out.append(call)
    return out


def read_legacy_kernel_sizes(refs: list[Ref]) -> None:
    """Put :func:`legacy_kernel_sizes` together in the tree as Keras 2.0-2.3 did (one tuple
    argument, marked ``legacy_kernel``); translate.py puts the text in parentheses."""
    for call in legacy_kernel_sizes(refs):
        if any(getattr(a, "legacy_kernel", False) for a in call.args):
            continue
        sizes = call.args[1:]
        kernel = ast.Tuple(elts=sizes, ctx=ast.Load(), lineno=sizes[0].lineno, col_offset=sizes[0].col_offset,
                           end_lineno=sizes[-1].end_lineno, end_col_offset=sizes[-1].end_col_offset)
        kernel.legacy_kernel = True  # type: ignore[attr-defined]
        call.args = [call.args[0], kernel]


def numpy_sizes(tree: ast.Module, refs: list[Ref]) -> list[tuple[ast.expr, str]]:
    """A Keras 2 program's layer sizes computed by NumPy (``Dense(np.prod(img_shape))``, a GAN
    generator's last layer): a NumPy integer, which every Keras 2 took as the size and Keras 3
    (and the runtime, as Keras 3) raises on. (the argument, the layer's name); the translation
    writes ``int(...)`` around it, as Keras 2 read it."""
    numpy = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
             if a.name == "numpy"}
    numpy_names = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "numpy"
                   for a in n.names}
    if not numpy and not numpy_names:
        return []

    def from_numpy(value: ast.expr) -> bool:
        if not isinstance(value, ast.Call):
            return False
        func = value.func
        return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in numpy \
            or isinstance(func, ast.Name) and func.id in numpy_names

    out: list[tuple[ast.expr, str]] = []
    for ref in refs:
        last = ref.name.rsplit(".", 1)[-1]
        call = ref.call
        if call is None or ref.role != "call" or ref.node is not call.func or not ref.name.startswith("keras.layers.") \
                or last not in KERAS2_SIZE_ARGUMENTS:
            continue
        for index, keyword in KERAS2_SIZE_ARGUMENTS[last]:
            value = call.args[index] if len(call.args) > index and not any(
                isinstance(a, ast.Starred) for a in call.args[: index + 1]) else next(
                (k.value for k in call.keywords if k.arg == keyword), None)
            if value is not None and from_numpy(value):
                out.append((value, last))
    return out


def embedding_input_shapes(tree: ast.Module, refs: list[Ref]) -> list[tuple[ast.Call, str]]:
    """A Keras 2 program's ``Embedding`` calls that may start a Sequential (``model.add(...)``'s
    argument, the first of a ``Sequential([...])`` list), given no input shape, and the keyword
    Keras 2 gave them: its ``Embedding`` declared ``input_shape=(input_length,)``, or
    ``(None,)`` without one (keras/layers/embeddings.py in every Keras 2), so a Sequential it
    starts has its input, and its layers their weights, at once (``summary()``,
    ``get_weights()`` before any call); Keras 3's declares nothing. Elsewhere (a functional
    graph) the declaration means nothing and is not written. (call, ``input_shape=(...,)``)."""
    out: list[tuple[ast.Call, str]] = []
    embeddings = [r for r in refs if r.name == "keras.layers.Embedding" and r.call is not None and r.role == "call"]
    if not embeddings:
        return out
    starts: set[int] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "add" and n.args:
            starts.add(id(n.args[0]))
    for r in refs:
        if r.name == "keras.Sequential" and r.call is not None and r.node is r.call.func:
            listed = r.call.args[0] if r.call.args else next((k.value for k in r.call.keywords if k.arg == "layers"), None)
            if isinstance(listed, (ast.List, ast.Tuple)) and listed.elts:
                starts.add(id(listed.elts[0]))
    for ref in embeddings:
        call = ref.call
        if call is None or ref.node is not call.func or id(call) not in starts or not (call.args or call.keywords):
            continue
        given = {k.arg for k in call.keywords}
        if None in given or given & {"input_shape", "batch_input_shape"} or any(isinstance(a, ast.Starred)
                                                                              for a in call.args):
            continue
        length = next((k.value for k in call.keywords if k.arg == "input_length"),
                      call.args[7] if len(call.args) > 7 else None)  # (input_dim, output_dim, ..., input_length)
        # Keras 2: `(input_length,) if input_length else (None,)` (a length computed as 0 from
        # data a run lacks, or None, declares an unknown length)
        if length is None or (isinstance(length, ast.Constant) and not length.value):
            shape = "None"
        elif isinstance(length, ast.Constant):
            shape = ast.unparse(length)
        else:
            shape = f"{ast.unparse(length)} or None"
        out.append((call, f"input_shape=({shape},)"))
    return out


def _sizes(call: ast.Call) -> list[ast.expr]:
    marked = [a for a in call.args if getattr(a, "legacy_kernel", False)]
    return [call.args[0], *marked[0].elts] if marked and isinstance(marked[0], ast.Tuple) else list(call.args)


def legacy_layer_keywords(refs: list[Ref]) -> list[tuple[ast.keyword, str, str]]:
    """The layers' :func:`legacy_keywords` (kept as text in the program form, so renamed there;
    not the model statement's, which is written anew): (the keyword, the Keras 1 name, the
    Keras 2 name)."""
    return [(k, old, new) for k, _, old, new in legacy_keywords(refs, layers_only=True)]


def is_keras2(refs: list[Ref]) -> bool:
    """Whether a module with these Keras references spells a name, or a layer keyword, as Keras
    2 only (its original runs under Keras 2 only). A layer keyword in a file spelled through
    tf.keras only (a TensorFlow 2 tutorial's `Embedding(..., batch_input_shape=[1, None])`) is
    said with a note (:func:`spelling_notes`) and does not make the file one: its other layers
    mean in tf.keras 2 what they mean in Keras 3, and one notebook cell does not make every
    model of the notebook a Keras 2 one."""
    if any(spelled(r) is not None for r in refs) or legacy_keywords(refs):
        return True
    if any(r.name.split(".")[0] == CONTRIB_ROOT for r in refs):
        return True  # keras-contrib is built on standalone Keras 2 (names.CONTRIB)
    if (keras2_keywords(refs) or _sklearn_wrappers(refs)) and not _tf_keras_only(refs):
        return True  # (Keras 3 has no `keras.wrappers.scikit_learn`)
    return False


def _sklearn_wrappers(refs: list[Ref]) -> bool:
    """The file uses Keras 2's scikit-learn wrappers (runtime/tfr_sklearn.py), which tf.keras
    2 had up to TensorFlow 2.11 and Keras 3 does not have."""
    return any(r.name.startswith(SKLEARN_WRAPPERS) for r in refs)


def tf_keras2_program(refs: list[Ref]) -> str | None:
    """Why a module that is not a Keras 2 program (:func:`is_keras2`) is a tf.keras 2 program
    (``"its hub.KerasLayer"``, ``"its TensorFlow Addons"``): it uses a translated class of a
    package built on tf.keras 2 (docs/design.md, "TensorFlow Hub"), whose original runs under
    tf.keras 2 only; else None."""
    if is_keras2(refs):
        return None
    if any(r.name in HUB for r in refs):
        return "its hub.KerasLayer"
    if any(r.name.split(".")[0] == ADDONS_ROOT for r in refs):
        return "its TensorFlow Addons"
    if _sklearn_wrappers(refs):
        return "its scikit-learn wrapper"
    return None


def _tf_keras_only(refs: list[Ref]) -> bool:
    """Every Keras name of the file is spelled through tf.keras (TensorFlow's); the translated
    classes of other packages (tfa's, hub's) aside."""
    return all(r.qualname.startswith(_TF_KERAS_ROOTS) for r in refs if r.qualname.split(".")[0] not in OUTSIDE_ROOTS)


def spelling_notes(refs: list[Ref], keras2: bool) -> list[tuple[ast.AST, str]]:
    """XL102's notes at what the original spells as tf.keras 2 and Keras 3 does not have, read as
    Keras 3's (both forms give them): ``layers.experimental`` paths, ``tf.keras`` functions
    Keras 3's ``tf.keras`` lacks, and Keras 2 layer keywords of a file that is not a Keras 2
    program (``keras2``: :func:`is_keras2`; a Keras 2 program's :func:`notes` say those)."""
    return experimental_notes(refs) + tf_keras2_notes(refs) + ([] if keras2 else _keyword_notes(refs))


def _keyword_notes(refs: list[Ref]) -> list[tuple[ast.AST, str]]:
    out: list[tuple[ast.AST, str]] = []
    said: set[tuple[str, str]] = set()
    for keyword, layer in keras2_keywords(refs):
        if (layer, keyword.arg or "") in said:
            continue
        said.add((layer, keyword.arg or ""))
        out.append((keyword, f"`{layer}({keyword.arg}=...)` is Keras 2's (Keras 3's `{layer}` takes no `{keyword.arg}` "
                             "and raises ValueError): read as Keras 2 means it; the original runs under Keras 2 only"))
    return out


def is_keras2_source(source: str) -> bool:
    """:func:`is_keras2` of a module's text (False when it does not parse)."""
    try:
        return is_keras2(keras_refs(ast.parse(source)))
    except SyntaxError:
        return False


def notes(refs: list[Ref]) -> list[tuple[ast.AST, str]]:
    """XL102's note at the first use of each Keras 2 spelling the program form reads as its
    Keras 3 name."""
    out: list[tuple[ast.AST, str]] = []
    seen: set[str] = set()
    for ref in refs:
        new = spelled(ref)
        if new is None or ref.qualname in seen:
            continue
        seen.add(ref.qualname)
        where, last = ref.qualname.rsplit(".", 1)
        missing = (f"Keras 3's `{where}` has no `{last}`" if where in ("keras.backend", "keras.models", "keras.layers", "keras.constraints")
                   else f"Keras 3 has no `{where}`")
        out.append((ref.node, f"`{ref.qualname}` is Keras 2's ({missing}): read as `{new}`, as Keras 2 means it; "
                              "the original runs under Keras 2 only"))
    for call in legacy_kernel_sizes(refs):
        out.append((call, f"`{ast.unparse(call.func)}({', '.join(ast.unparse(a) for a in _sizes(call))}, ...)` gives "
                          "Keras 1's kernel sizes as positional arguments, which Keras 2's legacy interface (2.0-2.3) "
                          "put together as the kernel size (the file's Keras 1 keywords make it such a program; tf.keras "
                          "and Keras 3 read the third argument as the strides): read as one kernel size"))
    said: set[tuple[str, str]] = set()
    for keyword, callee, old, new in legacy_keywords(refs):
        if (callee, old) in said:
            continue
        said.add((callee, old))
        out.append((keyword, f"`{callee}({old}=...)` is Keras 1's keyword, which Keras 2's legacy interface "
                             f"(standalone Keras 2.0-2.3) renamed `{new}=` (tf.keras and Keras 3 raise on it): read as "
                             f"`{new}=`; the original runs under those Keras 2 versions only"))
    return out + _keyword_notes(refs)


# what Keras 3's tf.keras namespace (keras/_tf_keras, what `tf.keras` is under Keras 3) lacks that
# its own `keras` namespace has: tf.keras 2 had them, so `tf.keras.losses.mean_squared_error`
# runs under tf.keras 2 only. tests/test_program_legacy_layer_paths.py checks the list.
TF_KERAS3_MISSING = {
    "losses": frozenset({"kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
                         "mean_squared_error", "mean_squared_logarithmic_error"}),
    "metrics": frozenset({"kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
                          "mean_squared_error", "mean_squared_logarithmic_error"}),
}
_TF_KERAS_ROOTS = ("tensorflow.keras.", "keras._tf_keras.keras.", "keras.api._v2.keras.")


def tf_keras2_notes(refs: list[Ref]) -> list[tuple[ast.AST, str]]:
    """XL102's note at the first use of each name spelled through ``tf.keras`` that Keras 3's
    ``tf.keras`` does not have but its ``keras`` does (``tf.keras.losses.mean_squared_error``):
    the original fails there under Keras 3; the translation reads it as Keras 3's function of
    that name, which computes what tf.keras 2's did."""
    out: list[tuple[ast.AST, str]] = []
    seen: set[str] = set()
    for ref in refs:
        root = next((r for r in _TF_KERAS_ROOTS if ref.qualname.startswith(r)), None)
        if root is None or ref.qualname in seen:
            continue
        parts = ref.qualname[len(root):].split(".")
        if len(parts) != 2 or parts[1] not in TF_KERAS3_MISSING.get(parts[0], ()):
            continue
        seen.add(ref.qualname)
        out.append((ref.node, f"`tf.keras.{parts[0]}.{parts[1]}` is tf.keras 2's (Keras 3's `tf.keras.{parts[0]}` has no "
                              f"`{parts[1]}`, so the original fails there under Keras 3): read as "
                              f"`keras.{parts[0]}.{parts[1]}`"))
    return out


def experimental_notes(refs: list[Ref]) -> list[tuple[ast.AST, str]]:
    """XL102's note at the first use of each tf.keras 2 ``layers.experimental`` path read as
    Keras 3's layer of the same name (``layers.experimental.preprocessing.Rescaling``): Keras 3
    has no ``keras.layers.experimental``, so the original fails there under Keras 3."""
    out: list[tuple[ast.AST, str]] = []
    seen: set[str] = set()
    for ref in refs:
        parts = ref.qualname.split(".")
        if "experimental" not in parts or not ref.name.startswith("keras.layers.") or ref.name.count(".") != 2 \
                or parts[parts.index("experimental") - 1] != "layers" or ref.qualname in seen:
            continue
        seen.add(ref.qualname)
        where = ".".join(parts[parts.index("layers") - 1 if parts.index("layers") > 0 else 0 : -1])
        out.append((ref.node, f"`{where}` is tf.keras 2's path (Keras 3 has no `keras.layers.experimental`, so the "
                              f"original fails there under Keras 3): read as `{ref.name}`"))
    return out


# what only standalone Keras 2.0-2.3 (on TensorFlow 1) imports; Keras 2.4 (Keras-2.4.3's
# keras/backend.py, layers/normalization.py, engine/topology.py ...) re-exports tf.keras under
# Keras 2's other module paths
_STANDALONE_ONLY_MODULES = ("keras.backend.tensorflow_backend", "keras.backend.theano_backend",
                            "keras.backend.cntk_backend", "keras.legacy")


def tf_keras_reads(refs: list[Ref], tree: ast.Module) -> bool:
    """Whether a Keras 2 program (:func:`is_keras2`) runs under tf.keras 2 as written: Keras
    2.4 and later are tf.keras under Keras 2's module paths (Keras-2.4.3 keeps
    ``keras.layers.normalization``, ``keras.engine.topology``, ``keras.backend``... as modules
    re-exporting ``tensorflow.keras``), the Keras 2 that runs with TensorFlow 2 and the one
    the tests and ``xlate verify`` run a Keras 2 program under (tf-keras). Not a program with
    Keras 1's keywords or kernel sizes (only 2.0-2.3's legacy interface took them), a module
    of a TensorFlow 1 backend, or keras-contrib (built on standalone Keras 2.2's internals):
    those ran under standalone Keras 2.0-2.3 only."""
    return standalone_only(refs, tree) is None


def epoch_keywords(tree: ast.Module) -> list[ast.keyword]:
    """Keras 1's ``nb_epoch=`` given to a ``fit``/``fit_generator`` call without ``epochs=``:
    standalone Keras 2.0-2.3 took it as ``epochs`` (``epochs = kwargs.pop('nb_epoch')``, with
    a warning); tf.keras 2 and Keras 3 raise on it. The translation renames it (a Keras 2
    program)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("fit", "fit_generator") and all(k.arg != "epochs" for k in node.keywords):
            out += [k for k in node.keywords if k.arg == "nb_epoch"]
    return out


def standalone_only(refs: list[Ref], tree: ast.Module) -> str | None:
    """What shows that a Keras 2 program ran under standalone Keras 2.0-2.3 only
    (:func:`tf_keras_reads`), in words, or None."""
    if legacy_keywords(refs) or legacy_kernel_sizes(refs):
        return "Keras 1's keywords, which only its legacy interface took"
    if epoch_keywords(tree):
        return "Keras 1's `fit(nb_epoch=...)`, which only its `fit` took"
    if any(r.name.split(".")[0] == CONTRIB_ROOT for r in refs):
        return "keras-contrib, built on its internals"
    found = next((r.qualname for r in refs if r.qualname.startswith(_STANDALONE_ONLY_MODULES)), None)
    for node in ast.walk(tree):  # (an import of such a module, used or not)
        if found is not None:
            break
        modules = ([node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                   else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        found = next((m for m in modules for p in _STANDALONE_ONLY_MODULES if m == p or m.startswith(p + ".")), None)
    return f"`{found}`, a TensorFlow 1 module" if found is not None else None


def tf_keras_bn_notes(refs: list[Ref]) -> list[tuple[ast.AST, str]]:
    """XL102's note at the first BatchNormalization of a Keras 2 program that trains, read as
    tf.keras 2 runs it (:func:`tf_keras_reads`): the runtime's TFKeras2BatchNormalization."""
    out: list[tuple[ast.AST, str]] = [(r.node, "a Keras 2 program that trains: `BatchNormalization` is read as tf.keras 2 (Keras 2.4 and "
                     "later, the Keras 2 of TensorFlow 2) computes it: where its fused kernel ran, the moving variance "
                     "moves towards the unbiased batch variance (standalone Keras 2.0-2.3 on TensorFlow 1 moved it "
                     "otherwise; Keras 3 with the biased one)")
            for r in refs if r.role == "call" and r.name.startswith("keras.layers.")
            and r.name.rsplit(".", 1)[-1] in KERAS2_TRAINING_DIFFERS]
    return out[:1]


def _defaults_left(ref: Ref) -> list[str]:
    """The keywords of a recurrent layer's call whose defaults changed inside Keras 2
    (:data:`KERAS2_RECURRENT_DEFAULTS`) that it leaves to the version; [] for another ref."""
    last = ref.name.rsplit(".", 1)[-1]
    if not ref.name.startswith("keras.layers.") or last not in KERAS2_RECURRENT_DEFAULTS or ref.call is None:
        return []
    given = {k.arg for k in ref.call.keywords}
    return [a for a in KERAS2_RECURRENT_DEFAULTS[last] if a not in given]


def tf_keras_recurrent_notes(refs: list[Ref]) -> list[tuple[ast.AST, str]]:
    """XL102's note at the first LSTM or GRU of a Keras 2 program read as tf.keras 2 runs it
    (:func:`tf_keras_reads`) that leaves a default to the version: tf.keras 2's defaults
    (TensorFlow 2's, Keras 3's too) are read."""
    for r in refs:
        last = r.name.rsplit(".", 1)[-1]
        if last in TF_KERAS2_RECURRENT_AS_KERAS3:
            missing = _defaults_left(r)
            if missing:
                return [(r.node, f"a Keras 2 program: `{last}` without "
                                 + " or ".join(f"`{a}=`" for a in missing)
                                 + " is read as tf.keras 2 (Keras 2.4 and later, the Keras 2 of TensorFlow 2) and "
                                 "Keras 3 make it: `recurrent_activation=\"sigmoid\"`, GRU's `reset_after=True` "
                                 "(standalone Keras 2.0-2.2 had \"hard_sigmoid\", and GRU's `reset_after=False` up to 2.3)")]
    return []


def blockers(tree: ast.Module, refs: list[Ref], trains: bool, tf_keras: str | None = None) -> list[tuple[ast.AST, str]]:
    """What keeps a model of a Keras 2 program Keras: what Keras 2 versions compute differently
    from one another or from Keras 3, and Keras 2's model API that Keras 3 (whose API the
    translated model has) does not have: methods, training keywords (checked against the
    runtime's own signatures), the 'acc' metric name; for a Keras 2 program (:func:`is_keras2`).
    Conservative: a `.fit(...)` of another library given a keyword Keras's does not
    take keeps the models too. With ``tf_keras`` (:func:`tf_keras2_program`'s reason), the
    program is one of tf.keras 2 (TensorFlow 2's), whatever it spells."""
    if tf_keras:
        return [(node, re.sub(r"\(a Keras 2 program( that trains)?\)",
                              rf"(a tf.keras 2 program\1, for {tf_keras})", message))
                for node, message in _blockers(tree, refs, trains, True, tf_keras2=True)]
    return _blockers(tree, refs, trains, _tf_keras_only(refs), standalone=standalone_only(refs, tree))


def _blockers(tree: ast.Module, refs: list[Ref], trains: bool, tf_keras_only: bool,
              tf_keras2: bool = False, standalone: str | None = None) -> list[tuple[ast.AST, str]]:
    # (``tf_keras2``: a tf.keras 2 program, whose BatchNormalization is the runtime's
    # TFKeras2BatchNormalization, translate.py; so is a Keras 2 program's, unless ``standalone``
    # says why it ran under standalone Keras 2.0-2.3 only: :func:`standalone_only`)
    out: list[tuple[ast.AST, str]] = []
    # a program spelled through tf.keras only (`tf.keras.layers.GRU(..., batch_input_shape=...)`)
    # runs under tf.keras 2 only, whose LSTM and GRU defaults are Keras 3's (sigmoid,
    # reset_after=True since TensorFlow 2.0; standalone Keras 2.0-2.2 had hard_sigmoid, False)
    for ref in refs:
        last = ref.name.rsplit(".", 1)[-1]
        if ref.name.startswith("keras.layers.") and last in KERAS2_RECURRENT_DEFAULTS and ref.call is not None \
                and not ((tf_keras_only or standalone is None) and last in TF_KERAS2_RECURRENT_AS_KERAS3):
            missing = _defaults_left(ref)
            if missing:
                out.append((ref.node, f"model kept as Keras (a Keras 2 program): `{last}`'s default "
                                      f"`{missing[0]}` differs between Keras 2 versions and Keras 3 "
                                      f"(give `{missing[0]}=` to translate it)"))
        elif last in KERAS2_LEGACY_CONVOLUTIONS and ref.name.startswith("keras.layers.") and ref.call is not None \
                and len(ref.call.args) >= 3 and not tf_keras_only:  # (tf.keras 2 read strides, as Keras 3)
            out.append((ref.node, f"model kept as Keras (a Keras 2 program): Keras 2.0-2.2 read "
                                  f"`{ast.unparse(ref.call)[:40]}` as Keras 1's (filters, rows, cols), tf.keras and "
                                  "Keras 3 read the third argument as the strides (give `kernel_size=` and "
                                  "`strides=` to translate it)"))
        elif last in KERAS2_BILINEAR_DIFFERS and ref.call is not None and not tf_keras_only and any(
                k.arg == "interpolation" and not (isinstance(k.value, ast.Constant) and k.value.value == "nearest")
                for k in ref.call.keywords):
            out.append((ref.node, "model kept as Keras (a Keras 2 program): Keras 2.2's bilinear UpSampling2D "
                                  "resized without half-pixel centers (TensorFlow 1's resize_images), tf.keras 2 "
                                  "and Keras 3 with them"))
        elif last in KERAS2_TRAINING_DIFFERS and ref.name.startswith("keras.layers.") and trains \
                and not tf_keras2 and standalone is not None:
            out.append((ref.node, "model kept as Keras (a Keras 2 program that trains): Keras 2's "
                                  "BatchNormalization updates its moving variance with the unbiased batch variance "
                                  "(and Keras 2.2 corrected it once more), Keras 3 with the biased one; the program "
                                  f"ran under standalone Keras 2.0-2.3 only ({standalone}), whose update is not "
                                  "tf.keras 2's"))
        elif _optimizer(ref) and last not in SAME_OPTIMIZERS:
            out.append((ref.node, f"model kept as Keras (a Keras 2 program): `{last}`'s update differs between "
                                  "Keras 2 versions and Keras 3 (only Adam's and SGD's are one formula)"))
        elif _optimizer(ref) and ref.call is not None:
            decayed = not tf_keras2 and _decay_translated(ref, refs)
            for k in ref.call.keywords:
                if k.arg == "decay" and decayed:
                    continue  # (decayed_optimizers: a schedule)
                if k.arg == "decay" or (k.arg == "epsilon" and isinstance(k.value, ast.Constant) and k.value.value is None):
                    out.append((k.value, f"model kept as Keras (a Keras 2 program): `{last}({k.arg}=...)` is Keras "
                                         "2's (a learning rate decayed with the step; epsilon from the backend), "
                                         "which Keras 3 and the translated optimizer do not take"))
        elif last == "hard_sigmoid" and not ref.name.endswith("backend.hard_sigmoid"):
            # the activation; the backend function is Keras 2's formula in every version (its entry)
            out.append((ref.node, _HARD_SIGMOID))
    keywords = runtime_keywords()
    renamed_epochs = {id(k) for k in epoch_keywords(tree)}  # (renamed `epochs=` in translate.py)
    # a class's own method of a training method's name (a GAN's `def compile(self, d_optimizer,
    # g_optimizer, loss_fn)`) takes its own keywords
    own: dict[str, set[str]] = {}
    for c in ast.walk(tree):
        for f in c.body if isinstance(c, ast.ClassDef) else []:
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = f.args
                own.setdefault(f.name, set()).update(x.arg for x in a.posonlyargs + a.args + a.kwonlyargs)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value == "hard_sigmoid":
            out.append((node, _HARD_SIGMOID))
        elif isinstance(node, ast.Constant) and node.value in ("acc", "val_acc") and not tf_keras_only:
            # (tf.keras 2 named the metric as given, as Keras 3 does: 'accuracy' is 'accuracy')
            out.append((node, "model kept as Keras (a Keras 2 program): Keras 2.2 names the accuracy metric "
                              f"{node.value!r}, tf.keras 2.3 and later and Keras 3 'accuracy'"))
        elif isinstance(node, ast.Attribute) and node.attr in KERAS2_MODEL_API and isinstance(node.ctx, ast.Load):
            out.append((node, f"model kept as Keras (a Keras 2 program): `{node.attr}` is Keras 2's model API, "
                              "which Keras 3 and the translated model do not have (or give other values)"))
        elif isinstance(node, ast.Attribute) and node.attr == "lr" and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "optimizer":
            out.append((node, "model kept as Keras (a Keras 2 program): `optimizer.lr` is Keras 2's name of "
                              "`optimizer.learning_rate`, which Keras 3 and the translated optimizer do not have"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("add_weight", "add_variable") and node.args:
            out.append((node, f"model kept as Keras (a Keras 2 program): Keras 2's `{node.func.attr}` takes the "
                              "name first, Keras 3's the shape (give them as keywords to translate it)"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in keywords:
            unknown = [k.arg for k in node.keywords if k.arg is not None and k.arg not in keywords[node.func.attr]
                       and id(k) not in renamed_epochs]
            if unknown and not set(unknown) <= own.get(node.func.attr, set()):
                out.append((node, f"model kept as Keras (a Keras 2 program): `{node.func.attr}({unknown[0]}=...)` is "
                                  "Keras 2's argument, which Keras 3 and the translated model do not take"))
    for value in compile_optimizer_strings(tree):
        if str(value.value).lower() not in ("adam", "sgd"):
            out.append((value, f"model kept as Keras (a Keras 2 program): the optimizer {value.value!r}'s "
                               "update differs between Keras 2 versions and Keras 3 (only Adam's and SGD's "
                               "are one formula)"))
    return out


# Keras 2's default learning rates of the optimizers whose `decay=` is translated (the same in
# every Keras 2 and in Keras 3)
_DECAYED_DEFAULT_LR = {"Adam": "0.001", "SGD": "0.01"}
# callbacks that set a Keras 2 optimizer's `lr` while it trains (on top of which `decay` applied):
# a translated optimizer's learning rate is then a schedule, which they cannot set
_LR_SETTERS = frozenset({"keras.callbacks.LearningRateScheduler", "keras.callbacks.ReduceLROnPlateau"})


def _decay_translated(ref: Ref, refs: list[Ref]) -> bool:
    """Whether a Keras 2 optimizer's ``decay=`` is translated as a schedule
    (:func:`decayed_optimizers`): Adam or SGD, the learning rate given by keyword or as the
    one positional argument, no ``**kwargs``, in a file with no callback that sets the learning
    rate while training."""
    call = ref.call
    last = ref.name.rsplit(".", 1)[-1]
    if call is None or last not in _DECAYED_DEFAULT_LR or len(call.args) > 1 \
            or any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return False
    if call.args and any(getattr(k, "legacy_arg", k.arg) in ("lr", "learning_rate") for k in call.keywords):
        return False
    return not any(r.name in _LR_SETTERS for r in refs)


def decayed_optimizers(refs: list[Ref]) -> list[tuple[ast.Call, ast.keyword, ast.expr | None, str]]:
    """A Keras 2 program's ``Adam(lr=a, decay=d)`` and ``SGD(..., decay=d)``: every Keras 2 that
    takes ``decay`` (standalone 2.0-2.3, tf.keras 2's OptimizerV2 of 2.3-2.10; 2.11 and later
    raise on it) computes the step's learning rate as ``lr / (1 + decay * iterations)``, the
    iterations counted before the step: Keras 3's ``InverseTimeDecay(lr, 1, decay)``. (the
    call, the ``decay`` keyword, the learning rate's expression or None, Keras 2's default
    learning rate)."""
    out = []
    for ref in refs:
        if not (_optimizer(ref) and ref.call is not None and ref.role == "call" and _decay_translated(ref, refs)):
            continue
        call = ref.call
        decay = next((k for k in call.keywords if k.arg == "decay"), None)
        if decay is None:
            continue
        lr = call.args[0] if call.args else next(
            (k.value for k in call.keywords if getattr(k, "legacy_arg", k.arg) in ("lr", "learning_rate")), None)
        out.append((call, decay, lr, _DECAYED_DEFAULT_LR[ref.name.rsplit(".", 1)[-1]]))
    return out


def compile_optimizer_strings(tree: ast.Module) -> list[ast.Constant]:
    """The strings given as a ``compile`` call's optimizer (``model.compile("rmsprop", ...)``,
    ``optimizer="adam"``), not a module's ``compile`` (``re.compile("adam")``)."""
    out: list[ast.Constant] = []
    for node in model_compile_calls(tree):
        for value in [kw.value for kw in node.keywords if kw.arg == "optimizer"] + node.args[:1]:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.append(value)
    return out


_HARD_SIGMOID = ("model kept as Keras (a Keras 2 program): Keras 2's `hard_sigmoid` is 0.2 * x + 0.5, Keras 3's is "
                 "relu6(x + 3) / 6")
