"""An import among a model's graph statements (issue #13): a course notebook's cell imports its
optimizer between the backbone's `get_layer(...).output` and the head's layer calls, then
compiles with it after the model statement. The import binds a module's object, never a graph
tensor, so the name is bound after the model from the traced run as itself (it kept the model
Keras: "`RMSprop`, made while building the model, is used after it").

Our own program, written after reading that pattern; executed against Keras with the same
perturbed weights (tolerance 1e-5; the worst difference is printed).
"""

from __future__ import annotations

import ast
import os
import textwrap
from pathlib import Path

import pytest
from program_text import run_both, script_head

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.translate import translate_program

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PROGRAM = script_head(5) + textwrap.dedent("""\
    report = {}
    inputs = keras.Input((6,))
    h = layers.Dense(5, activation="relu", name="base_h")(inputs)
    base = keras.Model(inputs, layers.Dense(3)(h), name="base")
    last = base.get_layer("base_h").output
    from keras.optimizers import RMSprop
    import math
    x = layers.Dense(4, activation="tanh")(last)
    x = layers.Dense(1)(x)
    model = keras.Model(base.input, x)
    moved(model)
    model.compile(optimizer=RMSprop(learning_rate=0.01), loss="mse")
    data = rng.normal(size=(16, 6)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    history = model.fit(data, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    report["loss"] = history.history["loss"]
    report["out"] = arrays(model(data))
    report["tau"] = math.tau
    json.dump(report, open(OUT, "w"))
    """)


def test_an_import_among_the_graph_statements_is_translated() -> None:
    result = translate_program(PROGRAM, ast.parse(PROGRAM))
    assert result.text is not None, result.blockers
    assert "layers.Dense(4" not in result.text


def test_a_name_an_import_and_an_assignment_bind_stays_keras() -> None:
    """Bound by the import and by a graph statement: maybe a graph tensor, not followed."""
    text = PROGRAM.replace("import math\n", "import math\nmath = layers.Dense(2)(last)\n")
    text = text.replace("x = layers.Dense(4, activation=\"tanh\")(last)", "x = layers.Dense(4, activation=\"tanh\")(math)")
    result = translate_program(text, ast.parse(text))
    assert result.text is None
    assert any("`math`, made while building the model" in b.message for b in result.blockers), result.blockers


@pytest.mark.tf
def test_executed_an_import_among_the_graph_statements(tmp_path: Path) -> None:
    import numpy as np

    translated, diags = translate(PROGRAM, "m.py")
    assert "layers.Dense(4" not in translated, diags
    keras_report, tf_report = run_both(tmp_path, PROGRAM, translated)
    assert tf_report["tau"] == keras_report["tau"]
    worst = max(float(np.max(np.abs(np.asarray(keras_report[k]) - np.asarray(tf_report[k])))) for k in ("loss", "out"))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
