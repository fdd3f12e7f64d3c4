"""Names in to-tf's outputs: every name the output reads is bound before it runs, the runtime
block never collides with the user's names, Keras's layer aliases translate like their
layers, and Keras imports go only when provably unused.

Found by the real-code benchmark (bench/realcode.py): outputs that read ``tf`` before the
file imports it (F821), a kept ``from tensorflow.keras import Model`` over the runtime's
``class Model`` (F811), an unused ``from tensorflow import keras`` (F401), ``MaxPool2D``
kept as Keras while ``MaxPooling2D`` translates. The cases are written for these tests,
after the patterns of public example scripts and notebooks.

ruff (``--select F821,F811,F401``, as the benchmark runs it) compares input and output:
what the output adds is a bug. Without ruff those checks skip, the others run.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from program_text import tf_, user_code

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER
from kerastf_xlate.totf.program.imports import drop_unused_keras_imports


def ruff_added(before: str, after: str, tmp_path: Path) -> list[str]:
    """The F821 / F811 / F401 findings ``after`` has and ``before`` has not (no line numbers)."""
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")

    def findings(text: str, name: str) -> list[str]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "F821,F811,F401",
                               "--output-format", "json", "--exit-zero", str(path)], capture_output=True, text=True, timeout=120)
        return sorted(f"{f['code']} {f['message']}" for f in json.loads(proc.stdout))

    was = findings(textwrap.dedent(before), "before.py")
    now = findings(after, "after.py")
    for f in was:
        if f in now:
            now.remove(f)
    return now


# -------------------------------------------------------------------- where the runtime goes

KERAS_IO_STYLE = '''\
"""Title: a small convnet script."""

"""## Setup"""

import os

os.environ["KERAS_BACKEND"] = "tensorflow"

import math
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

"""## The model"""


def conv_block(x, filters):
    for _ in range(2):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return layers.MaxPooling2D()(x)


