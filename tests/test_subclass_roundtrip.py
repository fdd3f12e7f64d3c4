"""A Keras subclass round-trips to its own kind (issue #20): a ``keras.layers.Layer``
subclass comes back from ``to-tf`` then ``to-keras`` as a Layer subclass (was: a
``keras.Model``), and ``super().__init__(**kwargs)`` keeps its kwargs: ``name=`` reaches
``tf.Module``, the rest is dropped with a note on the line, and ``to-keras`` restores the
call."""

from __future__ import annotations

import textwrap

import pytest

from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf
from kerastf_xlate.totf.subclass import SUPER_NOTE

BLOCK = textwrap.dedent("""\
    import keras
    from keras import layers


    class Block(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(units, activation="relu")
            self.out = layers.Dense(units)

        def call(self, x):
            return self.out(self.dense(x))


    block = Block(8, name="block", dtype="float32")
    """)


def test_a_layer_subclass_round_trips_to_a_layer_subclass() -> None:
    out, _ = to_tf(BLOCK, "t.py")
    assert "class Block(tf.Module):" in out
    assert f'super().__init__(name=kwargs.get("name"))  {SUPER_NOTE}\n' in out
    assert "the Keras layer's ``get_weights()``" in out
    back, _ = to_keras(out, "t.py")
    assert "class Block(keras.layers.Layer):" in back
    assert "keras.Model" not in back
    assert "        super().__init__(**kwargs)\n" in back
    assert to_tf(out, "t.py")[0] == out and to_keras(back, "t.py")[0] == back  # second runs change nothing


def test_a_model_subclass_stays_a_model() -> None:
    src = BLOCK.replace("(layers.Layer)", "(keras.Model)")
    out, _ = to_tf(src, "t.py")
    assert "the Keras model's ``get_weights()``" in out
    back, _ = to_keras(out, "t.py")
    assert "class Block(keras.Model):" in back and "super().__init__(**kwargs)" in back


@pytest.mark.parametrize(("call", "module_call", "keras_call"), [
    ("super().__init__(**kwargs)", f'super().__init__(name=kwargs.get("name"))  {SUPER_NOTE}', "super().__init__(**kwargs)"),
    ("super().__init__(name=name, **kwargs)", f"super().__init__(name=name)  {SUPER_NOTE}", "super().__init__(name=name, **kwargs)"),
    ("super().__init__(name=name)", "super().__init__(name=name)", "super().__init__(name=name)"),
    ("super().__init__()", "super().__init__()", "super().__init__()"),
    # the dropped argument cannot come back: the note said so
    ('super().__init__(dtype="float64", **kwargs)', f'super().__init__(name=kwargs.get("name"))  {SUPER_NOTE}', "super().__init__(**kwargs)"),
], ids=["kwargs", "name-and-kwargs", "name", "nothing", "dtype-and-kwargs"])
def test_super_init_arguments(call: str, module_call: str, keras_call: str) -> None:
    src = BLOCK.replace("def __init__(self, units, **kwargs):", "def __init__(self, units, name=None, **kwargs):").replace(
        "super().__init__(**kwargs)", call)
    out, _ = to_tf(src, "t.py")
    assert f"        {module_call}\n" in out
    back, _ = to_keras(out, "t.py")
    assert f"        {keras_call}\n" in back


def test_a_users_own_module_call_is_left_alone() -> None:
    """Without to-tf's note, a tf.Module's ``super().__init__(name=kwargs.get("name"))`` is
    the user's: raised to Keras it stays as written."""
    out, _ = to_tf(BLOCK, "t.py")
    mine = out.replace("  " + SUPER_NOTE, "")
    back, _ = to_keras(mine, "t.py")
    assert 'super().__init__(name=kwargs.get("name"))' in back


def test_no_note_where_the_call_shares_its_line() -> None:
    src = BLOCK.replace("super().__init__(**kwargs)", "super().__init__(**kwargs); self.k = 1")
    out, _ = to_tf(src, "t.py")
    assert "class Block(tf.Module)" in out
    assert 'super().__init__(name=kwargs.get("name")); self.k = 1\n' in out  # a note would swallow the code after it


@pytest.mark.tf
def test_layer_round_trip_executes() -> None:
    """The module takes the name; the raised class is a Layer, not a Model, and computes as
    the original with the same (perturbed) weights. Tolerance atol = rtol = 1e-5."""
    import keras
    import numpy as np

    from kerastf_xlate.testing.perturb import perturb_weights

    out, _ = to_tf(BLOCK, "t.py")
    back, _ = to_keras(out, "t.py")
    spaces: list[dict[str, object]] = []
    for code in (BLOCK, out, back):
        ns: dict[str, object] = {}
        exec(compile(code, "t.py", "exec"), ns)
        spaces.append(ns)
    original, module, raised = (ns["block"] for ns in spaces)
    assert module.name == "block"  # type: ignore[attr-defined]
    assert isinstance(raised, keras.layers.Layer) and not isinstance(raised, keras.Model)
    assert raised.name == "block" and raised.dtype_policy.name == "float32"  # type: ignore[attr-defined]
    x = np.random.default_rng(0).standard_normal((2, 5)).astype("float32")
    for m in (original, module, raised):
        m(x)  # type: ignore[operator]
    weights = perturb_weights(original, seed=2)
    module.set_weights(weights)  # type: ignore[attr-defined]
    raised.set_weights(weights)  # type: ignore[attr-defined]
    want = np.asarray(original(x))  # type: ignore[operator]
    worst = 0.0
    for m in (module, raised):
        got = np.asarray(m(x))  # type: ignore[operator]
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
        worst = max(worst, float(np.max(np.abs(got - want))))
    print(f"Layer round trip: worst max |diff| = {worst:.3g} (atol = rtol = 1e-5)")
