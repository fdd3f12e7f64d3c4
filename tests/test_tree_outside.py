"""Code of modules outside the run keeps the model that calls it, not the whole file (XL310;
docs/design.md, "Partial programs").

Written after keras-io examples and book notebooks that build several models in one file,
one of which calls a layer of a package the run does not translate in its graph (a
``tensorflow_addons`` InstanceNormalization, a ``keras_nlp`` decoder, a sibling module of the
repository translated alone): that model stays Keras with what is linked to it, byte for
byte, and the other models of the file are translated. A module the run does translate (a
directory run) keeps nothing. ``norms`` below stands for such a package: a stub written in
the test's directory, never part of the run.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from program_text import script_head, user_code

from kerastf_xlate.cli import main
from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER
from kerastf_xlate.totf.program.imported import translating_modules
from kerastf_xlate.totf.program.translate import translate_program

HEAD = textwrap.dedent("""\
    import numpy as np
    import keras
    from keras import layers
    import norms
    """)

# a model the flat form cannot follow (a helper with a loop): the program form translates it
PLAIN = textwrap.dedent("""\


    def block(x, widths):
        for w in widths:
            x = layers.Dense(w, activation="relu")(x)
        return x


    inputs = keras.Input((8,))
    outputs = layers.Dense(4)(block(inputs, [16, 12]))
    plain = keras.Model(inputs, outputs)
    """)

# a model whose graph runs a layer of the outside module
OUTSIDE = textwrap.dedent("""\

    other_in = keras.Input((8,))
    y = layers.Dense(6)(other_in)
    y = norms.Scale()(y)
    other = keras.Model(other_in, y)
    """)

KEPT_MESSAGE = "model kept as Keras: its graph calls `Scale` from `norms`, a module this run does not translate"
KERAS_MODEL_CODE = re.compile(r"\b(keras|layers)\.(layers\.\w|Dense\b|Model\b|Sequential\b|Input\b)")


def program(text: str):  # type: ignore[no-untyped-def]
    return translate_program(text, ast.parse(text))


def test_the_model_calling_outside_code_stays_keras_and_the_other_is_translated() -> None:
    text = HEAD + PLAIN + OUTSIDE
    result = program(text)
    assert result.text is not None and result.partial, result.blockers
    assert OUTSIDE in result.text  # byte for byte
    assert "plain = Model(plain_graph)" in result.text and 'x = Dense(w, activation="relu")(x)' in result.text
    assert [(f.code, f.message) for f in result.findings] == [("XL310", KEPT_MESSAGE)]
    # a second run changes nothing and says the same
    once, diags = translate(text, "m.py")
    again, diags2 = translate(once, "m.py")
    assert once == result.text and again == once
    assert [d.message for d in diags if d.code == "XL310"] == [d.message for d in diags2 if d.code == "XL310"] \
        == [KEPT_MESSAGE]


@pytest.mark.parametrize("spelling, call, module", [
    ("from norms import Scale", "Scale()", "norms"),
    ("from .norms import Scale as Norm", "Norm()", ".norms"),
    ("import norms.layers as nl", "nl.Scale()", "norms.layers"),
])
def test_every_import_spelling_is_outside(spelling: str, call: str, module: str) -> None:
    text = HEAD.replace("import norms\n", spelling + "\n") + PLAIN + OUTSIDE.replace("norms.Scale()", call)
    result = program(text)
    assert result.text is not None and result.partial, result.blockers
    assert OUTSIDE.replace("norms.Scale()", call) in result.text
    assert [f.message.split("`")[3] for f in result.findings if f.code == "XL310"] == [module]


KEPT_FORMS = {  # other ways a model runs the outside module's code (each: its statements, kept)
    "made-before-the-graph": """
norm = norms.Scale()
other_in = keras.Input((8,))
other = keras.Model(other_in, norm(layers.Dense(6)(other_in)))
""",
    "in-the-model-statement": """
other_in = keras.Input((8,))
other = keras.Model(other_in, norms.Scale()(other_in))
""",
    "sequential": """
other = keras.Sequential([layers.Input((8,)), layers.Dense(6), norms.Scale()])
""",
    "add": """