width = int(math.sqrt(64))
inputs = keras.Input(shape=(16, 16, 3))
x = conv_block(inputs, width)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs)
print(tf.shape(np.zeros(3)))
'''


def test_the_runtime_goes_after_the_imports_that_precede_its_first_use(tmp_path: Path) -> None:
    out, diags = tf_(KERAS_IO_STYLE)
    assert BANNER in out, diags
    before_block = out.split(BANNER)[0]
    # after the user's tensorflow import, which a second bare string used to leave below it
    assert before_block.rstrip().endswith("import tensorflow as tf")
    assert out.count("import tensorflow as tf") == 1
    # not above the user's own setup either
    assert before_block.index('os.environ["KERAS_BACKEND"]') < before_block.index("import tensorflow as tf")
    # the runtime's `import math` is the user's: not made twice
    assert out.count("import math\n") == 1
    assert "from tensorflow import keras" not in out and "from tensorflow.keras import layers" not in out
    assert ruff_added(KERAS_IO_STYLE, out, tmp_path) == []
    again, _ = translate(out, "t.py")
    assert again == out


def test_without_an_import_of_tensorflow_the_runtime_makes_it_after_the_users_setup(tmp_path: Path) -> None:
    src = '''\
        """A script that imports Keras only."""

        import os

        os.environ["KERAS_BACKEND"] = "tensorflow"

        import keras
        from keras import layers

        inputs = keras.Input((4,))
        x = inputs
        for units in (8, 4):
            x = layers.Dense(units)(x)
        model = keras.Model(inputs, x)
        '''
    out, diags = tf_(src)
    assert BANNER in out, diags
    head = out.split(BANNER)[0]
    assert head.index('os.environ["KERAS_BACKEND"]') < head.index("import tensorflow as tf")
    assert "import keras" not in out
    assert ruff_added(src, out, tmp_path) == []


def test_a_module_level_binding_of_a_runtime_import_name_is_renamed_in_the_block() -> None:
    # the runtime's functions read `math` when they run: the user's `math` would replace it,
    # so the block imports it under another name (totf/program/bundle.py, rename_plan)
    src = '''\
        import keras
        from keras import layers

        math = {"lr": 0.1}
        inputs = keras.Input((4,))
        x = inputs
        for units in (8, 4):
            x = layers.Dense(units)(x)
        model = keras.Model(inputs, x)
        '''
    out, diags = tf_(src)
    assert "import math as tf_math\n" in out and '\nmath = {"lr": 0.1}\n' in out, out
    assert "tf_math." in out and not any("defines `math`" in d for d in diags), diags
    import re

    assert not [line for line in out.split("# --- end of the layers")[0].splitlines()
                if re.search(r"(?<![\w.])math\.", line) and not line.lstrip().startswith("#")]


def test_tensorflow_imported_under_another_module_as_tf_blocks() -> None:
    src = '''\
        import keras
        from keras import layers
        import tensorflow.compat.v1 as tf

        inputs = keras.Input((4,))
        x = inputs
        for units in (8, 4):
            x = layers.Dense(units)(x)
        model = keras.Model(inputs, x)
        '''
    out, diags = tf_(src)
    assert BANNER not in out
    assert any("`tf`" in d for d in diags), diags


# -------------------------------------------------------------------- the flat form and `tf`

def test_flat_form_imports_tensorflow_when_the_files_import_comes_later(tmp_path: Path) -> None:
    # a notebook's cells as one program: the import cell after the model cell
    src = '''\
        from tensorflow import keras
        from tensorflow.keras import layers

        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])

        import tensorflow as tf

        print(tf.reduce_sum(model(tf.ones((1, 4)))))
        '''
    out, diags = tf_(src)
    assert "class Model(tf.Module)" in out, diags
    assert out.index("import tensorflow as tf") < out.index("class Model(tf.Module)")
    assert ruff_added(src, out, tmp_path) == []


def test_flat_form_does_not_count_an_import_inside_a_function(tmp_path: Path) -> None:
    src = '''\
        from tensorflow import keras
        from tensorflow.keras import layers


        def load():
            import tensorflow as tf
            return tf.constant(1.0)


        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
        '''
    out, diags = tf_(src)
    assert "tf.Module" in out, diags
    first_use = out.index("tf.Module")
    assert "\nimport tensorflow as tf\n" in "\n" + out[:first_use]
    assert ruff_added(src, out, tmp_path) == []


def test_flat_form_with_the_import_first_adds_none() -> None:
    src = '''\
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers

        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
        '''
    out, _ = tf_(src)
    assert "tf.Module" in out
    assert out.count("import tensorflow as tf") == 1


# -------------------------------------------------------------------- Keras's layer aliases

ALIASES = [("MaxPool2D", "MaxPooling2D", "(2, 2)"), ("AvgPool2D", "AveragePooling2D", "(2, 2)"),
           ("GlobalAvgPool2D", "GlobalAveragePooling2D", ""), ("GlobalMaxPool2D", "GlobalMaxPooling2D", ""),
           ("Convolution2D", "Conv2D", "4, 3")]


@pytest.mark.parametrize("alias,layer,args", ALIASES, ids=[a for a, _, _ in ALIASES])
def test_an_alias_translates_in_the_program_form_as_its_layer(alias: str, layer: str, args: str) -> None:
    src = f'''\
        import keras
        from keras import layers


        def build(size):
            inputs = keras.Input((size, size, 3))
            x = inputs
            for _ in range(1):
                x = layers.{alias}({args})(x)
            return keras.Model(inputs, layers.Flatten()(x))
        '''
    out, diags = tf_(src)
    assert not any(d.startswith("XL101") for d in diags), diags
    assert BANNER in out, diags
    assert f"x = {layer}({args})(x)" in user_code(out)
    assert f"\nclass {layer}(" in out


def test_an_alias_imported_by_name_translates() -> None:
    src = '''\
        import keras
        from keras.layers import Dense, MaxPool1D


        def build(n):
            inputs = keras.Input((8, 2))
            x = inputs
            for _ in range(n):
                x = MaxPool1D()(x)
            return keras.Model(inputs, Dense(1)(x))
        '''
    out, diags = tf_(src)
    assert BANNER in out, diags
    assert "x = MaxPooling1D()(x)" in user_code(out)
    assert "MaxPool1D" not in out


def test_every_keras_alias_is_its_rules_layer() -> None:
    from kerastf_xlate.rules import default_rules
    from kerastf_xlate.totf.program.names import canonical

    rules = default_rules()
    aliases = [(n, r.layer) for r in rules for n in r.names if n != r.layer]
    assert ("MaxPool2D", "MaxPooling2D") in aliases and ("GlobalAvgPool1D", "GlobalAveragePooling1D") in aliases
    for alias, layer in aliases:
        assert canonical(f"keras.layers.{alias}") == f"keras.layers.{layer}"
        assert canonical(f"tensorflow.keras.layers.{alias}") == f"keras.layers.{layer}"


# -------------------------------------------------------------------- Keras imports left over

def test_from_tensorflow_import_keras_goes_when_nothing_reads_it(tmp_path: Path) -> None:
    src = '''\
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers


        def build(n):
            inputs = keras.Input((4,))
            x = inputs
            for _ in range(n):
                x = layers.Dense(4)(x)
            return keras.Model(inputs, x)
        '''
    out, diags = tf_(src)
    assert BANNER in out, diags
    assert "from tensorflow import keras" not in out
    assert ruff_added(src, out, tmp_path) == []


@pytest.mark.parametrize("extra", [
    "print(keras.__version__, layers)\n",    # still read
    "__all__ = ['keras', 'layers']\n",      # exported
    "names = globals()\n",                   # reached dynamically
])
def test_a_keras_import_stays_unless_provably_unused(extra: str) -> None:
    text = "from tensorflow import keras\nfrom tensorflow.keras import layers\nimport tensorflow as tf\n\nx = tf.constant(1)\n" + extra
    assert drop_unused_keras_imports(text) == text


def test_an_unused_keras_import_goes_and_other_names_stay() -> None:
    text = "from tensorflow import keras, nn\nimport keras.ops\nx = nn.relu(1.0)\n"
    assert drop_unused_keras_imports(text) == "from tensorflow import nn\nx = nn.relu(1.0)\n"


def test_a_keras_import_of_a_runtime_name_goes_even_though_the_name_is_read() -> None:
    # every `Model` now names the runtime's class: the import would shadow it
    text = "from tensorflow.keras import Model, utils\n\nnet = Model(lambda: None)\nutils.x = 1\n"
    assert drop_unused_keras_imports(text, frozenset({"Model"})) == "from tensorflow.keras import utils\n\nnet = Model(lambda: None)\nutils.x = 1\n"


MODEL_IMPORTED = '''\
"""A script: title."""

