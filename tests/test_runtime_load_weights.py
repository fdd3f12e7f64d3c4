"""The runtime's ``Model.load_weights`` reads the files Keras writes, as Keras reads them.

A source with six builders (a ``Sequential`` with BatchNormalization; a functional model
with a shared layer, BatchNormalization and a nested ``Sequential``; a functional model
inside a functional model (Keras's ``Functional`` class in the paths); a subclassed model with
layers in a list attribute and a custom layer holding a private sub-layer; Bidirectional
LSTM and GRU; a subclassed model around MultiHeadAttention) and ``load(builder, path)``
calling ``model.load_weights(path)`` is translated by ``to-tf`` (program form, no Keras
left). Each Keras model gets perturbed weights (kerastf_xlate.testing.perturb: no zero bias,
no unit BatchNorm statistics), is saved as Keras 3 ``.weights.h5``, as a legacy Keras 2 HDF5
file (``legacy_h5_format.save_weights_to_hdf5_group``, what keras.applications' ImageNet
files are) and as a ``.keras`` archive, and the translated ``load`` reads each file.

Tolerance: every weight equal to Keras's, bit for bit, and outputs within ``ATOL = 1e-5``
(float32, the same operations; the worst seen is 0.0). Files that do not fit the model
(another model, an extra layer, another shape) raise ``ValueError``, or warn with
``skip_mismatch=True`` and leave those weights as they were.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers, perturbed, runtime

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

pytestmark = pytest.mark.tf

ATOL = 1e-5

SOURCE = textwrap.dedent('''\
    import keras
    from keras import layers


    def build_sequential():
        return keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.BatchNormalization(),
                                 layers.Dense(3)])


    def build_functional():
        inputs = keras.Input((6,))
        shared = layers.Dense(6, activation="tanh")
        x = shared(inputs)
        x = shared(x)
        x = layers.BatchNormalization()(x)
        inner = keras.Sequential([layers.Dense(5, activation="relu"), layers.Dense(4)])
        x = inner(x)
        x = layers.concatenate([x, inputs])
        outputs = layers.Dense(2)(x)
        return keras.Model(inputs, outputs)


    def build_nested_functional():
        inner_inputs = keras.Input((6,))
        inner_outputs = layers.Dense(4, activation="relu")(inner_inputs)
        inner = keras.Model(inner_inputs, inner_outputs)
        inputs = keras.Input((6,))
        x = inner(inputs)
        outputs = layers.Dense(3)(x)
        return keras.Model(inputs, outputs)


    class Block(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.proj = layers.Dense(units)
            self._norm = layers.BatchNormalization()

        def call(self, x, training=False):
            return self._norm(self.proj(x), training=training)


    class Tower(keras.Model):
        def __init__(self):
            super().__init__()
            self.stem = layers.Dense(7)
            self.blocks = [layers.Dense(7, activation="relu"), layers.BatchNormalization(), layers.Dense(7)]
            self.block = Block(5)
            self.head = layers.Dense(2)

        def call(self, x, training=False):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x, training=training)
            return self.head(self.block(x, training=training))


    def build_subclassed():
        model = Tower()
        model(keras.ops.zeros((1, 6)))
        return model


    def build_recurrent():
        inputs = keras.Input((4, 6))
        x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(inputs)
        x = layers.GRU(2)(x)
        outputs = layers.Dense(2)(x)
        return keras.Model(inputs, outputs)


    class Attend(keras.Model):
        def __init__(self):
            super().__init__()
            self.attention = layers.MultiHeadAttention(num_heads=2, key_dim=3)
            self.pool = layers.GlobalAveragePooling1D()

        def call(self, x):
            return self.pool(self.attention(x, x))


    def build_attention():
        model = Attend()
        model(keras.ops.zeros((1, 4, 6)))
        return model


    def load(builder, path):
        model = builder()
        model.load_weights(path)
        return model
    ''')

INPUTS = {"build_sequential": (6,), "build_functional": (6,), "build_nested_functional": (6,), "build_subclassed": (6,), "build_recurrent": (4, 6),
          "build_attention": (4, 6)}
FORMATS = (".weights.h5", ".h5", ".keras")


@pytest.fixture(scope="module")
def programs() -> tuple[dict[str, Any], dict[str, Any]]:
    """The source run with Keras, and its translation run with TensorFlow alone."""
    from kerastf_xlate.verify import exec_source

    out, diags = translate(SOURCE, "weights_models.py")
    assert BANNER in out, [(d.code, d.message) for d in diags]
    assert not diags, [(d.code, d.message) for d in diags]
    assert "import keras" not in out and "model.load_weights(path)" in out
    return exec_source(SOURCE, "__weights_keras__", "k.py"), exec_source(out, "__weights_tf__", "t.py")


def save(model: Any, path: Path) -> str:
    """Write ``model``'s weights as Keras does for that file name (``.h5``: Keras 2's format)."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    name = str(path)
    if name.endswith(".weights.h5"):
        model.save_weights(name)
    elif name.endswith(".keras"):
        model.save(name)
    else:
        with h5py.File(name, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return name


def perturbed_keras(programs: tuple[dict[str, Any], dict[str, Any]], builder: str, seed: int = 0) -> Any:
    model = programs[0][builder]()
    model.set_weights(perturbed(model.get_weights(), seed=seed))
    return model


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("builder", list(INPUTS))
def test_translated_model_reads_what_keras_wrote(programs: tuple[dict[str, Any], dict[str, Any]], builder: str,
                                                 fmt: str, tmp_path: Path) -> None:
    import numpy as np

    keras_model = perturbed_keras(programs, builder, seed=len(builder))
    path = save(keras_model, tmp_path / f"model{fmt}")
    tf_model = programs[1]["load"](programs[1][builder], path)
    expected, got = keras_model.get_weights(), tf_model.get_weights()
    assert [w.shape for w in got] == [w.shape for w in expected]
    for k, (a, b) in enumerate(zip(expected, got)):
        np.testing.assert_array_equal(b, a, err_msg=f"{builder}{fmt}: weight #{k}")
    x = np.random.default_rng(1).normal(size=(3,) + INPUTS[builder]).astype("float32")
    diff = float(np.max(np.abs(np.asarray(tf_model(x, training=False)) - np.asarray(keras_model(x, training=False)))))
    assert diff <= ATOL, f"{builder}{fmt}: max |diff| = {diff}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_of_another_model_raises(programs: tuple[dict[str, Any], dict[str, Any]], fmt: str,
                                        tmp_path: Path) -> None:
    path = save(perturbed_keras(programs, "build_sequential"), tmp_path / f"model{fmt}")
    with pytest.raises(ValueError):
        programs[1]["load"](programs[1]["build_functional"], path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_with_an_extra_layer_raises(programs: tuple[dict[str, Any], dict[str, Any]], fmt: str,
                                           tmp_path: Path) -> None:
    import keras

    bigger = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                               keras.layers.BatchNormalization(), keras.layers.Dense(3), keras.layers.Dense(3)])
    path = save(bigger, tmp_path / f"bigger{fmt}")
    with pytest.raises(ValueError, match="(?i)model does not|count mismatch"):
        programs[1]["load"](programs[1]["build_sequential"], path)