other = keras.Sequential([layers.Input((8,))])
other.add(layers.TimeDistributed(norms.Scale()))
""",
    "class-body": """


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(6)
        self.norm = norms.Scale()

    def call(self, x):
        return self.norm(self.dense(x))


other = Net()
""",
}


@pytest.mark.parametrize("form", sorted(KEPT_FORMS))
def test_every_way_a_model_runs_outside_code_keeps_it(form: str) -> None:
    kept = KEPT_FORMS[form]
    result = program(HEAD + PLAIN + kept)
    assert result.text is not None and result.partial, result.blockers
    assert kept in result.text and "plain = Model(plain_graph)" in result.text
    assert [f.code for f in result.findings if "`Scale` from `norms`" in f.message] == ["XL310"]


def test_a_value_outside_code_gives_a_class_is_not_a_layer() -> None:
    """A table a Keras class reads (not calls) and a plotting call in a method run as in the
    original: the class is translated."""
    text = HEAD + "import matplotlib.pyplot as plt\n" + textwrap.dedent("""\


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = layers.Dense(6)
                self.table = norms.table(6)

            def call(self, x):
                return self.dense(x) + self.table

            def show(self, x):
                plt.plot(self(x))


        other = Net()
        """)
    result = program(text)
    assert result.text is not None and not result.partial, result.blockers
    assert "class Net(Model):" in result.text and not [f for f in result.findings if f.code == "XL310"]


def test_a_helper_only_the_kept_model_calls_stays_with_it() -> None:
    helper = textwrap.dedent("""\


        def normed(x):
            return norms.Scale()(layers.Dense(6)(x))
        """)
    kept = "\nother_in = keras.Input((8,))\nother = keras.Model(other_in, normed(other_in))\n"
    result = program(HEAD + helper + PLAIN + kept)
    assert result.text is not None and result.partial, result.blockers
    assert helper in result.text and kept in result.text
    assert "plain = Model(plain_graph)" in result.text


@pytest.mark.parametrize("shared", [
    # a helper both models call runs the outside code in both graphs: nothing can be isolated
    """
def block(x, widths):
    for w in widths:
        x = layers.Dense(w, activation="relu")(x)
    return norms.Scale()(x)


inputs = keras.Input((8,))
outputs = layers.Dense(4)(block(inputs, [16]))
plain = keras.Model(inputs, outputs)
other_in = keras.Input((8,))
other = keras.Model(other_in, block(other_in, [6]))
""",
    # a layer object both graphs call: the kept model would get a translated layer
    """
shared = layers.Dense(6)
inputs = keras.Input((8,))
outputs = layers.Dense(4)(shared(inputs))
plain = keras.Model(inputs, outputs)
other_in = keras.Input((8,))
y = norms.Scale()(shared(other_in))
other = keras.Model(other_in, y)
""",
    # the translated model called in the kept model's graph
    """