"""## Setup"""

import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import Model, layers


class Head(Model):
    def __init__(self, units):
        super().__init__()
        self.units = units
        self.dense = layers.Dense(units)

    def call(self, x):
        return self.dense(x)


def build(n):
    inputs = keras.Input((4,))
    x = inputs
    for _ in range(n):
        x = layers.Dense(4)(x)
    return Model(inputs, x)


net = build(2)
head = Head(3)
is_model = isinstance(net, Model) and isinstance(head, Model)
'''


def test_a_kept_model_import_never_sits_beside_the_runtimes_model(tmp_path: Path) -> None:
    out, diags = tf_(MODEL_IMPORTED)
    assert BANNER in out, diags
    assert "import Model" not in out
    code = user_code(out)
    # every later `Model` of the user's is the runtime's class (what `keras.Model` was)
    assert "class Head(Model):" in code and "return Model(build_graph" in code.replace("(inputs, x)", "")
    assert "isinstance(net, Model) and isinstance(head, Model)" in code
    tree = ast.parse(out)
    model_defs = [s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == "Model"]
    assert len(model_defs) == 1
    uses = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "Model" and n.lineno > model_defs[0].lineno]
    assert uses
    assert ruff_added(MODEL_IMPORTED, out, tmp_path) == []


@pytest.mark.tf
def test_the_users_model_references_are_the_runtimes_model_when_run() -> None:
    from kerastf_xlate.verify import exec_source

    out, _ = tf_(MODEL_IMPORTED)
    ns = exec_source(out, "__names_tf__", "names_tf.py")
    import tensorflow as tf

    assert ns["is_model"] is True
    assert ns["Model"].__module__ == "__names_tf__"
    assert isinstance(ns["net"], tf.Module) and type(ns["net"]).__name__ == "Model"


# -------------------------------------------------------------------- notebooks

def _notebook(*cells: str) -> bytes:
    doc = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
                     for s in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1).encode()


def _cells(data: bytes) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in json.loads(data)["cells"]]


NOTEBOOK_MODEL = ("import keras\nfrom keras import layers\n",
                  "def build(n):\n    inputs = keras.Input((4,))\n    x = inputs\n    for _ in range(n):\n"
                  "        x = layers.Dense(4)(x)\n    return keras.Model(inputs, x)\n")


def test_a_notebook_whose_shell_lines_name_keras_is_translated() -> None:
    from kerastf_xlate.runner import transform_bytes
    from kerastf_xlate.totf import make_transform

    data = _notebook("!pip install keras -q\n", *NOTEBOOK_MODEL, "%matplotlib inline\nmodel = build(2)\n")
    result = transform_bytes("nb.ipynb", data, make_transform())
    assert result.error is None and result.output is not None
    after = _cells(result.output)
    assert after[0] == "!pip install keras -q\n" and after[3].startswith("%matplotlib inline\n")
    assert "import keras" not in "".join(after)


@pytest.mark.parametrize("line", ["%timeit keras.ops.sum(model(keras.ops.ones((1, 4))))",
                                  "t = %time keras.ops.sum(model(keras.ops.ones((1, 4))))",
                                  "keras.Model?", "!echo {keras.__version__}"])
def test_an_import_an_ipython_line_reads_stays(line: str) -> None:
    from kerastf_xlate.runner import transform_bytes
    from kerastf_xlate.totf import make_transform

    data = _notebook(*NOTEBOOK_MODEL, "model = build(2)\n" + line + "\n")
    result = transform_bytes("nb.ipynb", data, make_transform())
    assert result.error is None
    after = _cells(result.output if result.output is not None else data)
    assert after[2] == "model = build(2)\n" + line + "\n"
    assert "import keras\n" in after[0]


def test_a_parameter_of_the_same_name_is_not_a_use_of_the_import() -> None:
    text = ("from tensorflow.keras import layers\n\n\nclass Stack:\n    def __init__(self, layers):\n"
            "        self.layers = [f(x) for f in layers for x in (1,)]\n")
    assert "import layers" not in drop_unused_keras_imports(text)
    # a read of the module's name in the same file keeps it: in a function without its own,
    # in a comprehension, through `global`
    for use in ("def f():\n    return layers\n", "xs = [layers for _ in (1,)]\n", "def g():\n    global layers\n"):
        assert "import layers" in drop_unused_keras_imports(text + use)


def test_a_runtime_name_imported_on_a_shared_line_goes_too() -> None:
    text = "from keras import Model; import os\nnet = Model(lambda: None)\n"
    assert drop_unused_keras_imports(text, frozenset({"Model"})) == "pass; import os\nnet = Model(lambda: None)\n"
    # an unused one on a shared line stays as written
    assert drop_unused_keras_imports("import keras; import os\n") == "import keras; import os\n"
