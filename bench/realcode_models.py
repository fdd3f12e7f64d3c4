"""Executed benchmark on real code: the models a file's builders make, Keras vs the translation.

``bench/realcode.py`` counts what ``xlate to-tf`` translates away on public code; this script
runs it. For every ``.py`` / ``.ipynb`` file of a corpus (real code nobody here wrote, fetched
outside the repository: bench/fetch_corpus.md) that ``to-tf`` changes:

1. both programs (the original's code cells, the translation's) are cut to what builds models
   without data: imports (each in a ``try``: a missing package drops only what needs it),
   ``def`` and ``class`` statements, module-level assignments of constants (no call in the
   value), and the translation's block of TensorFlow layers, kept whole;
2. the *builders* are found in the original: every top-level function that makes a model and
   can be called without arguments, and the first module-level call of each other top-level
   function whose arguments are constants (``build_model(input_shape, num_classes)``), written
   as it is written there;
3. each builder runs in both programs, in a child process per file (a timeout, and no
   TensorFlow state shared between files). Where Keras's returns a built ``keras.Model``:
   the translation's must hold no Keras object (its class, layers and variables), have the
   same weight shapes, and, given Keras's weights perturbed
   (``kerastf_xlate.testing.perturb``) and random inputs of the model's input specs (integer
   ids below 4 where a model takes integers or has an ``Embedding``), give the same outputs
   in inference: ``max|a - b| <= 1e-4 * max(1, max|a|)``; then, unless two of Keras's calls in
   training mode differ (dropout, noise), the same in training mode (BatchNormalization on the
   batch's statistics), two calls, and what they changed in each weight array (the moving
   statistics): ``max|Δa - Δb| <= 1e-3 * max|Δa| + 1e-6``. A Keras 2 program (a name Keras 3
   does not have, read as Keras 2 means it: totf/program/keras2.py) runs its original under
   Keras 2 (tf-keras, ``kerastf_xlate.testing.keras2``), and in training mode its outputs only
   are compared where the translation holds Keras 3's BatchNormalization (Keras 2's moving
   statistics are per version; a program that trains gets tf.keras 2's, compared in full).

With ``--scripts``, also the models a program builds at module level (most notebooks and
example scripts build theirs so, not in a function): both programs run whole, each top-level
statement of a script on its own, each cell of a notebook on its own (an exception or 20 s ends
that statement or cell only, as in Jupyter), except statements that train, predict, adapt, read data or files, download, save, wait or
ask for input (:data:`SKIPPED`); then every module-level name bound to a built ``keras.Model`` in
the original is compared with the same name in the translation, as a builder is. A model whose
translation is a Keras model as a whole is ``kept`` (the translation keeps it, with its reason).

Outcomes per builder: ``pass``; ``kept`` (the translation keeps that builder's model Keras,
with its reason: the function still reads ``keras``); ``FAIL`` (a difference, Keras left in the translation, other
weight shapes, or the translation raising where Keras built the model: each is a wrong or
broken translation); ``skip`` with the reason (Keras's builder needs data or another
module, returns something else than a built model, a model input is a string, or Keras's
model gives another output when called again on the same input: random layers of the
user's own that augment in inference).

    python bench/realcode_models.py --corpus /work/corpus -j 2 --json /tmp/models.json
    python bench/realcode_models.py --only keras-io --show-failures
    python bench/realcode_models.py --corpus /work/corpus12 --scripts -j 2
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from realcode import DEFAULT_CORPUS, list_files, program_text, run_translator  # noqa: E402

from kerastf_xlate.totf.program.bundle import BANNER, END  # noqa: E402
from kerastf_xlate.totf.symbolic import _scope_nodes  # noqa: E402

TOLERANCE = 1e-4
CHANGE_TOLERANCE = 1e-3  # of the largest change of a weight array over the training calls
_CONSTANT_NODES = (ast.Constant, ast.Name, ast.Load, ast.Tuple, ast.List, ast.Dict, ast.Set, ast.BinOp,
                   ast.UnaryOp, ast.operator, ast.unaryop, ast.Attribute, ast.Subscript, ast.Slice,
                   ast.keyword, ast.Starred)
_MODEL_WORDS = ("Model(", "Sequential(", "Model (", "Functional(")


def _constant(node: ast.AST) -> bool:
    return all(isinstance(n, _CONSTANT_NODES) for n in ast.walk(node))


def cut(text: str, translated: bool) -> str:
    """The statements of ``text`` that build models without data (the module docstring's list)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    block = _runtime_block(lines) if translated else None
    out: list[str] = []
    placed = False
    for stmt in tree.body:
        if block and block[0] <= stmt.lineno <= block[1]:
            if not placed:  # the translation's TensorFlow layers, whole (module-level calls included)
                out.append("".join(lines[block[0] - 1:block[1]]))
                placed = True
            continue
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            continue
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            out.append("try:\n    " + ast.unparse(stmt) + "\nexcept Exception:\n    pass")
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append("try:\n" + "".join("    " + s + "\n" for s in ast.unparse(stmt).splitlines())
                       + "except Exception:\n    pass")
        elif (isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None and _constant(stmt.value)
              and all(isinstance(t, (ast.Name, ast.Tuple)) for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]))):
            # (not `os.environ["KERAS_BACKEND"] = "jax"`: the models are compared on TensorFlow)
            out.append("try:\n    " + ast.unparse(stmt) + "\nexcept Exception:\n    pass")
    return "\n".join(out) + "\n"


