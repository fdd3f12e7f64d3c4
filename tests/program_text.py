"""Helpers of the program-form tests: translate a dedented source, read the user's code of a
translation without the block of TensorFlow layers, and run a Keras script beside its
translation."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER, END


def tf_(src: str) -> tuple[str, list[str]]:
    """The translation of ``src`` (dedented) and its diagnostics as ``"CODE message"``."""
    out, diags = translate(textwrap.dedent(src), "t.py")
    return out, [f"{d.code} {d.message}" for d in diags]


def user_code(out: str) -> str:
    """``out`` without the runtime block (the user's own code as it was rewritten)."""
    head, _, rest = out.partition(BANNER)
    return head + rest.partition(END)[2] if rest else out


def run_both(tmp_path: Path, script: str, translated: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a Keras script and its translation, each in its own Python process in ``tmp_path``
    with ``OUT`` naming the JSON file it writes; (the Keras run's report, the translation's)."""
    reports = []
    for name, text in (("keras_run", script), ("tf_run", translated)):
        (tmp_path / f"{name}.py").write_text(f"OUT = {name!r} + '.json'\n" + text)
        proc = subprocess.run([sys.executable, f"{name}.py"], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        reports.append(json.loads((tmp_path / f"{name}.json").read_text()))
    return reports[0], reports[1]


def script_head(seed: int) -> str:
    """The start of an executed comparison script: imports, ``moved(model)`` (new weights set in
    the model's own ``get_weights()`` order: kernels scaled by their fan-in, vectors such as
    biases and BatchNormalization's scales and statistics in [0.1, 0.5], from a generator seeded
    with ``seed``) and ``arrays(value)`` (nested tensors as JSON lists, dicts by sorted key)."""
    return textwrap.dedent(f"""\
        import json
        import numpy as np
        import keras
        from keras import layers

        rng = np.random.default_rng({seed})

        def moved(model):
            def value(w):
                if w.ndim > 1:
                    return rng.standard_normal(w.shape) / np.sqrt(np.prod(w.shape[:-1]))
                return rng.uniform(0.1, 0.5, w.shape)
            model.set_weights([value(w).astype("float32") for w in model.get_weights()])

        def arrays(value):
            if isinstance(value, dict):
                return {{k: arrays(v) for k, v in sorted(value.items())}}
            if isinstance(value, (list, tuple)):
                return [arrays(v) for v in value]
            return np.asarray(value).tolist()

        """)


def max_diff(a: Any, b: Any) -> float:
    """``max |a - b|`` of two nested lists of numbers (two runs' reports), in float64."""
    import numpy as np

    return float(np.max(np.abs(np.asarray(a, dtype="float64") - np.asarray(b, dtype="float64"))))


# The start of a script run under Keras 2 (tf-keras, in the test extra; testing/keras2.py): the
# `keras` package is tf_keras, Keras 2's modules that Keras 3 does not have are what they were.
# Put before script_head().
KERAS2_PRELUDE = "from kerastf_xlate.testing.keras2 import use_keras2\n\nuse_keras2()\n"


# The end of a script run under Keras 2 and translated (``run_keras2_both``): the Keras 2 run
# moves its model's weights and keeps them for the translation, which loads them; both write
# the model's inference output on ``DATA`` (defined by the caller's tail) and any ``report``.
KERAS2_MOVED_TAIL = """\
if hasattr(model, 'to_json'):
    moved(model)
    json.dump({'w': arrays(model.get_weights())}, open('../w.json', 'w'))
else:
    model.set_weights([np.asarray(w, 'float32') for w in json.load(open('../w.json'))['w']])
json.dump({'y': arrays(model(DATA, training=False)), 'keras': hasattr(model, 'to_json'), **report}, open(OUT, 'w'))
"""


def run_keras2_both(tmp_path: Path, program: str, translated: str, tail: str, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a Keras 2 program under tf-keras and its translation without Keras (each given
    ``tail`` and then :data:`KERAS2_MOVED_TAIL`); (Keras 2's report, the translation's)."""
    head = script_head(seed)
    (tmp_path / "run").mkdir()
    end = tail + KERAS2_MOVED_TAIL
    keras2, ours = run_both(tmp_path / "run", KERAS2_PRELUDE + head + program + end, head + translated + end)
    assert keras2["keras"] and not ours["keras"]
    return keras2, ours


def keras2_trained_worst(tmp_path: Path, program: str, translated: str, tail: str,
                         prelude: str = KERAS2_PRELUDE) -> float:
    """Run a Keras 2 program under tf-keras (after ``prelude``) and its translation without
    Keras, each followed by ``tail``, which trains from weights the Keras 2 run writes to
    ``../w.json`` and the translation reads, and writes ``{"w": weights after training, "keras":
    ..., "y": outputs (optional)}``; the worst absolute difference over the weights and outputs."""
    import numpy as np

    (tmp_path / "run").mkdir()
    keras2, ours = run_both(tmp_path / "run", prelude + program + tail, translated + tail)
    assert keras2["keras"] and not ours["keras"]
    pairs = list(zip(keras2["w"], ours["w"])) + ([(keras2["y"], ours["y"])] if "y" in keras2 else [])
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs)


def keras2_shared_start(value: str) -> str:
    """Script lines that set one start for a Keras 2 run and its translation (for
    :func:`keras2_trained_worst`): the Keras 2 run sets each weight array ``w`` to ``value``
    (an expression of ``w`` and the script's ``rng``) and writes them to ``../w.json``; the
    translation reads them back."""
    return textwrap.dedent(f"""\
        if hasattr(model, "to_json"):
            start = [np.asarray({value}, "float32") for w in model.get_weights()]
            json.dump([w.tolist() for w in start], open("../w.json", "w"))
        else:
            start = [np.asarray(w, "float32") for w in json.load(open("../w.json"))]
        model.set_weights(start)
        """)
