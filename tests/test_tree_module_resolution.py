"""A directory run finds the module a file imports as Python does: from the file's own folder
first (docs/design.md, "Several files: one program").

Written after a course repository with a ``test_utils.py`` in every assignment's folder and
model zoos with a ``utils.py`` per family: two folders each hold a ``helpers.py`` whose
``block`` builds layers, and a ``train.py`` that builds its model with ``from helpers import
block``. Python runs each ``train.py`` with its own folder first on ``sys.path``. The tree pass
used to take the first ``helpers`` of the run for both, so the second ``train.py`` was grouped
with the first folder's helpers: it came out translated while its own helpers, which keep a
layer with no TensorFlow counterpart, stayed Keras, and the translated graph then ran Keras
layers (a failure at run time, with no diagnostic).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from click.testing import CliRunner

from kerastf_xlate.cli import main
from kerastf_xlate.runner import TransformResult
from kerastf_xlate.totf.program.bundle import BANNER, END
from kerastf_xlate.tree import _Modules

TRAIN = textwrap.dedent("""\
    import keras
    from helpers import block

    inputs = keras.Input(shape=(8,))
    outputs = keras.layers.Dense(2)(block(inputs, 4))
    model = keras.Model(inputs, outputs)
    """)

TRANSLATABLE = textwrap.dedent("""\
    import keras


    def block(x, units):
        return keras.layers.Dense(units, activation="relu")(x)
    """)

# a layer with no TensorFlow counterpart: this helper module stays Keras
KERAS_ONLY = textwrap.dedent("""\
    import keras


    def block(x, units):
        x = keras.layers.Dense(units)(x)
        return keras.layers.TFSMLayer("exported", call_endpoint="serve")(x)
    """)


def _tree(root: Path) -> None:
    for folder, helpers in (("a", TRANSLATABLE), ("b", KERAS_ONLY)):
        (root / folder).mkdir()
        (root / folder / "helpers.py").write_text(helpers)
        (root / folder / "train.py").write_text(TRAIN)


def test_each_file_is_grouped_with_the_helpers_of_its_own_folder(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    _tree(src)
    result = CliRunner().invoke(main, ["to-tf", str(src), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    # the first folder's model and helpers are translated together
    for name in ("train.py", "helpers.py"):
        text = (out / "a" / name).read_text()
        user = text.split(BANNER)[0] + text.split(END)[1]  # the file's own code, the layers written out aside
        assert not re.search(r"^\s*(import|from) keras\b|\bkeras\.", user, re.M), user
    # the second folder's model stays with its Keras helpers, byte for byte, and says why
    for name in ("train.py", "helpers.py"):
        assert (out / "b" / name).read_bytes() == (src / "b" / name).read_bytes()
    assert f"{src / 'b' / 'train.py'}:1:2: XL301 kept as Keras with the files it shares model code with: " \
           f"{src / 'b' / 'helpers.py'} keeps Keras model code" in result.output


def _result(path: Path) -> TransformResult:
    data = path.read_bytes()
    return TransformResult(str(path), data, data, ())


def test_a_module_beside_the_importer_that_the_run_lacks_is_not_another_file_of_that_name(tmp_path: Path) -> None:
    _tree(tmp_path)
    run = [tmp_path / "a" / "helpers.py", tmp_path / "a" / "train.py", tmp_path / "b" / "train.py"]
    mods = _Modules([_result(p) for p in run], [str(tmp_path)])
    assert mods.find("helpers", str(run[1])) == 0
    # b/helpers.py exists but is not in the run: Python imports it, not a/helpers.py
    assert mods.find("helpers", str(run[2])) is None
    # found by the dotted name from the run's root, and (a folder put on sys.path) by the name alone
    assert mods.find("a.helpers", str(run[2])) == 0
    (tmp_path / "c").mkdir()
    assert mods.find("helpers", str(tmp_path / "c" / "x.py")) == 0


# a course's data module: no Keras at all; each chapter imports it (through another data module too)
DOWNLOAD = textwrap.dedent("""\
    import os


    def maybe_download(url, folder):
        return os.path.join(folder, url.rsplit("/", 1)[-1])
    """)

DATASET = textwrap.dedent("""\
    import download


    def load(folder):
        return download.maybe_download("https://example.org/data.zip", folder)
    """)

CHAPTER = textwrap.dedent("""\
    import keras
    import dataset

    path = dataset.load("data")
    inputs = keras.Input(shape=(8,))
    outputs = keras.layers.Dense(2)(keras.layers.Dense(4, activation="relu")(inputs))
    model = keras.Model(inputs, outputs)
    """)


def test_files_importing_only_modules_without_keras_model_code_are_not_grouped(tmp_path: Path) -> None:
    # Two chapters share a data module and nothing else. The second keeps its model Keras (a layer
    # with no counterpart); the first came out as it was too, "kept as Keras with the files it
    # shares model code with", though no model code is shared (a tutorial collection's notebooks:
    # 36 translated layer calls file by file, 10 in a directory run).
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "download.py").write_text(DOWNLOAD)
    (src / "dataset.py").write_text(DATASET)
    (src / "ch1.py").write_text(CHAPTER)
    (src / "ch2.py").write_text(CHAPTER.replace("keras.layers.Dense(2)(", 'keras.layers.TFSMLayer("x", call_endpoint="serve")('))
    result = CliRunner().invoke(main, ["to-tf", str(src), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert "shares model code" not in result.output, result.output
    assert BANNER in (out / "ch1.py").read_text()
    for name in ("ch2.py", "download.py", "dataset.py"):
        assert (out / name).read_bytes() == (src / name).read_bytes()