# what a statement of a program run whole (``--scripts``) must not do: train, predict, adapt,
# read data or files, download, save, wait or ask for input (a model is compared as built)
SKIPPED = re.compile(
    r"\.fit\(|fit_generator|\.evaluate\(|evaluate_generator|\.predict\(|predict_generator|predict_on_batch|"
    r"train_on_batch|test_on_batch|GradientTape|apply_gradients|train_step|\binput\(|sleep\(|urlretrieve|"
    r"get_file\(|download|load_data\(|tfds\.|_from_directory\(|read_csv|\.show\(|\.save\(|save_weights|"
    r"load_weights|load_model\(|\.export\(|saved_model|\.adapt\(|\bopen\(|subprocess|os\.system|"
    r"\bfit\(|\.run\(|requests\.|urlopen|kaggle|wget|pip\b|"
    r"\b_(fit|evaluate|predict)\(")  # (the translation's training loop, as written out)
STATEMENT_SECONDS = 20
_GUARD = "__xlate_guard__"


def script_cut(text: str, translated: bool) -> str:
    """The program run whole, each top-level statement of a script, or each cell of a notebook,
    under ``with __xlate_guard__():`` (the child's guard ends it on an exception or after
    :data:`STATEMENT_SECONDS`), without the statements :data:`SKIPPED` matches; the
    translation's block of TensorFlow layers whole."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    block = _runtime_block(lines) if translated else None
    # a notebook's statements run by cell (a statement that raises ends its cell, as in
    # Jupyter), a script's one by one; an import on its own (a package missing here drops only
    # that import, as the program's own run has its packages)
    cells = any(_is_cell_sentinel(s) for s in tree.body)
    out: list[str] = []
    group: list[str] = []

    def close() -> None:
        if group:
            out.append(f"with {_GUARD}():\n" + "".join("    " + s + "\n" for g in group for s in g.splitlines()))
            group.clear()

    placed = False
    for stmt in tree.body:
        if block and block[0] <= stmt.lineno <= block[1]:
            if not placed:
                close()
                out.append("".join(lines[block[0] - 1:block[1]]))
                placed = True
            continue
        if _is_cell_sentinel(stmt):
            close()
            continue
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            continue
        source = ast.unparse(stmt)
        if not isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and SKIPPED.search(source):  # (a definition runs nothing it holds)
            continue
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):  # on its own: a missing package drops only it
            close()
            group.append(source)
            close()
            continue
        group.append(source)
        if not cells:
            close()
    close()
    return "\n".join(out) + "\n"


def _is_cell_sentinel(stmt: ast.stmt) -> bool:
    """``__xlate_cell__(N)``: where a notebook's cell begins (kerastf_xlate.sources.join_cells)."""
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id == "__xlate_cell__")


def _runtime_block(lines: list[str]) -> tuple[int, int] | None:
    """The 1-based first and last lines of a translation's block of TensorFlow layers."""
    starts = [i for i, line in enumerate(lines, 1) if line.rstrip() == BANNER]
    ends = [i for i, line in enumerate(lines, 1) if line.rstrip() == END]
    return (starts[0], ends[-1]) if starts and ends else None


