"""``xlate verify``: execute the original Keras code and its translation, and compare.

This is the one module that imports TensorFlow and Keras and runs the user's code; the
static commands never import it. For every model bound at module level in the original
(a ``keras.Model`` instance) whose name is bound to a ``tf.Module`` in the translation, it
moves the Keras weights into the module (``set_weights(model.get_weights())``), feeds both
the same random input, and reports the maximum absolute difference in inference mode, and
in training mode when the model is deterministic there (outputs and updated variables).
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

RANDOM_LAYERS = ("Dropout", "SpatialDropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Random")


Stage = Callable[[str | None, str], None]  # (model or None, what is about to run), announced first


@dataclass(frozen=True)
class Comparison:
    name: str
    mode: str  # inference | training
    max_abs_diff: float
    ok: bool
    detail: str = ""


def exec_source(source: str, name: str, path: str = "<xlate>") -> dict[str, Any]:
    """Execute source as a fresh module and return its namespace."""
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    try:
        exec(compile(source, path, "exec"), module.__dict__)
    finally:
        sys.modules.pop(name, None)
    return module.__dict__


def random_inputs(model: Any, input_shape: tuple[int, ...] | None, seed: int, batch: int = 2) -> Any:
    """Random inputs for a Keras model whose input is declared (``model.inputs``, or the
    shape it was built with) or given (``input_shape``); ValueError otherwise."""
    rng = np.random.default_rng(seed)
    specs = []
    try:
        for t in model.inputs:
            specs.append((tuple(t.shape[1:]), str(getattr(t.dtype, "name", t.dtype))))  # tf-keras: a tf.DType
    except (AttributeError, ValueError):
        built = getattr(model, "_build_shapes_dict", None) or {}
        shapes = [v for v in built.values() if isinstance(v, (tuple, list))]
        if input_shape is not None:
            specs.append((tuple(input_shape), "float32"))
        elif len(shapes) == 1 and all(isinstance(d, int) or d is None for d in shapes[0]):
            specs.append((tuple(shapes[0][1:]), "float32"))  # the shape it was built with
        else:
            raise ValueError("the model declares no input shape; pass --input-shape") from None
    arrays = []
    for shape, dtype in specs:
        shape = tuple(d if d is not None else 3 for d in shape)
        if "int" in dtype:
            high = _embedding_range(model)
            arrays.append(rng.integers(0, high, size=(batch,) + shape).astype(dtype))
        else:
            arrays.append(rng.standard_normal((batch,) + shape).astype("float32"))
    return arrays[0] if len(arrays) == 1 else arrays


def make_input(shape: tuple[int, ...], dtype: str, high: int, seed: int, batch: int = 2) -> Any:
    """One random batch of ``shape`` (no batch axis): integers in [0, high) or floats."""
    rng = np.random.default_rng(seed)
    if "int" in dtype:
        return rng.integers(0, max(high, 1), size=(batch,) + tuple(shape)).astype(dtype)
    return rng.standard_normal((batch,) + tuple(shape)).astype("float32")


def _n_weights(model: Any) -> int:
    try:
        return len(model.weights)
    except Exception:  # noqa: BLE001 - a half-built user model
        return -1


def probe_keras_inputs(name: str, model: Any, input_shape: tuple[int, ...] | None, seed: int, source: str,
                       fresh: Callable[[], Any], stage: Stage) -> tuple[Any, Any]:
    """(inputs, model) for a Keras model: declared or given inputs, else shapes of the rank
    its code shows, tried in order (``fresh()`` re-creates a model a failed try half built)."""
    from kerastf_xlate.verify_shapes import guess_input, iter_candidates

    try:
        inputs = random_inputs(model, input_shape, seed)
    except ValueError:
        inputs = None
    if inputs is not None:
        stage(name, f"calling the model on {_shape_text(inputs)}")
        model(inputs, training=False)  # builds what build() alone left unbuilt
        return inputs, model
    guess = guess_input(model, source)
    if guess is None or (guess.rank is None and guess.shape is None and guess.size is None):
        raise ValueError("the model declares no input shape and its code shows no input rank; pass --input-shape")
    dtype, high = guess.dtype, guess.high
    if "int" in dtype:
        high = min(high, _embedding_range(model))
    errors = []
    for shape in iter_candidates(guess, []):
        x = make_input(shape, dtype, high, seed)
        before = _n_weights(model)
        stage(name, f"probing input shape {shape}")
        try:
            model(x, training=False)
            return x, model
        except Exception as exc:  # not an input this model takes: try the next shape
            errors.append(f"{shape}: {type(exc).__name__}")
            if _n_weights(model) != before:  # the failed call built some layers for this shape
                stage(name, "re-executing the original (a failed probe built part of the model)")
                model = fresh()
    raise ValueError(f"no input of the rank its code shows ({guess.why}) fits; tried {', '.join(errors[:6])}; "
                     "pass --input-shape")


def _shape_text(inputs: Any) -> str:
    if isinstance(inputs, (list, tuple)):
        return ", ".join(_shape_text(i) for i in inputs)
    return f"input shape {tuple(np.shape(inputs)[1:])}"


def _embedding_range(model: Any) -> int:
    highs = [getattr(layer, "input_dim", None) for layer in getattr(model, "layers", [])]
    highs = [h for h in highs if isinstance(h, int)]
    return min(highs) if highs else 10


def _deterministic(model: Any) -> bool:
    """No layer draws random numbers in training (dropout, noise, random augmentation)."""
    for layer in getattr(model, "layers", []) or []:
        if type(layer).__name__.startswith(RANDOM_LAYERS):
            return False
        if getattr(layer, "seed_generator", None) is not None:  # e.g. Attention(dropout=...)
            return False
        if isinstance(getattr(layer, "dropout", None), float) and layer.dropout > 0:
            return False
        if not _deterministic(layer):  # nested models
            return False
    return True


def _max_diff(a: Any, b: Any) -> float:
    if isinstance(a, (list, tuple)):
        return max((_max_diff(x, y) for x, y in zip(a, b)), default=0.0)
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def _close(a: Any, b: Any, atol: float, rtol: float) -> bool:
    if isinstance(a, (list, tuple)):
        return all(_close(x, y, atol, rtol) for x, y in zip(a, b))
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol, rtol=rtol))


def compare(name: str, keras_model: Any, module: Any, inputs: Any, atol: float = 1e-5, rtol: float = 1e-5,
            training: bool | None = None, keras2: bool = False) -> list[Comparison]:
    """Move weights Keras -> module, then compare outputs (and, in training, variables; against
    Keras 2, ``keras2``, the outputs only: Keras 2 versions update BatchNormalization's moving
    variance differently, and a Keras 2 program that trains one is kept Keras)."""
    import tensorflow as tf

    def as_tensor(v: Any) -> Any:
        return [tf.convert_to_tensor(x) for x in v] if isinstance(v, list) else tf.convert_to_tensor(v)

    results = []
    module(as_tensor(inputs), training=False)  # create lazily-built variables
    module.set_weights(keras_model.get_weights())
    k_out = keras_model(inputs, training=False)
    t_out = module(as_tensor(inputs), training=False)
    k = [np.asarray(o) for o in k_out] if isinstance(k_out, (list, tuple)) else np.asarray(k_out)
    t = [np.asarray(o) for o in t_out] if isinstance(t_out, (list, tuple)) else np.asarray(t_out)
    results.append(Comparison(name, "inference", _max_diff(k, t), _close(k, t, atol, rtol)))
    if training is None:
        training = _deterministic(keras_model)
    if training:
        k_out = keras_model(inputs, training=True)
        t_out = module(as_tensor(inputs), training=True)
        k = [np.asarray(o) for o in k_out] if isinstance(k_out, (list, tuple)) else np.asarray(k_out)
        t = [np.asarray(o) for o in t_out] if isinstance(t_out, (list, tuple)) else np.asarray(t_out)
        if keras2:
            results.append(Comparison(name, "training", _max_diff(k, t), _close(k, t, atol, rtol),
                                      "outputs (Keras 2: moving statistics are per version)"))
            return results
        kw, tw = keras_model.get_weights(), module.get_weights()
        diff = max(_max_diff(k, t), _max_diff(kw, tw))
        ok = _close(k, t, atol, rtol) and _close(kw, tw, atol, rtol)
        results.append(Comparison(name, "training", diff, ok, "outputs and updated variables"))
    return results


def models_in(namespace: dict[str, Any]) -> dict[str, Any]:
    import keras

    return {k: v for k, v in namespace.items() if isinstance(v, keras.Model) and not k.startswith("_")}


def _nostage(model: str | None, what: str) -> None:
    return None


@dataclass
class Plan:
    """The models of one file, found by executing both versions; ``run(name)`` compares one."""

    names: list[str]
    run: Callable[[str], list[Comparison]]


def plan_to_tf(source: str, translated: str, path: str = "<xlate>", atol: float = 1e-5, rtol: float = 1e-5,
               input_shape: tuple[int, ...] | None = None, seed: int = 0, stage: Stage = _nostage,
               keras2: bool = False) -> Plan:
    """Execute the Keras original and its to-tf translation; the models they share by name.
    ``keras2``: the original is a Keras 2 program run under tf-keras (``import keras`` is
    tf-keras in this process), whose moving statistics are not compared in training mode."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    stage(None, "executing the original")
    original = exec_source(source, "__xlate_original__", path)
    tf.random.set_seed(seed)
    stage(None, "executing the translation")
    converted = exec_source(translated, "__xlate_translated__", path + " (translated)")
    pairs = {}
    for name, model in models_in(original).items():
        module = converted.get(name)
        if module is None or isinstance(module, keras.Model) or not hasattr(module, "set_weights"):
            continue
        pairs[name] = (model, module)

    def fresh(name: str) -> Any:
        keras.utils.set_random_seed(seed)
        return exec_source(source, "__xlate_original__", path)[name]

    def run(name: str) -> list[Comparison]:
        model, module = pairs[name]
        try:
            inputs, model = probe_keras_inputs(name, model, input_shape, seed, source, lambda: fresh(name), stage)
            stage(name, f"comparing on {_shape_text(inputs)}")
            return compare(name, model, module, inputs, atol, rtol, keras2=keras2)
        except Exception as exc:  # report, don't crash: one model failing is a result
            return [Comparison(name, "inference", float("inf"), False, f"error: {type(exc).__name__}: {exc}")]

    return Plan(list(pairs), run)


def verify_source(source: str, translated: str, path: str = "<xlate>", atol: float = 1e-5, rtol: float = 1e-5,
                  input_shape: tuple[int, ...] | None = None, seed: int = 0) -> list[Comparison]:
    """Execute both versions and compare every module-level model they share by name, in
    this process (``xlate verify`` runs this in a child process: verify_process)."""
    plan = plan_to_tf(source, translated, path, atol, rtol, input_shape, seed)
    results: list[Comparison] = []
    for name in plan.names:
        results += plan.run(name)
    return results


def run_verify(path: str, to_keras: bool = False, atol: float = 1e-5, rtol: float = 1e-5,
               input_shape: tuple[int, ...] | None = None, seed: int = 0) -> int:
    """The ``xlate verify`` command: every execution in a child process (verify_process)."""
    from kerastf_xlate.verify_process import run_verify as isolated

    return isolated(path, to_keras=to_keras, atol=atol, rtol=rtol, input_shape=input_shape, seed=seed)
