"""Star imports of Keras modules in the program form (issue #13): a computer-vision book's
FCN-8s module writes `from tensorflow.keras.layers import *` and `from
tensorflow.keras.applications.vgg16 import *`, then builds `VGG16(..., input_tensor=inputs)` in a
function and a decoder on `vgg16.get_layer(...).output`.

The program form did not see names a star import binds (its cheap filter listed imported
names only), so `Input` there was not Keras's and the model stayed Keras; read naively, a star
import of `keras.layers` would also bind `print` and `range`, and the first star import would
take `VGG16` from `keras.layers`. Now: builtins are never the star-imported module's; the last
star import that binds a name wins; an applications module binds its exports only; and the star
import goes from the output when nothing the output reads is left for it to bind.

Our own program, written after reading that module; executed against Keras with the same
perturbed weights (tolerance 1e-5; the worst difference is printed).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from program_text import script_head

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.translate import translate_program

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PROGRAM = 'OUT = "report.json"\n' + script_head(4) + textwrap.dedent("""\
    from tensorflow.keras.models import Model
    from tensorflow.keras.layers import *
    from tensorflow.keras.applications.vgg16 import *


    def fcn(image_size, ch_in=3, ch_out=2):
        inputs = Input(shape=(*image_size, ch_in), name="input")
        vgg16 = VGG16(include_top=False, weights=None, input_tensor=inputs)
        f4 = vgg16.get_layer("block4_pool").output
        f5 = vgg16.get_layer("block5_pool").output
        f5 = Conv2D(ch_out, 1, padding="same")(f5)
        up = Conv2DTranspose(ch_out, 4, strides=2, padding="same", use_bias=False)(f5)
        merged = add([Conv2D(ch_out, 1)(f4), up])
        outputs = UpSampling2D(16)(merged)
        return Model(inputs, Activation("softmax")(outputs))


    model = fcn((32, 32))
    moved(model)
    print(len(range(3)))
    x = rng.uniform(0, 1, size=(2, 32, 32, 3)).astype("float32")
    report = {"out": np.asarray(model(x)).tolist(), "layers": [layer.name for layer in model.layers][:4],
              "weights": len(model.get_weights())}
    json.dump(report, open(OUT, "w"))
    """)


def test_star_imported_names_are_translated_and_the_imports_go() -> None:
    result = translate_program(PROGRAM, ast.parse(PROGRAM))
    assert result.text is not None, result.blockers
    assert "import *" not in result.text
    assert "keras" not in result.text.split("# --- TensorFlow layers")[0]


def test_a_star_import_stays_where_the_program_reads_names_dynamically() -> None:
    """A program that reads its namespace dynamically (`eval`, `globals()`) may read a name
    only the star import binds: the import stays (before the runtime's block, whose classes
    then bind the translated layers' names), as other unused-looking Keras imports do."""
    text = PROGRAM.replace("print(len(range(3)))\n", 'print(eval("len")(range(3)))\n')
    result = translate_program(text, ast.parse(text))
    assert result.text is not None, result.blockers
    assert "from tensorflow.keras.layers import *" in result.text
    assert result.text.index("import *") < result.text.index("# --- TensorFlow layers")


def test_a_name_only_the_star_import_may_bind_keeps_the_import() -> None:
    """A name nothing else binds may come from the star import: it is left to it (a Keras
    name looked at, not model code), so the star imports stay, before the runtime's block."""
    text = PROGRAM.replace("print(len(range(3)))\n", "print(len(range(3)), some_helper)\n")
    result = translate_program(text, ast.parse(text))
    assert result.text is not None, result.blockers
    assert "from tensorflow.keras.layers import *" in result.text
    assert result.text.index("import *") < result.text.index("# --- TensorFlow layers")
    assert "_xlate_keras_app_vgg16.VGG16(include_top=False" in result.text  # (the translated builder)


def test_star_imports_in_a_notebook() -> None:
    """The same program as notebook cells (how the book ships it). The cells are joined with
    a sentinel statement `__xlate_cell__(N)` between them; a star import of `keras.layers`
    read that name as `keras.layers.__xlate_cell__` ("has no TensorFlow translation") and kept
    the whole notebook Keras. A star import binds no `_` name of a module without `__all__`."""
    from kerastf_xlate.runner import transform_bytes

    head, body = PROGRAM.split("from tensorflow.keras.models import Model\n", 1)
    imports, rest = body.split("\n\n\n", 1)
    cells = [head, "from tensorflow.keras.models import Model\n" + imports, *rest.split("\n\n\n")]
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                           "source": cell.strip("\n").splitlines(keepends=True)} for cell in cells],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    result = transform_bytes("fcn.ipynb", json.dumps(notebook).encode(), translate)
    assert result.error is None, result.error
    assert not [d for d in result.diagnostics if "__xlate_cell__" in d.message]
    assert result.changed
    out = "".join("".join(c["source"]) for c in json.loads(result.output)["cells"])
    assert "_xlate_keras_app_vgg16.VGG16(include_top=False" in out and "import *" not in out


@pytest.mark.tf
def test_executed_star_imports(tmp_path: Path) -> None:
    import numpy as np

    translated, diags = translate(PROGRAM, "m.py")
    assert "import *" not in translated, diags
    reports = []
    for name, text in (("keras_run", PROGRAM), ("tf_run", translated)):
        (tmp_path / f"{name}.py").write_text(text.replace('OUT = "report.json"', f'OUT = "{name}.json"', 1))
        proc = subprocess.run([sys.executable, f"{name}.py"], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        reports.append(json.loads((tmp_path / f"{name}.json").read_text()))
    keras_report, tf_report = reports
    assert tf_report["layers"] == keras_report["layers"] and tf_report["weights"] == keras_report["weights"]
    worst = float(np.max(np.abs(np.asarray(keras_report["out"]) - np.asarray(tf_report["out"]))))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
