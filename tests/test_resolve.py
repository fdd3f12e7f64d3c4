"""Name resolution: every import style reaches the Keras layer, and nothing else does.

The table is data: (source, expected findings as ``(code, line, col)``, 1-based line and
0-based column, as ``xlate lint`` reports them). Sources are dedented.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from kerastf_xlate.config import Config
from kerastf_xlate.lint import lint_text
from kerastf_xlate.resolve import find_uses, keras_layer_name
from kerastf_xlate.rules import default_rules

RULES = default_rules()

# (id, source, [(code, line, col)])
IMPORT_STYLES = [
    ("import-keras", "import keras\nkeras.layers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("from-keras-import-layers", "from keras import layers\nx = layers.FlaxLayer(4)\n", [("XL101", 2, 4)]),
    ("import-keras-layers-as", "import keras.layers as kl\nkl.JaxLayer(4)\n", [("XL101", 2, 0)]),
    ("import-keras-layers-dotted", "import keras.layers\nkeras.layers.JaxLayer(4)\n", [("XL101", 2, 0)]),
    ("from-keras-layers-import-as", "from keras.layers import Conv2D as C\nC(8, 3, dtype='int8')\n",
     [("XL201", 2, 14)]),
    ("from-keras-layers-import-as-flagged", "from keras.layers import FlaxLayer as Recurrent\ny = Recurrent(2)\n",
     [("XL101", 2, 4)]),
    ("from-keras-layers-import", "from keras.layers import JaxLayer\nJaxLayer(3)\n", [("XL101", 2, 0)]),
    ("tf-keras-layers", "import tensorflow as tf\ntf.keras.layers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("import-tensorflow", "import tensorflow\ntensorflow.keras.layers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("from-tensorflow-import-keras", "from tensorflow import keras\nkeras.layers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("from-tensorflow-keras-import-layers", "from tensorflow.keras import layers\nlayers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("from-tensorflow-keras-import-layers-as", "from tensorflow.keras import layers as L\nL.FlaxLayer(4)\n",
     [("XL101", 2, 0)]),
    ("from-tensorflow-keras-layers-import", "from tensorflow.keras.layers import FlaxLayer\nFlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("import-tensorflow-keras-as", "import tensorflow.keras as tk\ntk.layers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("keras-core-as-keras", "import keras_core as keras\nkeras.layers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("from-keras-core-import-layers", "from keras_core import layers\nlayers.JaxLayer(4)\n", [("XL101", 2, 0)]),
    ("tf-keras-package", "import tf_keras\ntf_keras.layers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("star-import", "from keras.layers import *\nFlaxLayer(4)\n", [("XL101", 2, 0)]),
    # a builtin is not the star-imported module's (`print` is not `keras.layers.print`)
    ("star-import-builtins", "from keras.layers import *\nprint(len(range(3)))\nFlaxLayer(4)\n", [("XL101", 3, 0)]),
    # the last star import that binds a name wins; an applications module binds only its exports
    ("star-import-applications", "from tensorflow.keras.layers import *\nfrom tensorflow.keras.applications.vgg16 import *\n"
     "VGG16(weights=None)\nFlaxLayer(4)\n", [("XL101", 4, 0)]),
    # how Keras's own code and keras.applications spell it
    ("keras-src-import-layers", "from keras.src import layers\nlayers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("keras-src-layers-module", "from keras.src.layers.preprocessing.image_preprocessing.max_num_bounding_box import MaxNumBoundingBoxes\nMaxNumBoundingBoxes(4)\n", [("XL101", 2, 0)]),
    ("keras-src-layer-base", "from keras.src.layers.layer import Layer\nfrom keras.src import layers\n"
     "class A(Layer):\n    def __init__(self):\n        super().__init__()\n        self.c = layers.Conv2D(4, 3, dtype='int8')\n",
     [("XL201", 6, 43)]),
    ("keras-src-models", "from keras.src.models import Functional, Sequential\nfrom keras.src import layers\n"
     "m = Sequential([layers.JaxLayer(2)])\n", [("XL101", 3, 16)]),
    ("tf-keras-src", "from tf_keras.src import layers\nlayers.FlaxLayer(4)\n", [("XL101", 2, 0)]),
    ("alias-class-name", "from keras import layers\nlayers.Convolution2D(4, 3, dtype='int8')\n", [("XL201", 2, 33)]),
    ("removed-layer", "from tensorflow.keras import layers\nlayers.ThresholdedReLU(theta=1.0)\n", [("XL102", 2, 0)]),
    ("models-sequential-clean", "from keras.models import Sequential\nfrom keras.layers import Dense\n"
     "m = Sequential([Dense(2)])\n", []),
    ("import-inside-function", "def build():\n    import keras\n    return keras.layers.FlaxLayer(4)\n", [("XL101", 3, 11)]),
    ("module-import-used-in-function", "from keras import layers\n\ndef f():\n    return layers.FlaxLayer(4)\n",
     [("XL101", 4, 11)]),
    ("import-after-function-definition", "def f():\n    return layers.FlaxLayer(4)\n\nfrom keras import layers\n",
     [("XL101", 2, 11)]),
    ("try-except-import", "try:\n    from tensorflow import keras\nexcept ImportError:\n    import keras\n"
     "keras.layers.FlaxLayer(4)\n", [("XL101", 5, 0)]),
    ("reference-not-call", "from keras import layers\nAUGMENTS = (layers.FlaxLayer, layers.JaxLayer)\n",
     [("XL101", 2, 12), ("XL101", 2, 30)]),
    ("isinstance", "from keras import layers\nisinstance(obj, layers.FlaxLayer)\n", [("XL101", 2, 16)]),
    ("subclass-base", "from keras import layers\nclass MyLSTM(layers.FlaxLayer):\n    pass\n", [("XL101", 2, 13)]),
    ("classmethod-on-layer", "from keras import layers\nlayers.FlaxLayer.from_config({})\n", [("XL101", 2, 0)]),
    ("class-body-before-rebinding", "from keras import layers\nclass A:\n    cell = layers.JaxLayer(2)\n    layers = None\n",
     [("XL101", 3, 11)]),
    ("decorator-default-arg", "from keras import layers\ndef f(rnn=layers.FlaxLayer(2)):\n    return rnn\n",
     [("XL101", 2, 10)]),
    ("comprehension", "from keras import layers\nrnns = [layers.JaxLayer(n) for n in (1, 2)]\n", [("XL101", 2, 8)]),
    ("lambda", "from keras import layers\nmake = lambda n: layers.FlaxLayer(n)\n", [("XL101", 2, 17)]),
    ("multiline-call-arg-position",
     "from keras import layers\nlayers.Dense(\n    8,\n    lora_rank=4,\n)\n",
     [("XL202", 4, 14)]),
    ("unicode-columns-are-characters", "from keras import layers\nlabel = 'ééé'; layers.FlaxLayer(2)\n",
     [("XL101", 2, 15)]),
]

# A local name shadowing an import is not a Keras layer.
SHADOWED = [
    ("rebinding-after-import", "from keras import layers\nlayers = MyLayers()\nlayers.FlaxLayer(4)\n"),
    ("class-name-rebound", "from keras.layers import FlaxLayer\nFlaxLayer = my_lstm\nFlaxLayer(4)\n"),
    ("parameter", "from keras import layers\n\ndef f(layers):\n    return layers.FlaxLayer(4)\n"),
    ("local-assignment", "from keras import layers\n\ndef f():\n    layers = get()\n    return layers.FlaxLayer(4)\n"),
    ("later-local-binding", "from keras import layers\n\ndef f():\n    x = layers.FlaxLayer(4)\n    layers = 1\n"),
    ("own-class", "import keras\n\nclass FlaxLayer:\n    pass\n\nFlaxLayer(4)\n"),
    ("own-function", "from keras import layers\n\ndef JaxLayer(n):\n    return n\n\nJaxLayer(3)\n"),
    ("for-target", "from keras import layers\nfor layers in registry:\n    layers.FlaxLayer(2)\n"),
    ("with-target", "from keras import layers\nwith ctx() as layers:\n    layers.FlaxLayer(2)\n"),
    ("except-name", "from keras import layers\ntry:\n    pass\nexcept E as layers:\n    layers.FlaxLayer(2)\n"),
    ("comprehension-variable", "from keras import layers\nx = [layers.FlaxLayer(1) for layers in mods]\n"),
    ("lambda-parameter", "from keras import layers\nf = lambda layers: layers.FlaxLayer(2)\n"),
    ("walrus", "from keras import layers\nif (layers := get()):\n    layers.FlaxLayer(2)\n"),
    ("deleted", "from keras import layers\ndel layers\nlayers.FlaxLayer(2)\n"),
    ("use-before-import", "layers.FlaxLayer(2)\nfrom keras import layers\n"),
    ("other-library", "from torch import nn\nnn.FlaxLayer(4, 4)\nfrom mylib.layers import FlaxLayer\nFlaxLayer(2)\n"),
    ("not-keras-attribute", "import keras\nkeras.ops.FlaxLayer(2)\nkeras.utils.JaxLayer\n"),
    ("keras-in-string-only", "x = 'keras.layers.FlaxLayer(4)'\n"),
    ("relative-import", "from .keras.layers import FlaxLayer\nFlaxLayer(2)\n"),
    ("global-rebinding", "from keras import layers\n\ndef f():\n    global layers\n    layers = 1\n\nlayers.FlaxLayer(2)\n"),
]


def findings(source: str) -> list[tuple[str, int, int]]:
    diags = lint_text(textwrap.dedent(source), "t.py", RULES, Config())
    return [(d.code, d.line, d.col) for d in diags]


@pytest.mark.parametrize("source, expected", [c[1:] for c in IMPORT_STYLES], ids=[c[0] for c in IMPORT_STYLES])
def test_import_styles(source: str, expected: list[tuple[str, int, int]]) -> None:
    assert findings(source) == expected


@pytest.mark.parametrize("source", [c[1] for c in SHADOWED], ids=[c[0] for c in SHADOWED])
def test_shadowed_or_foreign_names_are_not_keras(source: str) -> None:
    assert findings(source) == []


@pytest.mark.parametrize(
    "qualname, layer",
    [
        ("keras.layers.FlaxLayer", "FlaxLayer"),
        ("tensorflow.keras.layers.Dense", "Dense"),
        ("keras_core.layers.Conv2D", "Conv2D"),
        ("tf_keras.layers.JaxLayer", "JaxLayer"),
        ("tensorflow.python.keras.layers.Dense", "Dense"),
        ("keras.Model", "Model"),
        ("keras.Sequential", "Sequential"),
        ("keras.Input", "Input"),
        ("keras.models.Sequential", "Sequential"),
        ("tensorflow.keras.Model", "Model"),
        ("keras.layers.rnn.lstm.FlaxLayer", "FlaxLayer"),
        ("keras.src.layers.Dense", "Dense"),
        ("keras.src.layers.layer.Layer", "Layer"),
        ("keras.src.models.Functional", "Functional"),
        ("keras.src.models.functional.Functional", "Functional"),
        ("keras.src.models.sequential.Sequential", "Sequential"),
        ("keras.src.ops.relu", None),
        ("keras.src.src.layers.Dense", None),
        ("keras.ops.relu", None),
        ("keras.Dense", None),
        ("mykeras.layers.FlaxLayer", None),
        ("torch.nn.FlaxLayer", None),
        ("keras", None),
    ],
)
def test_keras_layer_name(qualname: str, layer: str | None) -> None:
    assert keras_layer_name(qualname) == layer


def test_use_records_qualname_and_call() -> None:
    tree = ast.parse("import tensorflow as tf\nx = tf.keras.layers.Dense(3)\ny = tf.keras.layers.Dense\n")
    uses = find_uses(tree, set(RULES.by_name))
    assert [(u.layer, u.qualname, u.call is not None) for u in uses] == [
        ("Dense", "tensorflow.keras.layers.Dense", True),
        ("Dense", "tensorflow.keras.layers.Dense", False),
    ]


def test_functional_helpers_resolve() -> None:
    tree = ast.parse("from keras import layers\nimport keras\nz = layers.add([a, b])\ni = keras.Input((3,))\n")
    assert [u.layer for u in find_uses(tree, set(RULES.by_name))] == ["add", "Input"]


def test_uses_are_in_source_order() -> None:
    src = "from keras import layers\nb = layers.JaxLayer(1)\na = layers.FlaxLayer(1)\nc = layers.JaxLayer(1)\n"
    uses = find_uses(ast.parse(src), set(RULES.by_name))
    assert [u.layer for u in uses] == ["JaxLayer", "FlaxLayer", "JaxLayer"]


def test_star_import_applications_table_matches_the_installed_keras() -> None:
    """resolve._APPLICATION_EXPORTS is what each public `keras.applications.<module>` of the
    installed Keras exports with an upper-case name (its model builders)."""
    import importlib
    import pkgutil

    keras_applications = pytest.importorskip("keras.applications")
    from kerastf_xlate.resolve import _APPLICATION_EXPORTS

    found = {}
    for info in pkgutil.iter_modules(keras_applications.__path__):
        module = importlib.import_module(f"keras.applications.{info.name}")
        found[info.name] = tuple(sorted(n for n in vars(module) if n[:1].isupper()))
    assert {k: tuple(sorted(v)) for k, v in _APPLICATION_EXPORTS.items()} == found


def test_star_import_optimizers_and_callbacks_tables_hold_the_installed_kerass() -> None:
    """resolve._STAR_EXPORTS holds every public name of the installed Keras's
    `keras.optimizers`, `keras.callbacks`, preprocessing and utils modules (Keras 2's few more
    are listed beside them), and tf-keras's preprocessing and utils where it is installed."""
    import importlib

    pytest.importorskip("keras")
    from kerastf_xlate.resolve import _STAR_EXPORTS

    for module in ("optimizers", "callbacks", "preprocessing.image", "preprocessing.sequence", "preprocessing",
                   "utils"):
        public = {n for n in vars(importlib.import_module(f"keras.{module}")) if not n.startswith("_")}
        assert public <= _STAR_EXPORTS[module], (module, sorted(public - _STAR_EXPORTS[module]))
    from kerastf_xlate.resolve import _APPLICATIONS_STAR

    public = {n for n in vars(importlib.import_module("keras.applications")) if not n.startswith("_")}
    assert public <= _APPLICATIONS_STAR, sorted(public - _APPLICATIONS_STAR)
    try:  # tf.keras 2's, where installed (the preprocessing modules export more there)
        tf_keras = importlib.import_module("tf_keras")
    except ImportError:
        return
    for module in ("preprocessing.image", "preprocessing.sequence", "preprocessing.text", "preprocessing", "utils"):
        public = {n for n in vars(importlib.import_module(f"{tf_keras.__name__}.{module}")) if not n.startswith("_")}
        assert public <= _STAR_EXPORTS[module], (module, sorted(public - _STAR_EXPORTS[module]))