@pytest.mark.parametrize("fmt", (".weights.h5", ".h5"))
def test_a_shape_mismatch_raises_or_is_skipped(programs: tuple[dict[str, Any], dict[str, Any]], fmt: str,
                                               tmp_path: Path) -> None:
    import keras
    import numpy as np

    wider = keras.Sequential([keras.Input((6,)), keras.layers.Dense(9, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(3)])
    wider.set_weights(perturbed(wider.get_weights()))
    path = save(wider, tmp_path / f"wider{fmt}")
    with pytest.raises(ValueError, match="shape"):
        programs[1]["load"](programs[1]["build_sequential"], path)
    model = programs[1]["build_sequential"]()
    before = model.get_weights()
    with pytest.warns(UserWarning, match="shape"):
        model.load_weights(path, skip_mismatch=True)
    for a, b in zip(before, model.get_weights()):  # every layer mismatches: nothing changed
        np.testing.assert_array_equal(a, b)


def test_by_name_reads_legacy_files_by_layer_name(tmp_path: Path) -> None:
    import keras
    import numpy as np

    first = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, name="a"), keras.layers.Dense(4, name="b")])
    first.set_weights(perturbed(first.get_weights()))
    path = save(first, tmp_path / "named.h5")
    rt, lay = runtime(), layers()
    swapped = rt["Sequential"]([lay.Input((4,)), lay.Dense(4, name="b"), lay.Dense(4, name="a")])
    swapped.load_weights(path, by_name=True)
    for name in ("a", "b"):
        for a, b in zip(first.get_layer(name).get_weights(), swapped.get_layer(name).get_weights()):
            np.testing.assert_array_equal(b, a)
    with pytest.raises(ValueError, match="by_name"):
        swapped.load_weights(save(first, tmp_path / "named.weights.h5"), by_name=True)


def test_own_checkpoints_still_round_trip(tmp_path: Path) -> None:
    import numpy as np

    rt, lay = runtime(), layers()

    def build() -> Any:
        return rt["Sequential"]([lay.Input((3,)), lay.Dense(4), lay.BatchNormalization()])

    model = build()
    model.set_weights(perturbed(model.get_weights()))
    path = str(tmp_path / "own.weights.h5")  # Keras's name, the runtime's TensorFlow checkpoint
    model.save_weights(path)
    again = build()
    again.load_weights(path)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(b, a)


def test_an_unbuilt_model_and_a_missing_h5py_say_so(programs: tuple[dict[str, Any], dict[str, Any]],
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    path = save(perturbed_keras(programs, "build_subclassed"), tmp_path / "tower.weights.h5")
    with pytest.raises(ValueError, match="not yet been built"):
        programs[1]["Tower"]().load_weights(path)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match="h5py"):
        programs[1]["load"](programs[1]["build_subclassed"], path)
