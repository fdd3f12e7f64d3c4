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
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

RANDOM_LAYERS = ("Dropout", "SpatialDropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Random")


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
    rng = np.random.default_rng(seed)
    specs = []
    try:
        for t in model.inputs:
            specs.append((tuple(t.shape[1:]), str(t.dtype)))
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
            training: bool | None = None) -> list[Comparison]:
    """Move weights Keras -> module, then compare outputs (and, in training, variables)."""
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
        kw, tw = keras_model.get_weights(), module.get_weights()
        diff = max(_max_diff(k, t), _max_diff(kw, tw))
        ok = _close(k, t, atol, rtol) and _close(kw, tw, atol, rtol)
        results.append(Comparison(name, "training", diff, ok, "outputs and updated variables"))
    return results


def models_in(namespace: dict[str, Any]) -> dict[str, Any]:
    import keras

    return {k: v for k, v in namespace.items() if isinstance(v, keras.Model) and not k.startswith("_")}


def verify_source(source: str, translated: str, path: str = "<xlate>", atol: float = 1e-5, rtol: float = 1e-5,
                  input_shape: tuple[int, ...] | None = None, seed: int = 0) -> list[Comparison]:
    """Execute both versions and compare every module-level model they share by name."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    original = exec_source(source, "__xlate_original__", path)
    tf.random.set_seed(seed)
    converted = exec_source(translated, "__xlate_translated__", path + " (translated)")
    results: list[Comparison] = []
    for name, model in models_in(original).items():
        module = converted.get(name)
        if module is None or isinstance(module, keras.Model) or not hasattr(module, "set_weights"):
            continue
        try:
            inputs = random_inputs(model, input_shape, seed)
            if not model.built:
                model(inputs)
            results += compare(name, model, module, inputs, atol, rtol)
        except Exception as exc:  # report, don't crash: one model failing is a result
            results.append(Comparison(name, "inference", float("inf"), False, f"error: {type(exc).__name__}: {exc}"))
    return results


def run_verify(path: str, to_keras: bool = False, atol: float = 1e-5, rtol: float = 1e-5,
               input_shape: tuple[int, ...] | None = None, seed: int = 0) -> int:
    """The ``xlate verify`` command: print one line per model and mode; exit 0 when all pass."""
    from kerastf_xlate.sources import read_source

    source = read_source(path).text
    print(f"xlate verify: executing {path} and its translation (this runs your code and imports TensorFlow/Keras)")
    if to_keras:
        from kerastf_xlate.tokeras import verify_to_keras

        results = verify_to_keras(source, path, atol=atol, rtol=rtol, input_shape=input_shape, seed=seed)
    else:
        from kerastf_xlate.totf import translate

        translated, _ = translate(source, path, input_shape=input_shape)
        if translated == source:
            print(f"{path}: nothing was translated; nothing to compare")
            return 1
        results = verify_source(source, translated, path, atol, rtol, input_shape, seed)
    if not results:
        print(f"{path}: no model found that exists in both versions")
        return 1
    worst = 0.0
    for r in results:
        worst = max(worst, r.max_abs_diff)
        status = "PASS" if r.ok else "FAIL"
        extra = f" ({r.detail})" if r.detail else ""
        print(f"{status} {r.name} [{r.mode}] max |diff| = {r.max_abs_diff:.3g}{extra}; tolerance atol={atol:g} rtol={rtol:g}")
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed; worst max |diff| = {worst:.3g}")
    return 1 if failed else 0
