"""Where Keras 3 refuses a model, the translated model refuses it too, with Keras's words.

Course and book code written for Keras 2 reaches these in Keras 3 (a `Dense` named
"input_layer" after an `input_shape`, the books' `Dense(np.prod(shape))`). The original stops
there; a translation that ran on would not be the same program. Each case runs Keras and the
runtime bundle to-tf writes out and compares the messages.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def runtime() -> Any:
    from kerastf_xlate.totf.program.bundle import load_runtime

    rt = load_runtime()
    source = "import tensorflow as tf\n" + rt.source(set(rt.public))
    namespace: dict[str, Any] = {"__name__": "xlate_errors_runtime"}
    exec(compile(source, "<xlate runtime bundle>", "exec"), namespace)
    return types.SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


def _error(fn: Callable[[], Any]) -> str:
    with pytest.raises(ValueError) as info:
        fn()
    return str(info.value)


CASES: dict[str, Callable[[Any], Any]] = {
    # the InputLayer Keras makes for `input_shape` is named "input_layer"
    "named_like_the_input_layer": lambda m: m.Sequential([m.Dense(10, input_shape=[1], name="input_layer"),
                                                         m.Dense(1, name="output_layer")]),
    "added_named_like_the_input_layer": lambda m: m.Sequential().add(m.Dense(3, input_shape=(2,), name="input_layer")),
    "two_layers_one_name": lambda m: m.Sequential([m.Input((2,)), m.Dense(3, name="d"), m.Dense(1, name="d")]),
    "named_like_the_input": lambda m: m.Sequential([m.Input((2,), name="x"), m.Dense(3, name="x")]),
    "numpy_units": lambda m: m.Dense(__import__("numpy").prod((2, 3))),
    "zero_units": lambda m: m.Dense(0),
    # a vocabulary size computed with NumPy (`np.max(ids) + 1`), an empty embedding
    "numpy_input_dim": lambda m: m.Embedding(__import__("numpy").int64(10), 4),
    "zero_output_dim": lambda m: m.Embedding(10, 0),
    # tf.keras 2's TensorFlow-checkpoint names for weights (`"training_1/cp.ckpt"`, the tutorials'
    # `save_weights_only=True` checkpoint): Keras 3 writes `.weights.h5` only, and refuses others
    "weights_checkpoint_name": lambda m: _small(m).save_weights("training_1/cp.ckpt"),
    "weights_sharded_name": lambda m: _small(m).save_weights("w.keras", max_shard_size=1),
    "checkpoint_weights_name": lambda m: m.ModelCheckpoint("ckpt/model_{epoch}", save_weights_only=True),
    # `layers.Input(shape=(WINDOW_SIZE))` (a course's time-series notebook): an int, not a tuple
    "int_input_shape": lambda m: m.Input(shape=(7)),
    "pad_to_max_tokens_without_max_tokens": lambda m: m.TextVectorization(pad_to_max_tokens=True),
    # a layer a notebook looks up after the cell that added it failed (found by --scripts): the
    # messages are Keras's, the existing layers listed
    "get_layer_unknown_name": lambda m: m.Sequential([m.Input((2,)), m.Dense(3), m.Dense(1)]).get_layer("embedding"),
    "get_layer_index_past_the_end": lambda m: m.Sequential([m.Input((2,)), m.Dense(3)]).get_layer(index=4),
    "get_layer_name_and_index": lambda m: m.Sequential([m.Input((2,)), m.Dense(3)]).get_layer("dense", 0),
    "get_layer_nothing": lambda m: m.Sequential([m.Input((2,)), m.Dense(3)]).get_layer(),
    # a Keras 2 metric's `add_weight("total", initializer="zeros")`: Keras 3 reads the name as the
    # shape (a book's HuberMetric, found by --scripts); without an initializer, Keras 3 fails too
    "metric_weight_named_positionally": lambda m: _metric(m, lambda self: self.add_weight("total", initializer="zeros")),
    "metric_weight_without_initializer": lambda m: _metric(m, lambda self: self.add_weight(name="total")),
    "metric_weight_negative_shape": lambda m: _metric(m, lambda self: self.add_weight(shape=(-1,), initializer="zeros")),
    # weights set on a layer not built yet (a course's `embedding_layer.set_weights([lookup])`
    # before its model ran, found by --scripts), or of another shape
    "set_weights_unbuilt": lambda m: m.Embedding(3, 2).set_weights([__import__("numpy").zeros((3, 2))]),
    "set_weights_shape": lambda m: _small(m).layers[-1].set_weights([__import__("numpy").zeros((3, 1)),
                                                                     __import__("numpy").zeros(1)]),
    # a weight's shape given as a number (`self.add_weight(shape=self.units)`, a model zoo's notebook)
    "weight_shape_a_number": lambda m: m.Dense(2).add_weight(shape=3, initializer="zeros"),
    "weight_shape_negative": lambda m: m.Dense(2).add_weight(shape=(2, -1), initializer="zeros"),
    # a course's custom Dense with Keras 2's `self.add_weight('weight', shape=[d, n])` (found by
    # --scripts: the runtime raised Python's "got multiple values for argument 'shape'")
    "weight_named_positionally": lambda m: m.Dense(2).add_weight("weight", shape=[3, 2]),
    "weight_shape_twice": lambda m: m.Dense(2).add_weight((3, 2), shape=[3, 2]),
    "weight_initializer_twice": lambda m: m.Dense(2).add_weight((3, 2), "zeros", initializer="ones"),
    # a Keras 2 optimizer subclass calling `super().__init__(name, **kwargs)`: the name is the learning rate
    "optimizer_named_positionally": lambda m: m.SGD("Yogi"),
    # a Python value passed positionally (`layer(x, True)`, a course's `EncoderLayer(x, training, mask)`)
    "positional_python_value": lambda m: m.Dense(2)(__import__("numpy").ones((1, 3), "float32"), True),
}


def _metric(m: Any, make: Callable[[Any], Any]) -> Any:
    class Counting(m.Metric):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.total = make(self)

    return Counting()


def _small(m: Any) -> Any:
    model = m.Sequential([m.Input((2,)), m.Dense(1)])
    model.build((None, 2))
    return model


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_runtime_refuses_what_keras_refuses_with_its_message(runtime: Any, case: str) -> None:
    import keras

    class _Keras:
        Sequential = keras.Sequential
        Dense = keras.layers.Dense
        Input = keras.Input
        Embedding = keras.layers.Embedding
        ModelCheckpoint = keras.callbacks.ModelCheckpoint
        TextVectorization = keras.layers.TextVectorization
        Metric = keras.metrics.Metric
        SGD = keras.optimizers.SGD

    keras.backend.clear_session()  # the same automatic names on both sides, as in a fresh program
    runtime._STATE.uids.clear()
    theirs = _error(lambda: CASES[case](_Keras))
    ours = _error(lambda: CASES[case](runtime))
    assert ours == theirs


def test_distinct_names_and_the_same_layer_twice_are_accepted(runtime: Any) -> None:
    dense = runtime.Dense(2, name="twice")
    model = runtime.Sequential([runtime.Input((2,), name="features"), runtime.Dense(2, name="hidden"), dense])
    model.add(dense)  # the same object again: Keras accepts it too
    assert [layer.name for layer in model.layers] == ["hidden", "twice", "twice"]


def test_build_of_a_subclassed_model_creates_nothing_as_in_keras(runtime: Any) -> None:
    """Keras 3's ``build`` of a subclassed model (no ``build`` of its own) is the base Layer's:
    it marks the model built, warns, and creates no weights; the sub-layers are built by the
    first call. The runtime called the model there (tf.keras 2's way), so a sub-layer whose
    ``build`` raises (`add_variable("P", shape=...)`, Keras 2's positional name, in a book's
    matrix factorization) raised at `model.build` in the translation only."""
    import warnings

    import keras
    import numpy as np

    def program(m: Any, layer_base: Any, model_base: Any) -> tuple[Any, Any]:
        class Factors(layer_base):
            def build(self, input_shape):  # type: ignore[no-untyped-def]
                self.P = self.add_variable("P", shape=[input_shape[0], 3], dtype="float32")

            def call(self, x):  # type: ignore[no-untyped-def]
                return x

        class Net(model_base):
            def __init__(self) -> None:
                super().__init__()
                self.dense = m.Dense(2)
                self.factors = Factors()

            def call(self, x):  # type: ignore[no-untyped-def]
                return self.dense(x)

        class Plain(model_base):
            def __init__(self) -> None:
                super().__init__()
                self.dense = m.Dense(2)

            def call(self, x):  # type: ignore[no-untyped-def]
                return self.dense(x)

        return Net(), Plain()

    seen = []
    for m, layer_base, model_base in ((keras.layers, keras.layers.Layer, keras.Model),
                                      (runtime, runtime.Layer, runtime.Model)):
        net, plain = program(m, layer_base, model_base)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net.build((5, 4))  # Factors.build would raise: it is not run
            plain.build((None, 4))
        weights_after_build = (len(net.get_weights()), len(plain.get_weights()), net.built, plain.built)
        out = plain(np.ones((1, 4), "float32"))
        seen.append((weights_after_build, len(plain.get_weights()), tuple(out.shape),
                     sum("does not have a `build()` method implemented" in str(w.message) for w in caught)))
    assert seen[0] == seen[1] == ((0, 0, True, True), 2, (1, 2), 2), seen


@pytest.mark.parametrize("name", ["vgg16_weights.h5", "model.weights.h5", "whole.keras", "old.hdf5"])
def test_load_weights_of_a_missing_keras_file_raises_filenotfounderror(runtime: Any, tmp_path: Any, name: str) -> None:
    """A program loading ImageNet weights it expects in `~/.keras/models` (a book's VGG16, found by
    --scripts): Keras opens the file (h5py, zipfile), a FileNotFoundError; the runtime raised
    TensorFlow's NotFoundError from its checkpoint reader, which an `except OSError` misses."""
    import keras

    path = str(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).load_weights(path)
    with pytest.raises(FileNotFoundError):
        _small(runtime).load_weights(path)