def _defaults_cover(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    a = func.args
    positional = a.posonlyargs + a.args
    return len(a.defaults) == len(positional) and all(d is not None for d in a.kw_defaults)


def builders(text: str) -> list[str]:
    """The builder expressions of a program (the module docstring's step 2)."""
    tree = ast.parse(text)
    funcs = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    makers = {name for name, f in funcs.items()
              if any(isinstance(n, ast.Return) and n.value is not None for n in _scope_nodes(f))
              and any(w in ast.unparse(f) for w in _MODEL_WORDS)}
    found: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(stmt):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in makers
                    and node.func.id not in found and all(_constant(a) for a in [*node.args, *node.keywords])):
                found[node.func.id] = ast.unparse(node)
    for name in sorted(makers - set(found)):
        if _defaults_cover(funcs[name]):
            found[name] = f"{name}()"
    return list(found.values())


def kept_keras(translated: str) -> list[str]:
    """The top-level functions the translation left with Keras in them (a model it keeps
    Keras, with its reason: a partial program): they read ``keras`` or a name a Keras import
    of the translation binds."""
    from kerastf_xlate.resolve import keras_import_names

    tree = ast.parse(translated)
    # the names the translation's Keras imports bind (`from keras.layers import Dense`, also
    # under an `if`/`try` at module level)
    imported = {name for stmt in ast.walk(tree) if isinstance(stmt, (ast.Import, ast.ImportFrom))
                for name in keras_import_names(stmt)} | {"keras"}
    return [s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
            and any((isinstance(n, ast.Name) and n.id in imported) or (isinstance(n, ast.Attribute) and n.attr == "keras")
                    for n in ast.walk(s))]


def keras2_program(text: str) -> bool:
    """Whether ``text`` is a Keras 2 program (a name spelled as Keras 2 only: keras2.py): its
    original runs under Keras 2 (tf-keras), not under the installed Keras 3."""
    from kerastf_xlate.totf.program.keras2 import is_keras2_source

    return is_keras2_source(text)


# --- the child: one file's builders, both ways ---------------------------------------------


def _inputs(model: Any, rng: Any, side: int = 8) -> Any:
    import tensorflow as tf

    has_embedding = any(type(layer).__name__ == "Embedding" for layer in model._flatten_layers(include_self=False))
    specs = model._inputs_struct if hasattr(model, "_inputs_struct") else model.inputs

    def value(spec: Any) -> Any:
        dtype = tf.as_dtype(spec.dtype)
        if dtype == tf.string:
            raise _Skip("a string input")
        shape = [2 if i == 0 and d is None else (side if d is None else d) for i, d in enumerate(spec.shape)]
        if dtype.is_integer or dtype.is_bool or has_embedding:
            return rng.integers(0, 4, shape).astype(dtype.as_numpy_dtype)
        return rng.normal(size=shape).astype(dtype.as_numpy_dtype)

    x = tf.nest.map_structure(value, specs)
    # one input is given as a tensor, as programs call a one-input model
    return x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x


class _Skip(Exception):
    pass


_KERAS_PACKAGES = ("keras", "tf_keras")


def _holds_keras(t: Any) -> str | None:
    if type(t).__module__.split(".")[0] in _KERAS_PACKAGES:
        return f"the translation gave a Keras {type(t).__name__}"
    for layer in getattr(t, "layers", []) or []:
        if type(layer).__module__.split(".")[0] in _KERAS_PACKAGES:
            return f"a Keras layer in the translation ({type(layer).__name__})"
    for w in getattr(t, "weights", []) or []:
        if type(w).__module__.split(".")[0] in _KERAS_PACKAGES:
            return "a Keras variable in the translation"
    return None


