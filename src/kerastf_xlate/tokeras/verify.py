"""``xlate verify --to-keras``: run a TensorFlow program and its Keras translation, compare.

The one module of ``tokeras`` that imports TensorFlow and Keras (inside its functions). For
every module-level object of the original that is an instance of a translated ``tf.Module``
(and every translated class that can be built without arguments), it

1. executes both sources (the original's instance and the translation's Keras model);
2. calls both once on the same random input, so lazily created variables exist;
3. moves the original's variables into the Keras model in the documented order
   (``keras_model.set_weights([...])``, see docs/to-keras.md; variables to-keras kept as
   ``tf.Variable`` are assigned by attribute);
4. compares the outputs in inference mode, and in training mode when nothing random runs
   (outputs and updated variables, e.g. BatchNormalization's moving statistics).
"""

from __future__ import annotations

import os
from typing import Any

from kerastf_xlate.tokeras.engine import UnitInfo, translate_full

RANDOM_LAYERS = ("Dropout", "SpatialDropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Random")


def _get(obj: Any, path: str) -> Any:
    """``obj.a.b``; ``layers[1]`` is the item of a list attribute (a list of sub-modules)."""
    for part in path.split("."):
        name, _, index = part.partition("[")
        obj = getattr(obj, name)
        if index:
            obj = obj[int(index.rstrip("]"))]
    return obj


def transfer(module: Any, keras_model: Any, unit: UnitInfo) -> None:
    """Load ``module``'s variables into ``keras_model``: ``set_weights`` with the variables
    in UnitInfo.weight_order (attribute paths), then the ones kept as tf.Variable by name."""
    if unit.kind == "keras":
        keras_model.set_weights(module.get_weights())
        return
    keras_model.set_weights(_values(module, unit.weight_order, unit.reshape))
    for a in unit.kept_vars:
        _get(keras_model, a).assign(_get(module, a))


def _values(module: Any, order: list[str], reshape: dict[str, tuple[int, ...]] | None = None) -> list[Any]:
    """The arrays of ``order``: attribute paths, and "*path" for all weights of a Keras layer;
    those of ``reshape`` reshaped (a scalar bias loads as the (1,) bias of a Dense(1))."""
    import numpy as np

    out = []
    for a in order:
        if a.startswith("*"):
            out += [np.asarray(w) for w in _get(module, a[1:]).weights]
        elif reshape and a in reshape:
            out.append(np.reshape(np.asarray(_get(module, a)), reshape[a]))
        else:
            out.append(np.asarray(_get(module, a)))
    return out


def module_variables(module: Any, unit: UnitInfo) -> list[Any]:
    import numpy as np

    if unit.kind == "keras":
        return [np.asarray(w) for w in module.get_weights()]
    return _values(module, unit.weight_order + unit.kept_vars, unit.reshape)


def keras_variables(model: Any, unit: UnitInfo) -> list[Any]:
    import numpy as np

    return [np.asarray(w) for w in model.get_weights()] + [np.asarray(_get(model, a)) for a in unit.kept_vars]


def _legacy_shapes(hint: dict[str, Any]) -> list[tuple[int, ...]]:
    """Shapes to try when neither the code nor the translation shows the input's rank."""
    out: list[tuple[int, ...]] = []
    last = hint.get("last")
    if hint.get("cls") in ("Dense", "EinsumDense") and isinstance(last, int):
        out.append((last,))
    out += [(784,), (32,), (16,), (8,), (4,)]
    out += [(size, size, ch) for size in (28, 32, 8) for ch in (1, 3)]
    return out