@pytest.mark.parametrize("order", [("layers", "applications.vgg16"), ("applications.vgg16", "layers"),
                                   ("layers", "applications"), ("applications", "layers")])
def test_star_imported_applications_are_not_layers(order) -> None:
    """`VGG16` (and `preprocess_input`) under star imports of keras.layers and an applications
    module (in either order) are the application's: the layers module does not bind them (they
    were taken for layers without a translation, XL102, and kept the file's models)."""
    from kerastf_xlate.totf.program.names import keras_refs

    src = "".join(f"from tensorflow.keras.{m} import *\n" for m in order) + "base = VGG16(weights=None)\nlayer = Dense(3)\n"
    module = "applications.vgg16" if "applications.vgg16" in order else "applications"
    assert [r.qualname for r in keras_refs(ast.parse(src))] == [f"tensorflow.keras.{module}.VGG16",
                                                               "tensorflow.keras.layers.Dense"]


@pytest.mark.parametrize("order", [("layers", "preprocessing.image"), ("preprocessing.image", "layers")])
def test_star_imported_data_utilities_are_not_layers(order) -> None:
    """`load_img` under star imports of keras.layers and keras.preprocessing.image (in either
    order) is the image module's, a data utility; it was taken for a layer without a translation
    and kept every model of the file (a cookbook's recipes)."""
    from kerastf_xlate.totf.program.names import keras_refs

    src = "".join(f"from tensorflow.keras.{m} import *\n" for m in order) + "image = load_img('a.png')\nlayer = Dense(3)\n"
    assert [r.qualname for r in keras_refs(ast.parse(src))] == ["tensorflow.keras.preprocessing.image.load_img",
                                                               "tensorflow.keras.layers.Dense"]


@pytest.mark.parametrize("order", [("layers", "optimizers"), ("optimizers", "layers")])
def test_star_imported_optimizer_is_the_optimizers_modules(order) -> None:
    """`Adam` under star imports of keras.layers and keras.optimizers (in either order) is the
    optimizers module's: the layers module does not bind it (it was taken for a layer)."""
    from kerastf_xlate.totf.program.names import keras_refs

    src = "".join(f"from keras.{m} import *\n" for m in order) + "opt = Adam(lr=1e-3)\nlayer = Dense(3)\n"
    assert [r.qualname for r in keras_refs(ast.parse(src))] == ["keras.optimizers.Adam", "keras.layers.Dense"]


def test_a_global_statement_at_module_level_changes_nothing() -> None:
    """`global n` at a module's top level (a script's `if __name__ == "__main__":` block) is
    allowed and means nothing; it made the resolver recurse until RecursionError."""
    source = "import keras\nif True:\n    global n\n    n = 3\nx = keras.layers.Dense(n)\n"
    uses = find_uses(ast.parse(source), {"Dense"})
    assert [(u.layer, u.node.lineno, u.call is not None) for u in uses] == [("Dense", 5, True)]