def _compare_one(expr: str, original: dict[str, Any], translated: dict[str, Any], seed: int,
                 kept: frozenset[str] = frozenset(), keras2: bool = False) -> dict[str, Any]:
    import keras
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.testing.perturb import perturbed

    out: dict[str, Any] = {"builder": expr}
    try:
        keras.utils.set_random_seed(seed)
        k = eval(expr, original)
    except Exception as exc:
        return {**out, "status": "skip", "why": f"Keras's builder raised {type(exc).__name__}"}
    if not isinstance(k, keras.Model):
        return {**out, "status": "skip", "why": f"returns {type(k).__name__}, not a keras.Model"}
    if not k.built or not getattr(k, "inputs", None):
        return {**out, "status": "skip", "why": "a model without inputs (built on the first call)"}
    try:
        t = eval(expr, translated)
    except Exception as exc:
        return {**out, "status": "FAIL", "why": f"the translation raised {type(exc).__name__}: {str(exc)[:300]}"}
    held = _holds_keras(t)
    if held and expr.split("(")[0] in kept:
        return {**out, "status": "kept", "why": "the translation keeps this builder's model Keras (with its reason)"}
    if held:
        return {**out, "status": "FAIL", "why": held}
    k_shapes = [tuple(w.shape) for w in k.get_weights()]
    t_shapes = [tuple(np.shape(w)) for w in t.get_weights()]
    if k_shapes != t_shapes:
        return {**out, "status": "FAIL", "why": f"weights differ: Keras {len(k_shapes)} arrays, translation {len(t_shapes)}"}
    out["weights"] = len(k_shapes)
    moved = perturbed(k.get_weights(), seed=seed)
    k.set_weights(moved)
    t.set_weights(moved)
    # unknown sizes (`Input((None, None, 3))`): the smallest of these that Keras's model takes
    for side in (8, 64, 256):
        rng = np.random.default_rng(seed)
        try:
            x = _inputs(k, rng, side)
        except _Skip as why:
            return {**out, "status": "skip", "why": str(why)}
        try:
            ko = k(x, training=False)
            break
        except Exception as exc:
            failed = exc
    else:
        return {**out, "status": "skip", "why": f"Keras's model raised on random inputs ({type(failed).__name__}: "
                                                 f"{' '.join(str(failed).split())[:120]})"}
    out["side"] = side
    again = tf.nest.flatten(k(x, training=False))
    if any(not np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True) for a, b in zip(tf.nest.flatten(ko), again)):
        return {**out, "status": "skip", "why": "Keras's model is random in inference (two calls differ)"}
    try:
        to = t(tf.nest.map_structure(tf.convert_to_tensor, x), training=False)
    except Exception as exc:
        return {**out, "status": "FAIL", "why": f"the translated model raised {type(exc).__name__}: {str(exc)[:300]}"}
    worst, scale, why = _worst(tf.nest.flatten(ko), tf.nest.flatten(to))
    if why is not None:
        return {**out, "status": "FAIL", "why": f"outputs: {why}"}
    out.update(diff=worst, scale=scale)
    ok = worst <= TOLERANCE * max(1.0, scale)
    if not ok:
        return {**out, "status": "FAIL", "why": f"outputs differ by {worst:.3g} (max {scale:.3g})"}
    return _compare_training(out, k, t, x, moved, keras2)


def _worst(a_list: list[Any], b_list: list[Any]) -> tuple[float, float, str | None]:
    """(max |a - b|, max |a|) over pairs of arrays (finite entries), or a reason they cannot be
    compared."""
    import numpy as np

    worst, scale = 0.0, 0.0
    if len(a_list) != len(b_list):
        return 0.0, 0.0, f"{len(a_list)} arrays in Keras, {len(b_list)} in the translation"
    for a, b in zip(a_list, b_list):
        a = np.asarray(a, dtype="float64")
        b = np.asarray(b, dtype="float64")
        if a.shape != b.shape:
            return 0.0, 0.0, f"shapes differ: {a.shape} vs {b.shape}"
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            return 0.0, 0.0, "NaN in one only"
        finite = np.isfinite(a) & np.isfinite(b)
        if finite.any():
            worst = max(worst, float(np.max(np.abs(a[finite] - b[finite]))))
            scale = max(scale, float(np.max(np.abs(a[finite]))))
    return worst, scale, None