inputs = keras.Input((8,))
outputs = layers.Dense(4)(inputs)
plain = keras.Model(inputs, outputs)
other_in = keras.Input((8,))
y = norms.Scale()(plain(other_in))
other = keras.Model(other_in, y)
""",
], ids=["helper-both-call", "shared-layer", "model-in-kept-graph"])
def test_what_links_the_models_keeps_both(shared: str) -> None:
    result = program(HEAD + shared)
    assert result.text is None
    assert KEPT_MESSAGE in [b.message for b in result.blockers if b.code == "XL310"]


def test_a_module_the_run_translates_keeps_nothing() -> None:
    text = HEAD + PLAIN + OUTSIDE
    with translating_modules(["norms"]):
        result = program(text)
    assert result.text is not None and not result.partial, result.blockers
    assert "other = Model(other_graph)" in result.text
    assert [f.message for f in result.findings if f.code == "XL310"] == [
        "the model's graph calls `Scale` from `norms`, which must be translated in the same run"]


# a directory run: `blocks` builds Keras layers and is translated with `app`, which calls it
BLOCKS = textwrap.dedent("""\
    from keras import layers


    def dense_block(x, width):
        x = layers.Dense(width)(x)
        return layers.Activation("tanh")(x)
    """)

# app.py of a directory run: the plain model, and one whose graph calls blocks.dense_block
APP = "import keras\nfrom keras import layers\n{imports}\n" + PLAIN + textwrap.dedent("""\

    other_in = keras.Input((8,))
    y = {call}(other_in, 6)
    other = keras.Model(other_in, y)
    """)

SPELLINGS = {  # where blocks.py sits in the tree, how app.py imports it and calls it
    "module": ("blocks.py", "import blocks", "blocks.dense_block"),
    "from-package": ("lib/blocks.py", "from lib import blocks", "blocks.dense_block"),
    "dotted": ("lib/blocks.py", "import lib.blocks", "lib.blocks.dense_block"),
}


def _tree(root: Path, spelling: str) -> None:
    where, imports, call = SPELLINGS[spelling]
    (root / where).parent.mkdir(parents=True, exist_ok=True)
    (root / where).write_text(BLOCKS)
    (root / "app.py").write_text(APP.format(imports=imports, call=call))


def _to_tf(*args: str) -> str:
    result = CliRunner().invoke(main, ["to-tf", "-j", "1", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_a_directory_run_translates_the_module_and_keeps_nothing(tmp_path: Path, spelling: str) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _tree(src, spelling)
    report = json.loads(_to_tf(str(src), "-o", str(out)))
    assert not [d for d in report if d["code"] in ("XL301", "XL310") and "kept" in d["message"]], report
    for path in sorted(out.rglob("*.py")):
        text = path.read_text()
        assert BANNER in text, path
        assert not KERAS_MODEL_CODE.search(user_code(text)), f"{path}: Keras model code left"
    if spelling == "module":  # a second run over the translated tree changes nothing
        _to_tf(str(out), "-o", str(tmp_path / "again"))
        assert {p.name: p.read_text() for p in (tmp_path / "again").rglob("*.py")} == \
            {p.name: p.read_text() for p in out.rglob("*.py")}
    # the same file alone: its module is outside that run, so only the model calling it stays
    report = json.loads(_to_tf(str(src / "app.py"), "-o", str(tmp_path / "alone.py")))
    alone = (tmp_path / "alone.py").read_text()
    kept = APP.format(imports="", call=SPELLINGS[spelling][2]).split("other_in = ")[1]
    assert "plain = Model(plain_graph)" in alone and kept in alone
    assert [d["code"] for d in report if "a module this run does not translate" in d["message"]] == ["XL310"]


CHAIN = {  # a module without Keras code between the models and the one making their layers
    "lib/common.py": "from keras import layers\n\n\ndef dense(x, width):\n    return layers.Dense(width)(x)\n",
    "lib/net.py": "import lib.common as common\n\n\ndef net(x):\n    return common.dense(x, 4)\n",
    "good.py": "import keras\nfrom lib.net import net\n\ninputs = keras.Input((8,))\nmodel = keras.Model(inputs, net(inputs))\n",
    # a graph kept for its own reason, before its calls are looked at (a value made in it used after)
    "kept.py": textwrap.dedent("""\
        import numpy as np
        import keras
        from lib.net import net

        inputs = keras.Input((8,))
        maps = net(inputs)
        image = np.ones((8,))
        image_data = image[np.newaxis, ...].astype(np.float32)
        model = keras.Model(inputs, maps)
        pred = model.predict(image_data)
        """),
}


@pytest.mark.parametrize("with_kept", [False, True])
def test_a_kept_model_running_code_of_the_run_through_another_module_keeps_it(tmp_path: Path, with_kept: bool) -> None:
    """``kept.py``'s model stays Keras and runs ``lib.common``'s layers through ``lib.net``
    (which has no Keras code of its own): ``lib.common`` and ``good.py`` stay Keras with it."""
    src, out = tmp_path / "src", tmp_path / "out"
    for rel, text in CHAIN.items():
        if with_kept or rel != "kept.py":
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_text(text)
    report = json.loads(_to_tf(str(src), "-o", str(out)))
    translated = sorted(str(p.relative_to(out)) for p in out.rglob("*.py") if BANNER in p.read_text())
    if with_kept:
        assert translated == [], translated
        notes = {Path(d["path"]).name for d in report if d["code"] == "XL301" and "kept.py keeps Keras" in d["message"]}
        assert notes == {"good.py", "common.py"}, report
    else:
        assert translated == ["good.py", "lib/common.py"], report


STUB = textwrap.dedent("""\
    import keras


    class Scale(keras.layers.Layer):
        def build(self, shape):
            self.gain = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.gain + 0.25
    """)

# runs each (directory, script) pair in turn in one process, each script writing its OUT
RUNNER = textwrap.dedent("""\
    import runpy, sys
    for folder, script, out in [tuple(a.split(",")) for a in sys.argv[1:]]:
        for name in ("norms", "blocks", "lib", "lib.blocks"):
            sys.modules.pop(name, None)
        sys.path.insert(0, folder)
        runpy.run_path(script, init_globals={"OUT": out}, run_name="__main__")
        sys.path.remove(folder)
    """)

# each model's outputs in its own statement (one reading both would link the two models)
COMPARE = textwrap.dedent("""\


    def dump(model, value):
        with open(f"{OUT}.{model}", "w") as f:
            json.dump(arrays(value), f)


    data = rng.normal(size=(5, 8)).astype("float32")
    moved(plain)
    moved(other)
    dump("plain", plain(data))
    dump("other", other(data))
    """)


def _run(tmp_path: Path, runs: list[tuple[Path, str, str]]) -> list[dict[str, list]]:
    """Run each (directory, script, OUT) in one Python process; the outputs each wrote."""
    (tmp_path / "runner.py").write_text(RUNNER)
    proc = subprocess.run([sys.executable, "runner.py", *(f"{d},{d / s},{tmp_path / o}" for d, s, o in runs)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [{m: json.loads((tmp_path / f"{o}.{m}").read_text()) for m in ("plain", "other")} for _, _, o in runs]


def _worst(keras_run: dict[str, list], tf_run: dict[str, list]) -> float:
    import numpy as np

    return max(float(np.max(np.abs(np.asarray(keras_run[m]) - np.asarray(tf_run[m])))) for m in ("plain", "other"))


@pytest.mark.tf
def test_executed_the_translated_model_matches_keras_and_the_kept_one_is_keras(tmp_path: Path) -> None:
    """The file translated alone (``norms`` a stub module in the test's directory, outside the
    run) runs beside the Keras original, with the same perturbed weights moved into each
    model: the translated model gives Keras's outputs within atol 1e-5 (float32; worst seen
    0.0: the same TensorFlow kernels), the kept model (Keras in both) the same outputs."""
    import numpy as np

    (tmp_path / "norms.py").write_text(STUB)
    script = script_head(3) + HEAD.replace("import numpy as np\nimport keras\nfrom keras import layers\n", "") \
        + PLAIN + OUTSIDE + COMPARE
    (tmp_path / "keras_run.py").write_text(script)
    translated, _ = translate(script, "tf_run.py")
    assert translated != script and OUTSIDE in translated
    (tmp_path / "tf_run.py").write_text(translated)
    keras_run, tf_run = _run(tmp_path, [(tmp_path, "keras_run.py", "keras.json"), (tmp_path, "tf_run.py", "tf.json")])
    assert np.asarray(keras_run["other"]).std() > 0.1  # the kept model computes something
    assert keras_run["other"] == tf_run["other"]
    worst = _worst(keras_run, tf_run)
    assert worst <= 1e-5, worst


@pytest.mark.tf
@pytest.mark.slow
def test_executed_a_directory_run_matches_keras(tmp_path: Path) -> None:
    """A directory run (``lib/blocks.py`` translated with the file whose graph calls it) runs
    beside the Keras original with the same perturbed weights: atol 1e-5 (worst seen 0.0)."""
    tree, out = tmp_path / "tree", tmp_path / "tree_tf"
    _tree(tree, "from-package")
    (tree / "app.py").write_text(script_head(4) + APP.format(imports="from lib import blocks", call="blocks.dense_block")
                                 .replace("import keras\nfrom keras import layers\n", "") + COMPARE)
    _to_tf(str(tree), "-o", str(out))
    assert BANNER in (out / "app.py").read_text() and BANNER in (out / "lib" / "blocks.py").read_text()
    keras_run, tf_run = _run(tmp_path, [(tree, "app.py", "keras.json"), (out, "app.py", "tf.json")])
    worst = _worst(keras_run, tf_run)
    assert worst <= 1e-5, worst
