"""A model whose layers are classes of another module of the user's (issue #13: model zoos
write ``from blocks import ConvBlock`` and hold ``self.block1 = ConvBlock(8)``).

Found on a tuning corpus (bench/corpus10.toml, model zoos of subclassed Keras models): a file
translated alone made its model a ``tf.Module`` holding the other module's object. When that
object is a Keras layer, its weights are not the ``tf.Module``'s variables: nothing trains or
saves them, and ``set_weights`` misses them (checked: 2 variables where Keras has 14). Now
the class stays Keras there (XL310: the module is not translated with it). In a directory run
the other module is translated too; its class must then come out as a layer of the program
form (the flat form's ``tf.Module`` is no layer a program-form model tracks), so that file is
translated in the program form (tree.py), or the files stay Keras together.

The execution test runs the original and the directory run's output in their own processes:
weights perturbed (kernels scaled by their fan-in, vectors in [0.1, 0.5]) and moved with
``set_weights``, outputs in inference and training mode, and the weights after a training-mode
call (BatchNormalization statistics). Tolerance ``1e-5 * (1 + max |keras|)``; the worst
difference is printed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from zoo_sources import BLOCKS, NET

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

RUN = textwrap.dedent("""\
    import json, sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    from net import Net

    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (2, 6, 6, 3)).astype("float32")
    m = Net(4)
    m(x)
    if sys.argv[2] == "keras":
        ws = [(rng.standard_normal(w.shape) / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1
               else rng.uniform(0.1, 0.5, w.shape)).astype("float32") for w in m.get_weights()]
        np.savez(sys.argv[3], *ws)
    else:
        saved = np.load(sys.argv[3])
        ws = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    m.set_weights(ws)
    report = {"inference": np.asarray(m(x, training=False)).tolist(), "training": np.asarray(m(x, training=True)).tolist()}
    report["after"] = [np.asarray(w).tolist() for w in m.get_weights()]
    report["trainable"] = len(m.trainable_weights)
    json.dump(report, open(sys.argv[4], "w"))
    """)


def test_alone_the_model_holding_another_modules_block_stays_keras(tmp_path: Path) -> None:
    (tmp_path / "blocks.py").write_text(BLOCKS)
    out, diags = translate(NET, str(tmp_path / "net.py"))
    assert out == NET
    assert any(d.code == "XL310" and "built with `ConvBlock` from `blocks`, a module this run does not translate" in d.message
               for d in diags), diags


def test_a_star_imported_block_keeps_the_model_keras_too() -> None:
    text = NET.replace("from blocks import ConvBlock", "from blocks import *")
    out, diags = translate(text, "<stdin>")
    assert "class Net(tf.Module)" not in out
    assert "keras.Model" in out


# a functional builder calling a block class a star import brings (a GAN book's `from keras.layers
# import *` then `from layers import *`, with only the second: the block is the module's)
FUNCTIONAL = textwrap.dedent("""\
    import keras

    from blocks import *


    def build(classes):
        inputs = keras.Input((6, 6, 3))
        x = ConvBlock(8)(inputs)
        x = ConvBlock(16)(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, keras.layers.Dense(classes)(x))


    class Net:
        def __new__(cls, classes):
            return build(classes)
    """)


def test_a_star_imported_block_in_a_functional_graph_keeps_the_model_keras_alone() -> None:
    """A name the file reads and binds nowhere, beside `from blocks import *`, is that module's:
    the graph calling `ConvBlock(8)` was translated, and the translated model held the Keras
    layer without its weights (2 of 10 weight arrays: `set_weights` from Keras failed)."""
    out, diags = translate(FUNCTIONAL, "net.py")
    assert out == FUNCTIONAL
    assert any(d.code == "XL310" and "its graph calls `ConvBlock` from `blocks`, a module this run does not "
               "translate" in d.message for d in diags), [d.message for d in diags]


@pytest.mark.parametrize("chain", [False, True], ids=["direct", "through-a-class-of-the-file"])
@pytest.mark.parametrize("imports", ["from blocks import ConvBlock", "from blocks import *"])
def test_a_class_of_the_file_built_on_another_modules_block_keeps_the_model_keras_alone(imports: str,
                                                                                         chain: bool) -> None:
    """`class WideBlock(ConvBlock)` (ConvBlock another module's Keras layer) called in a
    functional graph: the class is that module's code. It was taken for plain Python and the
    translated model called it without holding its weights (2 weight arrays where Keras has 6)."""
    text = FUNCTIONAL.replace("from blocks import *", imports).replace(
        "\n\ndef build", "\n\nclass WideBlock(ConvBlock):\n    pass\n\n\ndef build").replace(
        "x = ConvBlock(16)(x)", "x = WideBlock(16)(x)").replace("x = ConvBlock(8)(inputs)", "x = WideBlock(8)(inputs)")
    if chain:  # `class Base(ConvBlock)`, then `class WideBlock(Base)`
        text = text.replace("class WideBlock(ConvBlock):", "class Base(ConvBlock):\n    pass\n\n\nclass WideBlock(Base):")
    assert "ConvBlock(" not in text
    out, diags = translate(text, "net.py")
    assert out == text
    assert any(d.code == "XL310" and "its graph calls `ConvBlock` from `blocks`" in d.message for d in diags), \
        [d.message for d in diags]


@pytest.mark.parametrize("how", ["argument", "dict", "alias"])
def test_another_modules_block_reaching_a_graph_as_a_value_keeps_the_model_keras_alone(how: str) -> None:
    """The block class given to the builder (`build(ConvBlock)`, then `block_cls(8)(inputs)`), or
    looked up in a module's dict (`BLOCKS[kind](8)`), or aliased: the graph calls it without
    naming it. Such graphs were translated and held the Keras layer without its weights. A file
    that uses another module's class (a CapWords name) or a function it also calls as a value
    keeps every graph calling something it was given, found in a container or aliased (XL310);
    constants and modules (`config.IMG_SIZE`) are not such code."""
    head = "import keras\n\nfrom blocks import ConvBlock\n\n"
    body = {"argument": "def build(block_cls):\n    inputs = keras.Input((6, 6, 3))\n    x = block_cls(8)(inputs)\n"
                        "    return keras.Model(inputs, x)\n\n\nm = build(ConvBlock)\n",
            "dict": "BLOCKS = {'conv': ConvBlock}\n\n\ndef build(kind):\n    inputs = keras.Input((6, 6, 3))\n"
                    "    x = BLOCKS[kind](8)(inputs)\n    return keras.Model(inputs, x)\n\n\nm = build('conv')\n",
            "alias": "Block = ConvBlock\ninputs = keras.Input((6, 6, 3))\nm = keras.Model(inputs, Block(8)(inputs))\n"}[how]
    text = head + body
    out, diags = translate(text, "net.py")
    assert out == text
    assert any(d.code == "XL310" and "`ConvBlock` from `blocks`" in d.message for d in diags), [d.message for d in diags]


def test_an_alias_of_keras_beside_a_class_passed_as_a_value_does_not_keep_the_graph() -> None:
    """A reinforcement-learning notebook passes an environment wrapper class around
    (`wrappers=[ActionRepeat]`) and its Q-network's graph calls `K.max(...)` with `K =
    keras.backend`: `K` is no parameter, container item or alias of that class."""
    text = ("import keras\nfrom tf_agents.environments.wrappers import ActionRepeat\n\nK = keras.backend\n"
            "wrappers = [ActionRepeat]\ninputs = keras.Input((4,))\nh = keras.layers.Dense(3)(inputs)\n"
            "q = keras.layers.Lambda(lambda a: a - K.max(a, axis=1, keepdims=True))(h)\nm = keras.Model(inputs, q)\n")
    _, diags = translate(text, "rl.py")
    assert not any(d.code == "XL310" for d in diags), [d.message for d in diags]


def test_einops_functions_are_tensor_code_and_its_keras_layers_are_not() -> None:
    """A layer class of the file calling `einops.rearrange` in its `call` (a video tutorial's
    `ResizeVideo`), made in a graph: einops' functions compute on the tensors given, with their
    framework; `einops.layers.keras.Rearrange` is a Keras layer of a module the run does not translate."""
    layer = ("import keras\nimport einops\n\n\nclass Flip(keras.layers.Layer):\n    def call(self, x):\n"
             "        return einops.rearrange(x, 'b t c -> b c t')\n\n\n"
             "inputs = keras.Input((4, 6))\nm = keras.Model(inputs, Flip()(inputs))\n")
    _, diags = translate(layer, "flip.py")
    assert not any(d.code == "XL310" for d in diags), [d.message for d in diags]
    keras_layer = ("import keras\nfrom einops.layers.keras import Rearrange\n\n"
                   "inputs = keras.Input((4, 6))\nm = keras.Model(inputs, Rearrange('b t c -> b c t')(inputs))\n")
    out, diags = translate(keras_layer, "rearrange.py")
    assert out == keras_layer and any(d.code == "XL310" and "einops.layers.keras" in d.message for d in diags)


def test_an_imported_constant_does_not_keep_a_graph_calling_its_layers_in_a_loop() -> None:
    text = ("import keras\n\nimport config\nfrom settings import WIDTHS\n\n"
            "inputs = keras.Input((config.SIZE,))\nx = inputs\nfor layer in [keras.layers.Dense(w) for w in WIDTHS]:\n"
            "    x = layer(x)\nm = keras.Model(inputs, x)\n")
    out, diags = translate(text, "net.py")
    assert out != text and not any(d.code == "XL310" for d in diags), [d.message for d in diags]


@pytest.mark.tf
@pytest.mark.parametrize("net", [NET, FUNCTIONAL], ids=["subclass", "star-functional"])
def test_a_directory_run_translates_both_and_matches_keras(tmp_path: Path, net: str) -> None:
    src, dst = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "blocks.py").write_text(BLOCKS)
    (src / "net.py").write_text(net)
    proc = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(src), "-o", str(dst), "-q"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("blocks.py", "net.py"):
        text = (dst / name).read_text()
        assert BANNER in text and "import keras" not in text, name  # the program form, no Keras left
    (tmp_path / "run.py").write_text(RUN)
    reports = []
    for folder, kind in ((src, "keras"), (dst, "tf")):
        p = subprocess.run([sys.executable, "run.py", str(folder), kind, "w.npz", f"{kind}.json"], cwd=tmp_path,
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr[-3000:]
        reports.append(json.loads((tmp_path / f"{kind}.json").read_text()))
    keras_report, tf_report = reports
    assert keras_report["trainable"] == tf_report["trainable"] == 10
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nblocks of another module, directory run: worst |tf - keras| {worst:.1e} (tolerance {ATOL} * (1 + max |keras|))")


GRADER = textwrap.dedent("""\
    from tensorflow.keras.layers import Conv2D, Dense


    def summary(model):
        return [(type(layer) == Conv2D, type(layer) == Dense) for layer in model.layers]
    """)

NOTEBOOK_CELLS = [
    "import keras\nfrom keras import layers\nfrom test_utils import summary\n",
    "model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(1)])\n",
    "print(summary(model))\n",
]


def test_a_notebook_shares_model_code_with_the_modules_it_imports(tmp_path: Path) -> None:
    """A course's notebook hands its model to a grader helper of its folder that compares layer
    types with Keras classes (corpus9). The helper module alone translates (its classes become
    the runtime's); the notebook's model stays Keras (the helper names Keras APIs). Together
    they must stay Keras: the translated helper would compare Keras layers with the runtime's
    classes. The tree pass did not read notebooks, so the helper came out translated, and a
    second run over that output then translated the notebook too (not a fixed point)."""
    src, once, twice = tmp_path / "src", tmp_path / "once", tmp_path / "twice"
    src.mkdir()
    (src / "test_utils.py").write_text(GRADER)
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                           "source": c.splitlines(keepends=True)} for c in NOTEBOOK_CELLS],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (src / "course.ipynb").write_text(json.dumps(notebook, indent=1))
    for a, b in ((src, once), (once, twice)):
        proc = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(a), "-o", str(b)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert (once / "test_utils.py").read_text() == GRADER, proc.stderr
    assert "kept as Keras with the files it shares model code with" in proc.stderr
    for name in ("test_utils.py", "course.ipynb"):
        assert (twice / name).read_bytes() == (once / name).read_bytes(), name