def _compare_training(out: dict[str, Any], k: Any, t: Any, x: Any, moved: list[Any], keras2: bool = False) -> dict[str, Any]:
    """The same models called twice in training mode (BatchNormalization on the batch's
    statistics), then their weights (the moving statistics those calls updated). Skipped for a
    model whose two training calls differ in Keras (dropout, noise, random augmentation). Against
    Keras 2 (``keras2``), the outputs only where the translation holds Keras 3's
    BatchNormalization (a program that does not train: Keras 2's moving statistics are per
    version); a Keras 2 program that trains gets tf.keras 2's (TFKeras2BatchNormalization),
    whose moving statistics are compared with tf-keras's."""
    import numpy as np
    import tensorflow as tf

    first = tf.nest.flatten(k(x, training=True))
    second = tf.nest.flatten(k(x, training=True))
    if any(not np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True) for a, b in zip(first, second)):
        return {**out, "status": "pass", "training": "skip: random in training (two Keras calls differ)"}
    xt = tf.nest.map_structure(tf.convert_to_tensor, x)
    try:
        t_first = tf.nest.flatten(t(xt, training=True))
        t(xt, training=True)
    except Exception as exc:
        return {**out, "status": "FAIL", "why": f"the translated model raised in training mode {type(exc).__name__}: "
                                                 f"{str(exc)[:300]}"}
    worst, scale, why = _worst(first, t_first)
    if why is not None:
        return {**out, "status": "FAIL", "why": f"training mode: {why}"}
    out.update(train_diff=worst, train_scale=scale, training="compared")
    if worst > TOLERANCE * max(1.0, scale):
        return {**out, "status": "FAIL", "why": f"training-mode outputs differ by {worst:.3g} (max {scale:.3g})"}
    if keras2 and "BatchNormalization" in {type(m).__name__ for m in getattr(t, "submodules", ())}:
        # (Keras 3's class: a program that does not train; one that trains gets tf.keras 2's,
        # TFKeras2BatchNormalization, whose moving statistics are compared with tf-keras's below)
        return {**out, "status": "pass", "training": "outputs compared (Keras 2: moving statistics per version)"}
    # what the two calls changed (moving statistics: 1% of the way to the batch's at momentum
    # 0.99), each array on the scale of its own change, so a wrong update shows
    out["weights_diff"] = 0.0
    for i, (before, a, b) in enumerate(zip(moved, k.get_weights(), t.get_weights())):
        if np.shape(a) != np.shape(b):
            return {**out, "status": "FAIL", "why": f"weight array {i}: shapes differ after training calls"}
        k_change = np.asarray(a, "float64") - np.asarray(before, "float64")
        t_change = np.asarray(b, "float64") - np.asarray(before, "float64")
        w_worst, w_scale, why = _worst([k_change], [t_change])
        if why is not None or w_worst > CHANGE_TOLERANCE * w_scale + 1e-6:
            return {**out, "status": "FAIL", "why": f"weight array {i}, its change over two training calls (moving "
                                                     f"statistics): {why or f'differs by {w_worst:.3g} (max {w_scale:.3g})'}"}
        out["weights_diff"] = max(out["weights_diff"], w_worst)
    return {**out, "status": "pass"}


def _child(payload_path: str) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    payload = json.loads(Path(payload_path).read_text(encoding="utf-8"))
    results = []
    if payload["keras2"]:  # a Keras 2 program: its original runs under Keras 2 (tf-keras)
        from kerastf_xlate.testing.keras2 import use_keras2

        use_keras2()
    original: dict[str, Any] = {"__name__": "xlate_original"}
    translated: dict[str, Any] = {"__name__": "xlate_translated"}
    for ns, text, what in ((original, payload["original"], "original"), (translated, payload["translated"], "translation")):
        try:
            exec(compile(text, f"<{what}>", "exec"), ns)
        except Exception as exc:
            print("XLATE-MODELS " + json.dumps([{"builder": "*", "status": "skip" if what == "original" else "FAIL",
                                                  "why": f"the {what}'s definitions raised {type(exc).__name__}: {str(exc)[:200]}"}]))
            return 0
    for expr in payload["builders"]:
        try:
            result = _compare_one(expr, original, translated, payload["seed"], frozenset(payload["kept"]), payload["keras2"])
            results.append({**result, "keras2": True} if payload["keras2"] else result)
        except Exception as exc:  # a bench bug or an odd model: reported, never hidden
            results.append({"builder": expr, "status": "skip", "why": f"comparison raised {type(exc).__name__}: {str(exc)[:200]}"})
    if payload.get("script"):
        results += _script_models(payload["script"], payload["seed"], payload["keras2"])
    print("XLATE-MODELS " + json.dumps(results), flush=True)
    return 0


class _StatementTimeout(BaseException):
    pass


