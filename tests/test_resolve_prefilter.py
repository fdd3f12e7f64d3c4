"""The resolver's speed-ups change nothing: the import prefilter and the fast visitor give
exactly what the plain two-pass analysis with :class:`ast.NodeVisitor` gives.

(No timings here: performance is measured by ``bench/run.py``, never asserted in tests.)
"""

from __future__ import annotations

import ast
import itertools
import textwrap
from pathlib import Path

import pytest

from kerastf_xlate import resolve
from kerastf_xlate.resolve import KERAS_ROOTS, find_uses, imports_may_reach_keras, keras_layer_name, may_name_layer
from kerastf_xlate.rules import default_rules

KNOWN = set(default_rules().by_name)
ROOT = Path(__file__).resolve().parent.parent


class _PlainBinder(resolve._Binder):
    visit = ast.NodeVisitor.visit  # type: ignore[assignment]
    generic_visit = ast.NodeVisitor.generic_visit  # type: ignore[assignment]


class _PlainResolver(resolve._Resolver):
    visit = ast.NodeVisitor.visit  # type: ignore[assignment]
    generic_visit = ast.NodeVisitor.generic_visit  # type: ignore[assignment]


def plain_find_uses(tree: ast.Module, known: set[str]) -> list[resolve.Use]:
    """find_uses without the prefilter, on the standard library's NodeVisitor."""
    binder = _PlainBinder(known)
    binder.visit(tree)
    resolver = _PlainResolver(binder, known)
    resolver.visit(tree)
    return resolver.uses


def _key(uses: list[resolve.Use]) -> list[tuple[object, ...]]:
    return [(id(u.node), u.qualname, u.layer, id(u.call) if u.call is not None else None) for u in uses]


PARTS = ["keras", "tensorflow", "python", "api", "src", "layers", "models", "Model", "Dense", "keras_core"]


def test_may_name_layer_is_exact() -> None:
    """may_name_layer(q) iff some q[.a[.b[.c]]] is a Keras layer path (parts drawn from PARTS)."""
    quals = {".".join(p) for n in (1, 2, 3) for p in itertools.product(PARTS, repeat=n)} | set(KERAS_ROOTS)
    suffixes = [""] + ["." + ".".join(p) for n in (1, 2, 3) for p in itertools.product(PARTS, repeat=n)]
    for q in sorted(quals):
        reachable = any(keras_layer_name(q + s) is not None for s in suffixes)
        assert may_name_layer(q) == reachable, q


SNIPPETS = [
    "import os\nfrom keras.src.layers import Dense\nDense(3)\n",
    "from keras.src import layers\nlayers.LSTM(3)\n",
    "from tensorflow.python.framework import ops\nops.LSTM\n",
    "def f():\n    import keras\n    return keras.layers.LSTM(2)\n",
    "class A:\n    try:\n        pass\n    except Exception:\n        from keras import layers as L\n    L.GRU(1)\n",
    "match x:\n    case 1:\n        from keras.layers import *\n        LSTM(2)\n",
    "if x:\n    pass\nelse:\n    import tensorflow as tf\ntf.keras.layers.LSTM(3)\n",
    "for i in y:\n    pass\nelse:\n    import tensorflow.python as tp\ntp.keras.layers.LSTM(1)\n",
    "with a:\n    from tensorflow import keras\nkeras.Model\n",
    "try:\n    pass\nfinally:\n    import keras.api as K\nK.layers.Dense(2)\n",
    "from . import keras\nkeras.layers.LSTM(2)\n",
    "import keras.models as m\nm.Sequential()\n",
    "from keras import models\nmodels.Model\n",
    "import keras.layers.core as c\nc.Dense(1)\n",
    "lambda: [LSTM for LSTM in z]\n",
]


@pytest.mark.parametrize("src", SNIPPETS)
def test_snippets_match_plain_analysis(src: str) -> None:
    tree = ast.parse(textwrap.dedent(src))
    assert _key(find_uses(tree, KNOWN)) == _key(plain_find_uses(tree, KNOWN))


def test_prefilter_skips_internal_imports() -> None:
    assert not imports_may_reach_keras(ast.parse("from keras.src.ops import numpy\nimport numpy as np\n"))
    assert not imports_may_reach_keras(ast.parse("from keras.src.backend import KerasTensor\nfrom tensorflow.python.framework import ops\n"))
    # keras.src is how Keras's own code and keras.applications spell the layers
    assert imports_may_reach_keras(ast.parse("from keras.src.layers import Dense\nimport numpy as np\n"))
    assert imports_may_reach_keras(ast.parse("def f():\n    if x:\n        import tensorflow\n"))


def _python_files() -> list[Path]:
    files = []
    for sub in ("examples", "tests", "src"):
        files += sorted((ROOT / sub).rglob("*.py"))
    try:
        import keras

        files += sorted(Path(keras.__file__).parent.joinpath("src", "layers").rglob("*.py"))[:60]
    except ImportError:  # pragma: no cover - keras is in the [test] extra
        pass
    return files


def test_corpus_matches_plain_analysis() -> None:
    checked = 0
    for path in _python_files():
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        assert _key(find_uses(tree, KNOWN)) == _key(plain_find_uses(tree, KNOWN)), str(path)
        checked += 1
    assert checked > 20


def _too_deep_reference(tree: ast.AST, limit: int) -> ast.AST | None:
    level = [tree]
    for _ in range(limit):
        nxt: list[ast.AST] = []
        for node in level:
            nxt.extend(ast.iter_child_nodes(node))
        if not nxt:
            return None
        level = nxt
    return level[0]


@pytest.mark.parametrize("src", [
    "x = " + "+".join(["1"] * 1600),
    "y = a" + ".b" * 1600,
    "z = f" + "()" * 1500,
    "v = " + "-" * 1498 + "x",
    "q = " + "not " * 1499 + "x",
    "import os\n",
])
def test_too_deep_matches_iter_child_nodes(src: str) -> None:
    from kerastf_xlate import lint

    tree = ast.parse(src)
    assert lint._too_deep(tree) is _too_deep_reference(tree, lint.MAX_NESTING)
