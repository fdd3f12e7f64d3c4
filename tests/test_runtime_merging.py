"""The merging runtime classes and functional helpers (src/kerastf_xlate/runtime/tfr_merging.py)
against Keras, on what the rule examples cannot hold: Keras's rank alignment (new axes at 1,
decided on the first call), Dot's axes and ranks, the functional helpers, signatures.

Tolerance ``atol = 1e-5`` (float32).
"""

from __future__ import annotations

import inspect
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_compare import compare, inputs_for, make_pair, max_diff
from runtime_ns import runtime

pytestmark = pytest.mark.tf

MERGING = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"]
HELPERS = ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]

CASES = [
    # ranks differ: the lower-rank inputs get axes at 1, not NumPy's leading axes
    ("layers.Add()", [[4], [3, 4]]),
    ("layers.Add()", [[3, 4], [4]]),
    ("layers.Add()", [[2], [3, 2], [4, 3, 2]]),
    ("layers.Add()", [[3], [3, 1]]),  # [batch, 1, 3] + [batch, 3, 1]: [batch, 3, 3]
    ("layers.Subtract()", [[5], [2, 5]]),
    ("layers.Subtract()", [[2, 5], [1, 5]]),
    ("layers.Multiply()", [[2, 3, 4], [4]]),
    ("layers.Average()", [[4], [2, 4], [4]]),
    ("layers.Maximum()", [[1, 4], [3, 4], [4]]),
    ("layers.Minimum()", [[3, 4], [4]]),
    ("layers.Concatenate(axis=1)", [[2, 3], [4, 3], [1, 3]]),
    ("layers.Concatenate(axis=-2)", [[2, 3, 2], [2, 2, 2]]),
    ("layers.Concatenate(axis=2)", [[2, 3, 2], [2, 4, 2]]),
    ("layers.Dot(axes=(1, 2))", [[3, 4], [5, 3]]),
    ("layers.Dot(axes=-1)", [[3, 4], [5, 4]]),
    ("layers.Dot(axes=(2, 1))", [[3, 4], [4, 5]]),
    ("layers.Dot(axes=(1, 1))", [[4], [4, 3]]),
    ("layers.Dot(axes=(2, 1))", [[3, 4], [4]]),
    ("layers.Dot(axes=(3, 1))", [[2, 3, 4], [4, 5, 2]]),
    ("layers.Dot(axes=(1, 3))", [[4, 2, 3], [5, 2, 4]]),
    ("layers.Dot(axes=(-1, -2), normalize=True)", [[2, 3, 4], [4, 5]]),
    ("layers.Dot(axes=2, normalize=True)", [[3, 6], [5, 6]]),
]


@pytest.mark.parametrize("expr, shapes", CASES, ids=[f"{c[0].removeprefix('layers.')}-{c[1]}" for c in CASES])
def test_matches_keras(expr: str, shapes: list[list[int]]) -> None:
    compare(expr, shapes)


def test_rank_alignment_is_decided_on_the_first_call() -> None:
    """Keras decides in build whether inputs need new axes: a layer first called on equal
    ranks later broadcasts NumPy's way (here [1, b, 3, 4] + [b, 1, 3, 4]), one first called on
    different ranks aligns at 1."""
    import numpy as np

    for first, second in [([[3, 4], [3, 4]], [[3, 4], [1, 3, 4]]), ([[4], [3, 4]], [[3, 4], [3, 4]]),
                          ([[4], [3, 4]], [[1], [3, 4]])]:
        k_layer, t_layer = make_pair("layers.Add()")
        for shapes in (first, second):
            x = inputs_for(shapes)
            np.testing.assert_allclose(t_layer(x).numpy(), np.asarray(k_layer(x)), atol=0)


def test_dot_normalize_of_a_zero_vector() -> None:
    """Keras caps the inverse norm at 1 / 1e-7: a zero vector stays zero, no NaN."""
    import numpy as np

    k_layer, t_layer = make_pair("layers.Dot(axes=1, normalize=True)")
    x = [np.zeros((2, 4), "float32"), np.ones((2, 4), "float32")]
    got = t_layer(x).numpy()
    assert np.all(np.isfinite(got)) and max_diff(got, k_layer(x)) == 0.0