class _Guard:
    """One top-level statement of a program run whole: an exception ends it (recorded), as a
    failing notebook cell does, and so does :data:`STATEMENT_SECONDS` of running."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors

    def __call__(self) -> _Guard:
        return self

    def __enter__(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, STATEMENT_SECONDS)

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if exc is not None and isinstance(exc, (Exception, _StatementTimeout, SystemExit)):
            self.errors.append(f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}")
            return True
        return False


def _on_alarm(signum: int, frame: Any) -> None:
    raise _StatementTimeout(f"a statement ran over {STATEMENT_SECONDS} s")


def _script_models(script: dict[str, str], seed: int, keras2: bool) -> list[dict[str, Any]]:
    """Both programs run whole (:func:`script_cut`); each module-level name the original binds
    to a built ``keras.Model`` is compared with that name in the translation."""
    import keras

    signal.signal(signal.SIGALRM, _on_alarm)
    sys.argv = ["program.py"]  # (a script's own argparse reads it)
    spaces: list[dict[str, Any]] = []
    errors: list[list[str]] = []
    for what in ("original", "translated"):
        errs: list[str] = []
        ns: dict[str, Any] = {"__name__": "__main__", _GUARD: _Guard(errs), "__xlate_cell__": lambda n: None}
        keras.utils.set_random_seed(seed)
        try:
            exec(compile(script[what], f"<{what} program>", "exec"), ns)
        except (Exception, _StatementTimeout) as exc:  # (a statement the guard does not hold)
            errs.append(f"{type(exc).__name__}: {str(exc)[:160]}")
        spaces.append(ns)
        errors.append(errs)
    original, translated = spaces
    # what only the translation raised (messages without numbers: names and addresses differ)
    seen = {re.sub(r"\d+", "#", e) for e in errors[0]}
    only = [e for e in errors[1] if re.sub(r"\d+", "#", e) not in seen]
    names = [n for n, v in original.items() if isinstance(v, keras.Model) and not n.startswith("_")]
    kept = frozenset(n for n in names if isinstance(translated.get(n), keras.Model))
    results = []
    for name in names[:12]:
        value = original[name]
        if name not in translated and (not value.built or not getattr(value, "inputs", None)):
            # (Keras's model was never built here: its data is missing, say, and the translation,
            # which builds at once, stopped on the same missing name one statement earlier)
            results.append({"builder": f"module-level {name}", "status": "skip", "why": "a model without inputs"})
            continue
        if name not in translated:
            new = [e for e in errors[1] if e not in errors[0]]
            results.append({"builder": f"module-level {name}", "status": "FAIL",
                            "why": f"the translation binds no `{name}`" + (f"; it raised {new[0]}" if new else "")})
            continue
        try:
            result = _compare_one(name, original, translated, seed, kept, keras2)
        except Exception as exc:
            result = {"builder": name, "status": "skip", "why": f"comparison raised {type(exc).__name__}: {str(exc)[:200]}"}
        result["builder"] = f"module-level {name}"
        if result["status"] == "FAIL" and "raised" not in result["why"]:
            new = [e for e in errors[1] if e not in errors[0]]
            if new:
                result["why"] += f" (the translation raised {new[0]})"
        results.append({**result, "keras2": True} if keras2 else result)
    if only:
        results.append({"builder": "module-level statements", "status": "raised",
                        "why": f"{len(only)} statement(s) raised in the translation only: " + " | ".join(only[:3])})
    return results


# --- the parent ----------------------------------------------------------------------------


def process(corpus: str, repo: str, rel: str, timeout: float, seed: int, scripts: bool = False) -> dict[str, Any]:
    from kerastf_xlate.totf import make_transform

    full = os.path.join(corpus, repo, rel)
    record: dict[str, Any] = {"repo": repo, "path": rel, "builders": [], "results": []}
    data = Path(full).read_bytes()
    original = program_text(full, data)
    outcome = run_translator(full, data, make_transform())
    if original is None or outcome.output is None or outcome.output == data:
        record["note"] = "unchanged"
        return record
    with tempfile.TemporaryDirectory(prefix="xlate-models-") as tmp:
        target = os.path.join(tmp, os.path.basename(rel))
        Path(target).write_bytes(outcome.output)
        translated = program_text(target, outcome.output)
        try:
            found = builders(original)
            payload = {"original": cut(original, False), "translated": cut(translated or "", True),
                       "builders": found, "seed": seed, "kept": kept_keras(translated or ""),
                       "keras2": keras2_program(original)}
            if scripts and any(w in original for w in _MODEL_WORDS):
                payload["script"] = {"original": script_cut(original, False),
                                     "translated": script_cut(translated or "", True)}
        except SyntaxError:
            record["note"] = "does not parse"
            return record
        record["builders"] = found
        if not found and "script" not in payload:
            return record
        payload_path = os.path.join(tmp, "payload.json")
        Path(payload_path).write_text(json.dumps(payload), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")]),
               "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "MPLBACKEND": "Agg"}
        try:
            proc = subprocess.run([sys.executable, __file__, "--child", payload_path], capture_output=True, text=True,
                                  timeout=timeout, env=env, cwd=tmp, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            record["results"] = [{"builder": "*", "status": "skip", "why": f"timed out after {timeout:.0f} s"}]
            return record
        for line in proc.stdout.splitlines():
            if line.startswith("XLATE-MODELS "):
                record["results"] = json.loads(line[len("XLATE-MODELS "):])
                break
        else:
            record["results"] = [{"builder": "*", "status": "skip",
                                  "why": f"child exited {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"}]
    return record


def _process_job(job: tuple[str, str, str, float, int, bool]) -> dict[str, Any]:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # as the CLI does
    return process(*job)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--only", action="append", help="only repositories whose folder contains this (repeatable)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=240, help="seconds per file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write every record here")
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--scripts", action="store_true",
                    help="also run each program whole and compare the models it builds at module level")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(args.child)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    files = list_files(args.corpus, args.only, None, 0)
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        records = []
        for i, record in enumerate(pool.map(_process_job, [(args.corpus, repo, rel, args.timeout, args.seed, args.scripts)
                                                            for repo, rel in files])):
            records.append(record)
            if (i + 1) % 25 == 0:
                print(f"  {i + 1}/{len(files)} files ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    wall = time.perf_counter() - start
    statuses: Counter[str] = Counter()
    skips: Counter[str] = Counter()
    by_repo: dict[str, Counter[str]] = {}
    for r in records:
        for res in r["results"]:
            statuses[res["status"]] += 1
            by_repo.setdefault(r["repo"], Counter())[res["status"]] += 1
            if res["status"] == "skip":
                skips[res["why"].split(" (")[0][:70]] += 1
    changed = sum(1 for r in records if r.get("note") != "unchanged")
    keras2 = [res for r in records for res in r["results"] if res.get("keras2")]
    if keras2:
        print(f"  Keras 2 programs (originals run under tf-keras): {len(keras2)} builders, pass "
              f"{sum(res['status'] == 'pass' for res in keras2)}, FAIL {sum(res['status'] == 'FAIL' for res in keras2)}")
    print(f"files {len(files)}, changed by to-tf {changed}, with builders {sum(1 for r in records if r['builders'])}, "
          f"builders {sum(len(r['results']) for r in records) - statuses['raised']}: pass {statuses['pass']}, "
          f"FAIL {statuses['FAIL']}, kept Keras {statuses['kept']}, skip {statuses['skip']} (wall {wall:.0f} s)")
    if args.scripts:
        print(f"  programs run whole: {statuses['raised']} where statements raised in the translation only "
              "(listed below with --show-failures: each is read, as a message can differ for other reasons)")
    trained = [res for r in records for res in r["results"] if res.get("training") == "compared"]
    if trained:
        print(f"  training mode compared for {len(trained)} passing builders (the others: random in training); "
              f"worst output difference {max(res['train_diff'] for res in trained):.3g}, worst weight difference "
              f"change over two training calls {max((res['weights_diff'] for res in trained if 'weights_diff' in res), default=0.0):.3g} "
              "(a Keras 2 program whose translation holds Keras 3's BatchNormalization, one that does not train: "
              "outputs only, its moving statistics are per version)")
    for repo, c in sorted(by_repo.items()):
        print(f"  {repo}: pass {c['pass']}, FAIL {c['FAIL']}, kept {c['kept']}, skip {c['skip']}")
    print("skipped, by reason:")
    for why, n in skips.most_common(12):
        print(f"  {n:4d}  {why}")
    if args.show_failures or statuses["FAIL"]:
        for status, title in (("FAIL", "FAIL:"), ("raised", "raised in the translation only:")):
            if status == "FAIL" or (args.scripts and statuses["raised"]):
                print(title)
                for r in records:
                    for res in r["results"]:
                        if res["status"] == status:
                            what = "" if status == "raised" else f"{res['builder'][:60]}: "
                            print(f"  {r['repo']}/{r['path']}: {what}{res['why'][:400]}")
    if args.json:
        Path(args.json).write_text(json.dumps({"wall": wall, "records": records}, indent=1), encoding="utf-8")
    return 1 if statuses["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
