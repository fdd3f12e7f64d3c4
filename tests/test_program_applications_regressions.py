"""Regressions found by running keras.applications through ``xlate to-tf``
(bench/applications.py), as small programs of our own.

- mobilenet_v3.py rebinds a builder parameter inside the model's graph under a condition
  (``if alpha > 1.0: last_point_ch = _depth(last_point_ch * alpha)``) and efficientnet.py
  with ``blocks_args = copy.deepcopy(blocks_args)``: moved into the graph function, the
  name became local to it and the first read raised UnboundLocalError. Such a name is now a
  default argument of the graph function.
- (fixed on main in 08533ad, found here too) A layer that gives back its input in inference (``Dropout``, ``Activation(None)``) was
  left out of the translated functional model's ``layers`` and of Keras's depth order: with
  two of them on one branch of a graph, the layers of the branches sorted differently and
  the weights came in another order than Keras's.
"""

from __future__ import annotations

import sys
import textwrap
from typing import Any

import numpy as np
import pytest

from kerastf_xlate.totf import translate

REBINDING = '''
import copy

import keras
from keras import layers


def build(width, alpha=1.0, blocks=None, wide=False):
    if blocks is None:
        blocks = [4, 6]
    inputs = keras.Input((5,))
    blocks = copy.deepcopy(blocks)
    x = inputs
    for units in blocks:
        x = layers.Dense(units)(x)
    if alpha > 1.0:
        width = int(width * alpha)
    if wide:
        width += 2
    outputs = layers.Dense(width)(x)
    return keras.Model(inputs, outputs)


model = build(3)
scaled = build(3, alpha=2.0, wide=True)
'''

PASS_THROUGH = '''
import keras
from keras import layers


def build(widths=(6, 5)):
    inputs = keras.Input((4,))
    a = layers.Dense(5, name="a1")(inputs)
    a = layers.Dropout(0.5, name="drop")(a)
    a = layers.Activation("linear", name="identity")(a)
    b = inputs
    for i, units in enumerate(widths):
        b = layers.Dense(units, name=f"b{i + 1}")(b)
    b = layers.Activation(None, name="linear")(b)
    outputs = layers.Add(name="add")([a, b])
    return keras.Model(inputs, outputs)


model = build()
'''


def _translated(src: str) -> str:
    out, _ = translate(textwrap.dedent(src), "t.py")
    return out


def test_a_parameter_rebound_in_the_graph_is_a_default_argument() -> None:
    out = _translated(REBINDING)
    assert "def build_graph(blocks=blocks, width=width):" in out


def _run(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__apps_regression__"}
    exec(compile(source, "<case>", "exec"), namespace)
    return namespace


@pytest.mark.tf
@pytest.mark.parametrize("src, names", [(REBINDING, ["model", "scaled"]), (PASS_THROUGH, ["model"])],
                         ids=["rebinding", "pass-through"])
def test_runs_like_keras_with_keras_layers_and_weight_order(src: str, names: list[str]) -> None:
    import keras

    from kerastf_xlate.testing.perturb import perturb_weights

    # automatic layer names count per process, in Keras and in the runtime alike: start both
    # afresh, whatever ran before in this worker
    keras.backend.clear_session()
    state = sys.modules.get("_xlate_tf_state")
    if state is not None:
        state.uids.clear()
    keras.utils.set_random_seed(0)
    k_ns, t_ns = _run(src), _run(_translated(src))
    x = np.random.default_rng(0).normal(size=(3, 5 if src is REBINDING else 4)).astype("float32")
    for name in names:
        k, t = k_ns[name], t_ns[name]
        assert [w.shape for w in t.get_weights()] == [w.shape for w in k.get_weights()]
        assert [layer.name for layer in t.layers] == [layer.name for layer in k.layers]  # InputLayers too
        t.set_weights(perturb_weights(k, seed=1))
        a, b = np.asarray(k(x, training=False)), np.asarray(t(x, training=False))
        assert float(np.max(np.abs(a - b))) <= 1e-5 * max(1.0, float(np.max(np.abs(a))))


def test_the_block_comes_before_an_application_used_above_the_last_import() -> None:
    """(found by the real-code bench, 2026-12-03: fchollet's 5.3 notebook) A builder used in a
    cell above a later import cell: the block went after that import, below the first use of
    the translated module's namespace (F821 `_xlate_keras_app_vgg16`, a NameError when run)."""
    text = textwrap.dedent("""\
        from keras.applications import VGG16
        conv_base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
        from keras import layers, models
        model = models.Sequential([conv_base, layers.Flatten(), layers.Dense(1)])
        """)
    out, _ = translate(text, "t.py")
    lines = out.splitlines()
    defined = next(i for i, ln in enumerate(lines) if ln.startswith("_xlate_keras_app_vgg16 = "))
    used = next(i for i, ln in enumerate(lines) if "= _xlate_keras_app_vgg16.VGG16(" in ln)
    assert defined < used, "\n".join(lines[used - 3: used + 2])