HELPER_CASES = [
    ("add", [[3], [3]], {}),
    ("add", [[4], [2, 4]], {}),
    ("subtract", [[3], [3]], {}),
    ("multiply", [[2, 3], [2, 3], [2, 3]], {}),
    ("average", [[3], [3]], {}),
    ("maximum", [[3], [2, 3]], {}),
    ("minimum", [[3], [3]], {}),
    ("concatenate", [[2, 3], [2, 1]], {}),
    ("concatenate", [[2, 3], [1, 3]], {"axis": 1}),
    ("dot", [[3, 4], [5, 4]], {}),
    ("dot", [[4], [4]], {"axes": 1, "normalize": True}),
    ("dot", [[3, 4], [3, 5]], {"axes": (1, 1), "name": "similarity"}),
]


@pytest.mark.parametrize("name, shapes, kwargs", HELPER_CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in HELPER_CASES])
def test_functional_helpers(name: str, shapes: list[list[int]], kwargs: dict) -> None:  # type: ignore[type-arg]
    """``add([a, b], **kwargs)`` and the others: the layer applied once, as in Keras."""
    import keras
    import numpy as np

    x = inputs_for(shapes)
    expected = getattr(keras.layers, name)(x, **kwargs)
    got = runtime()[name](x, **kwargs)
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), atol=1e-6)


def test_merges_need_a_list() -> None:
    import numpy as np

    _, t_layer = make_pair("layers.Add()")
    with pytest.raises(ValueError):
        t_layer(np.zeros((2, 3), "float32"))
    _, subtract = make_pair("layers.Subtract()")
    with pytest.raises(ValueError):
        subtract(inputs_for([[3], [3], [3]]))
    with pytest.raises(ValueError):
        make_pair("layers.Dot(axes=(1, 2, 3))")


@pytest.mark.parametrize("name", MERGING)
def test_signature_is_keras(name: str) -> None:
    import keras

    ours = inspect.signature(runtime()[name].__init__).parameters
    theirs = inspect.signature(getattr(keras.layers, name).__init__).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]


@pytest.mark.parametrize("name", HELPERS)
def test_helper_signature_is_keras(name: str) -> None:
    import keras

    ours = inspect.signature(runtime()[name]).parameters
    theirs = inspect.signature(getattr(keras.layers, name)).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]


def test_no_runtime_name_is_defined_twice() -> None:
    """The bundler keeps the first definition of a name: two files defining one name (a
    public layer or a private helper) would silently give a file the wrong one."""
    from collections import Counter

    from kerastf_xlate.totf.program.bundle import load_runtime

    counts = Counter(name for d in load_runtime().definitions for name in d.binds)
    mine = ("tfr_conv.py", "tfr_pooling.py", "tfr_reshaping.py", "tfr_merging.py")
    twice = sorted(n for d in load_runtime().definitions if d.file in mine for n in d.binds if counts[n] > 1)
    assert not twice, twice


def test_each_class_bundled_alone_runs() -> None:
    """What to-tf copies into a file for one name (that name and what it reads) is enough:
    every class of the four families, bundled alone in a fresh namespace, runs its first rule
    example; so do the functional helpers."""
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.rules import default_rules
    from kerastf_xlate.totf.program.bundle import load_runtime

    rt = load_runtime()
    files = ("tfr_conv.py", "tfr_pooling.py", "tfr_reshaping.py", "tfr_merging.py")
    names = sorted(n for d in rt.definitions if d.file in files for n in d.binds if not n.startswith("_"))
    rules = {r.layer: r for r in default_rules()}
    for name in names:
        namespace: dict = {"__name__": f"bundle_{name}"}  # type: ignore[type-arg]
        exec(compile("import tensorflow as tf\n" + rt.source({name}), f"<bundle {name}>", "exec"), namespace)
        if name in rules:
            example = rules[name].examples[0]
            shapes = example.input_shape
            layer = eval(example.keras, {"layers": type("L", (), namespace)})
            x = inputs_for([list(s) for s in shapes] if shapes and isinstance(shapes[0], tuple) else list(shapes))
            assert np.all(np.isfinite(np.asarray(layer(tf.nest.map_structure(tf.constant, x))))), name
        else:
            expected = {"concatenate": (2, 6), "dot": (2, 1)}.get(name, (2, 3))
            assert tuple(namespace[name](inputs_for([[3], [3]])).shape) == expected, name