def input_guess(unit: UnitInfo, module: Any, keras_model: Any, source: str) -> Any:
    """What the original's code, and then the translation, show about the input
    (kerastf_xlate.verify_shapes.InputGuess; never a rank the code contradicts)."""
    from dataclasses import replace

    from kerastf_xlate.verify_shapes import InputGuess, guess_input

    guess = guess_input(module, source) or InputGuess()
    hint = unit.input_hint or {}
    if hint.get("cls") == "Embedding":
        guess = replace(guess, dtype="int32", high=int(hint.get("vocab") or guess.high), rank=guess.rank or 1)
    exact = [s for s in _exact_shapes(unit, module, keras_model)
             if guess.rank is None or len(s) == guess.rank]
    if exact and guess.shape is None:
        return replace(guess, shape=exact[0], rank=len(exact[0]), why=guess.why or "the translation's inputs")
    if guess.rank is None and guess.shape is None and guess.size is None:
        rank, last = hint.get("rank"), hint.get("last")
        if rank:
            guess = replace(guess, rank=rank + 1, why=f"{hint.get('cls')} (to-keras)")
        elif hint.get("cls") in ("Dense", "EinsumDense") and isinstance(last, int):
            guess = replace(guess, rank=1, why=f"{hint.get('cls')} (to-keras)")
        if guess.last is None and isinstance(last, int):
            guess = replace(guess, last=last)
    return guess


def _exact_shapes(unit: UnitInfo, module: Any, keras_model: Any) -> list[tuple[int, ...]]:
    """Input shapes stated outright: the translation's keras.Input, the original's build()."""
    out: list[tuple[int, ...]] = []
    built = getattr(module, "_build_shapes_dict", None) or {}
    for v in built.values() if isinstance(built, dict) else []:
        if isinstance(v, (tuple, list)) and v and all(isinstance(d, int) or d is None for d in v):
            out.append(tuple(3 if d is None else d for d in v[1:]))
    try:
        for t in keras_model.inputs:
            shape = tuple(t.shape[1:])
            if all(d is not None for d in shape):
                out.append(shape)
    except (AttributeError, ValueError):
        pass
    if unit.input_shapes:
        s = unit.input_shapes[0]
        if s is not None and all(isinstance(d, int) for d in s[1:]):
            out.append(tuple(s[1:]))  # type: ignore[arg-type]
    return out


def _make(shape: tuple[int, ...], dtype: str, high: int, seed: int, batch: int = 2) -> Any:
    from kerastf_xlate.verify import make_input

    return make_input(shape, dtype, high, seed, batch)


def _deterministic(model: Any) -> bool:
    import keras

    for layer in model._flatten_layers() if hasattr(model, "_flatten_layers") else []:
        if isinstance(layer, keras.layers.Layer) and type(layer).__name__.startswith(RANDOM_LAYERS):
            return False
    return True


def _nostage(model: str | None, what: str) -> None:
    return None


def plan_to_keras(source: str, path: str, atol: float = 1e-5, rtol: float = 1e-5,
                  input_shape: tuple[int, ...] | None = None, seed: int = 0, stage: Any = _nostage) -> Any:
    """Execute the original and its to-keras translation; the models to compare
    (kerastf_xlate.verify.Plan: names, and ``run(name)`` for one model's Comparisons)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    from kerastf_xlate.verify import Comparison, Plan, exec_source

    stage(None, "translating")
    result = translate_full(source, path)
    if result.text == source or not result.units:
        return Plan([], lambda name: [])
    keras.utils.set_random_seed(seed)
    stage(None, "executing the original")
    original = exec_source(source, "__xlate_tf_original__", path)
    keras.utils.set_random_seed(seed)
    stage(None, "executing the translation")
    converted = exec_source(result.text, "__xlate_keras_translated__", path + " (translated)")
    pairs: dict[str, tuple[Any, Any, UnitInfo]] = {}
    by_class = {u.name: u for u in result.units if u.kind in ("module", "sequential", "functional")}
    for name, obj in original.items():
        if name.startswith("_") or not isinstance(obj, tf.Module) or isinstance(obj, keras.layers.Layer):
            continue
        other = converted.get(name)
        unit = next((u for u in result.units if u.instance == name), None) or by_class.get(type(obj).__name__)
        if unit is not None and isinstance(other, keras.layers.Layer):
            pairs[name] = (obj, other, unit)
    keras_unit = next((u for u in result.units if u.kind == "keras"), None)
    if keras_unit is not None:  # Keras code whose tf ops became layers: Keras against Keras
        for name, obj in original.items():
            other = converted.get(name)
            if not name.startswith("_") and isinstance(obj, keras.Model) and isinstance(other, keras.Model):
                pairs[name] = (obj, other, keras_unit)
    named = {type(o).__name__ for o, _, _ in pairs.values()}
    for cname, unit in by_class.items():
        if cname in named or unit.kind != "module" or not isinstance(original.get(cname), type):
            continue
        try:
            stage(f"{cname}()", "constructing the class without arguments")
            pairs[f"{cname}()"] = (original[cname](), converted[cname](), unit)
        except TypeError:
            continue  # needs constructor arguments
        except Exception as exc:  # the constructor itself fails: a result, not a crash
            pairs[f"{cname}()"] = (exc, None, unit)

    def run(name: str) -> list[Any]:
        module, model, unit = pairs[name]
        try:
            if isinstance(module, Exception):
                raise module
            return _compare(name, module, model, unit, atol, rtol, input_shape, seed, source, stage)
        except Exception as exc:  # one model failing is a result, not a crash
            return [Comparison(name, "inference", float("inf"), False, f"error: {type(exc).__name__}: {exc}")]

    return Plan(list(pairs), run)


def verify_to_keras(source: str, path: str, atol: float = 1e-5, rtol: float = 1e-5,
                    input_shape: tuple[int, ...] | None = None, seed: int = 0) -> list[Any]:
    """Execute the original and its to-keras translation in this process; one Comparison
    per model and mode (``xlate verify --to-keras`` runs this in a child process)."""
    plan = plan_to_keras(source, path, atol, rtol, input_shape, seed)
    results: list[Any] = []
    for name in plan.names:
        results += plan.run(name)
    return results


def _compare(name: str, module: Any, model: Any, unit: UnitInfo, atol: float, rtol: float,
             input_shape: tuple[int, ...] | None, seed: int, source: str = "", stage: Any = _nostage) -> list[Any]:
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.verify import Comparison, _close, _max_diff
    from kerastf_xlate.verify_shapes import iter_candidates

    inputs = None
    errors = []
    guess = input_guess(unit, module, model, source)
    dtype, high = guess.dtype, guess.high
    shapes = [tuple(input_shape)] if input_shape is not None else list(iter_candidates(guess, _legacy_shapes(unit.input_hint or {})))
    for shape in shapes:
        x = _make(shape, dtype, high, seed)
        stage(name, f"probing input shape {shape}")
        try:
            module(tf.convert_to_tensor(x), training=False) if _takes_training(module) else module(tf.convert_to_tensor(x))
            inputs = x
            break
        except Exception as exc:  # not an input this module takes: try the next shape
            errors.append(f"{shape}: {type(exc).__name__}")
    if inputs is None:
        why = f" of the rank its code shows ({guess.why})" if guess.why else ""
        raise ValueError(f"no input shape{why} fits the original module (tried {', '.join(errors[:6])}); "
                         "pass --input-shape")
    stage(name, f"calling the translation on input shape {tuple(np.shape(inputs)[1:])}")
    model(inputs, training=False)
    stage(name, "moving the weights")
    transfer(module, model, unit)
    stage(name, f"comparing on input shape {tuple(np.shape(inputs)[1:])}")

    def run_module(training: bool) -> Any:
        t = tf.convert_to_tensor(inputs)
        return module(t, training=training) if _takes_training(module) else module(t)

    out = []
    a, b = run_module(False), model(inputs, training=False)
    a = [np.asarray(v) for v in a] if isinstance(a, (list, tuple)) else np.asarray(a)
    b = [np.asarray(v) for v in b] if isinstance(b, (list, tuple)) else np.asarray(b)
    out.append(Comparison(name, "inference", _max_diff(a, b), _close(a, b, atol, rtol)))
    if _deterministic(model) and _takes_training(module):
        a, b = run_module(True), model(inputs, training=True)
        a = [np.asarray(v) for v in a] if isinstance(a, (list, tuple)) else np.asarray(a)
        b = [np.asarray(v) for v in b] if isinstance(b, (list, tuple)) else np.asarray(b)
        va, vb = module_variables(module, unit), keras_variables(model, unit)
        diff = max(_max_diff(a, b), _max_diff(va, vb))
        ok = _close(a, b, atol, rtol) and _close(va, vb, atol, rtol)
        out.append(Comparison(name, "training", diff, ok, "outputs and updated variables"))
    return out


def _takes_training(module: Any) -> bool:
    import inspect

    import keras

    if isinstance(module, keras.layers.Layer):
        return True
    try:
        fn = type(module).__call__
        fn = getattr(fn, "python_function", fn)
        return "training" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
