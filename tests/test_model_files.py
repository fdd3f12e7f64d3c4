"""Model files a program writes and reads back (docs/design.md, "Model files a program writes
and reads back"): ``model.save`` / ``ModelCheckpoint`` / ``keras.models.save_model`` of a path
that ``keras.models.load_model`` reads later in the same file are translated together (XL311);
a model file never read back, or one the translation cannot follow, stays a Keras file, and
the message says why.

The execution tests run each ``tests/cases/model_files/*.py`` with Keras and its translation
without Keras (a ``keras`` package that raises ImportError on the path), each in a folder of
its own (the scripts write their model files where they run), and compare every number
printed: the training History, ``evaluate`` and ``predict`` of the loaded model, and the
History of further training of the loaded model (which starts from the optimizer state read
back, as in Keras). Weights are set from a NumPy generator (no zero biases, BatchNormalization
statistics away from 0 and 1). Tolerance: ``|tf - keras| <= 1e-4 * max(1, |keras|)``; the
worst difference is printed.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from nested_compare import worst_relative
from program_text import tf_, user_code

CASES = Path(__file__).parent / "cases" / "model_files"
TOL = 1e-4

HEAD = """\
import os
import keras
from keras import layers

inputs = keras.Input(shape=(4,))
outputs = layers.Dense(2)(inputs)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
"""


def _codes(diags: list[str]) -> list[str]:
    return [d.split(" ", 1)[0] for d in diags]


# --- what is translated, and what the messages say ------------------------------------------


def test_checkpoint_and_load_of_the_same_path_are_translated_together() -> None:
    out, diags = tf_(HEAD + textwrap.dedent("""\
        path = "best.keras"
        print(f"checkpoints go to {path}")
        model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint(path, save_best_only=True)])
        model = keras.models.load_model(path)
        print(model.evaluate(x, y))
        """))
    code = user_code(out)
    assert "callbacks=[ModelCheckpoint(path, save_best_only=True)]" in code
    assert "model = load_model(path)" in code and "import keras" not in code and "keras." not in code.replace("best.keras", "")
    assert _codes(diags) == ["XL311", "XL311"]
    assert diags[0] == ("XL311 `ModelCheckpoint` writes a TensorFlow checkpoint at `best.keras` (not a Keras file) "
                        "for `load_model`")
    assert diags[1] == ("XL311 `load_model` gives a copy of the model saved at `best.keras`, with its weights and "
                        "optimizer state, compiled")
    ast.parse(out)
    again, _ = tf_(out)
    assert again == out, "a second run changes nothing"


def test_save_model_function_and_custom_objects_are_translated() -> None:
    out, diags = tf_(HEAD + textwrap.dedent("""\
        keras.models.save_model(model, "m.h5")
        copy = keras.models.load_model("m.h5", custom_objects={"Dense": layers.Dense}, compile=False)
        """))
    code = user_code(out)
    assert 'save_model(model, "m.h5")' in code and 'copy = load_model("m.h5", custom_objects={"Dense": Dense}, compile=False)' in code
    assert _codes(diags) == ["XL311", "XL311"] and "with its weights, uncompiled" in diags[1]


@pytest.mark.parametrize("binding, path", [
    ('folder = "models"\n', 'os.path.join(folder, "m.h5")'),
    ('folder = "models"\n', 'f"{folder}/m.keras"'),
    ('folder = "models/"\n', 'folder + "m.keras"'),
])
def test_a_path_put_together_from_names_bound_once_is_followed(binding: str, path: str) -> None:
    out, diags = tf_(HEAD + binding + f"model.save({path})\nm2 = keras.models.load_model({path})\n")
    assert _codes(diags) == ["XL311", "XL311"], diags
    assert f"m2 = load_model({path})" in user_code(out)
    assert "at `models/m." in diags[0], diags


@pytest.mark.parametrize("writer", [
    'for e in range(3):\n    model.save("gen_e_" + str(e + 1) + ".h5")\n',
    'for e in range(3):\n    name = "gen_e_%d.h5" % (e + 1)\n    model.save(name)\n',
    'for e in range(3):\n    model.save(f"gen_e_{e + 1}.h5")\n',
    'for e in range(3):\n    model.save("gen_e_{}.h5".format(e + 1))\n',
])
def test_a_path_made_at_run_time_is_read_back_where_a_literal_reader_fits_it(writer: str) -> None:
    out, diags = tf_(HEAD + writer + 'm2 = keras.models.load_model("gen_e_2.h5")\n')
    assert _codes(diags) == ["XL311", "XL311"], diags
    assert "at a path made at run time, for the `load_model` of `gen_e_2.h5`" in diags[0]
    assert 'm2 = load_model("gen_e_2.h5")' in user_code(out)
    again, _ = tf_(out)
    assert again == out


@pytest.mark.parametrize("tail, why", [
    # the literal reader does not fit the writer's names: it reads a file from elsewhere
    ('model.save("gen_e_" + str(1) + ".h5")\nm2 = keras.models.load_model("pretrained.h5")\n',
     "it reads a Keras file written by no translated model"),
    # a reader whose path is not known may read one of the writer's files
    ('model.save("gen_e_" + str(1) + ".h5")\nm2 = keras.models.load_model(sys.argv[1])\n', "maybe read by"),
])
def test_a_path_made_at_run_time_keeps_what_it_cannot_follow(tail: str, why: str) -> None:
    out, diags = tf_(HEAD.replace("import os\n", "import os\nimport sys\n") + tail)
    assert any(why in d for d in diags), diags
    ast.parse(out)


@pytest.mark.parametrize("tail, note", [
    ('model.save_weights("training_1/cp.ckpt")\n', "`save_weights` at `training_1/cp.ckpt` raises ValueError in Keras 3"),
    ('folder = "ckpt"\nmodel.save_weights(os.path.join(folder, "w"))\n', "`save_weights` at `ckpt/w` raises ValueError"),
    ('model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("training_1/cp.ckpt", save_weights_only=True)])\n',
     "`ModelCheckpoint` raises ValueError in Keras 3 at a name not ending in .weights.h5"),
    ('model.save_weights("w.weights.h5")\n', None),
    ('model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("best.weights.h5", save_weights_only=True)])\n', None),
])
def test_a_weights_file_keras3_refuses_is_noted(tail: str, note: str | None) -> None:
    # tf.keras 2's TensorFlow-checkpoint names: Keras 3 raises ValueError there, and so does the
    # runtime's writer (tests/test_runtime_keras_errors.py compares the messages); the model is
    # translated all the same and XL311 says so at the line
    out, diags = tf_(HEAD + tail)
    assert "import keras" not in out, diags
    notes = [d for d in diags if "weights.h5" in d and "raises ValueError" in d]
    if note is None:
        assert not notes, diags
    else:
        assert len(notes) == 1 and notes[0].startswith("XL311 ") and note in notes[0], diags


def test_a_loaded_model_saves_and_is_loaded_again() -> None:
    out, diags = tf_(HEAD + 'model.save("a.keras")\nsecond = keras.models.load_model("a.keras")\n'
                            'second.save("b.keras")\nthird = keras.models.load_model("b.keras")\n')
    assert _codes(diags) == ["XL311"] * 4
    assert 'second = load_model("a.keras")\nsecond.save("b.keras")\nthird = load_model("b.keras")' in user_code(out)


@pytest.mark.parametrize("tail, code, why", [
    # with --keep-keras-files, a file never read back in the file stays a Keras file
    ('#keep\nmodel.save("final.keras")\n', "XL306", "`model.save('final.keras')` writes a Keras model file never loaded back"),
    ('#keep\nmodel.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("m.keras")])\n', "XL305",
     "without `save_weights_only` writes a Keras file never loaded back in this file"),
    ('#keep\nmodel.save(f"{os.getcwd()}/m.keras")\n', "XL306", "at a path not known statically"),
    # without it, what the translation cannot follow keeps the file Keras all the same
    ('model.save("final.keras")\nshutil.copy("final.keras", "/srv/models/")\n', "XL306", "also used by `shutil.copy`"),
    ('p = os.path.join(os.getcwd(), "m.keras")\nmodel.save(p)\nos.remove(p)\n', "XL306",
     "at a path not known statically, also used by `os.remove`"),
    ('model.save(f"{os.getcwd()}/m.h5")\nother = keras.models.load_model(sys.argv[1])\n', "XL306",
     "maybe read by `keras.models.load_model(sys.argv[1])`, which stays Keras"),
    ('model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("e{epoch:02d}.keras")])\n'
     'best = keras.models.load_model("e03.keras")\n', "XL305", "maybe read by `keras.models.load_model('e03.keras')`"),
    ('#keep\nmodel.save("exported_model")\n', "XL306", "never loaded back in this file"),
    ('model.save("final.keras", zipped=False)\n', "XL306", "saved with untranslated arguments"),
    ('model.save("m.h5", include_optimizer=False)\nm2 = keras.models.load_model("m.h5")\n', "XL306",
     "saved without its optimizer (`include_optimizer=False`)"),
    ('name = "m"\nname = name.upper()\nmodel.save(f"{name}.keras")\nm2 = keras.models.load_model(f"{name}.keras")\n',
     "XL306", "maybe read by `keras.models.load_model(f'{name}.keras')`, which stays Keras"),
    ('folder = "."\nmodel.save(os.path.join(folder, "m.h5"))\nm2 = keras.models.load_model(os.path.join(folder, "m.h5"))\n'
     'print(os.path.exists(os.path.join(folder, "m.h5")))\n', "XL306", "also used by `os.path.exists`"),
    ('if os.path.exists("m.keras"):\n    model = keras.models.load_model("m.keras")\nmodel.save("m.keras")\n', "XL306",
     "maybe loaded before it is written"),
    ('model.save("m.keras")\nprint(os.path.getsize("m.keras"))\nm2 = keras.models.load_model("m.keras")\n', "XL306",
     "also used by `os.path.getsize`"),
    ('model.save("exported")\nm2 = keras.models.load_model("exported")\n', "XL306", "not named *.keras or *.h5 or *.hdf5"),
    ('model.save("m.keras", zipped=False)\nm2 = keras.models.load_model("m.keras")\n', "XL306",
     "saved with untranslated arguments"),
    ('model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("e{epoch}.keras")])\nm2 = keras.models.load_model("e{epoch}.keras")\n',
     "XL305", "named per epoch"),
    # the loaded model is used with a Keras API the TensorFlow model lacks: the reader is kept, so is the writer
    ('model.save("m.keras")\nm2 = keras.models.load_model("m.keras")\nprint(m2.inputs)\n', "XL306",
     "also used by kept Keras code"),
])
def test_a_model_file_that_stays_keras_says_why(tail: str, code: str, why: str) -> None:
    out, diags = _tf(HEAD.replace("import os\n", "import os\nimport shutil\nimport sys\n") + tail,
                     keep_keras_files=tail.startswith("#keep"))
    assert "XL311" not in _codes(diags), diags
    [message] = [d for d in diags if d.startswith(code) and "writes a Keras" in d]
    assert why in message, message
    assert message.startswith(f"{code} model kept as Keras: ")
    ast.parse(out)
    again, _ = _tf(out, keep_keras_files=tail.startswith("#keep"))
    assert again == out


def _tf(src: str, keep_keras_files: bool = False) -> tuple[str, list[str]]:
    from kerastf_xlate.totf import translate

    out, diags = translate(textwrap.dedent(src), "t.py", keep_keras_files=keep_keras_files)
    return out, [f"{d.code} {d.message}" for d in diags]


@pytest.mark.parametrize("tail, translated, note", [
    ('model.save("final.keras")\n', 'model.save("final.keras")',
     "`model.save` writes a TensorFlow checkpoint at `final.keras`, not a Keras file; `load_weights` reads it"),
    ('model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("best.h5", save_best_only=True)])\n',
     'callbacks=[ModelCheckpoint("best.h5", save_best_only=True)]', "`ModelCheckpoint` writes a TensorFlow checkpoint at `best.h5`"),
    ('model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("run/e{epoch:02d}.keras")])\n',
     'ModelCheckpoint("run/e{epoch:02d}.keras")', "at `run/e{epoch:02d}.keras`, not a Keras file"),
    ('name = sys.argv[1]\nkeras.models.save_model(model, name + ".keras")\nprint(f"saved to {name}")\n',
     'save_model(model, name + ".keras")', "`save_model` writes a TensorFlow checkpoint, not a Keras file; `load_weights`"),
    # tf.keras 2's arguments Keras 3 still takes for a model file's name
    ('model.save("detector.h5", save_format="h5", include_optimizer=False)\n',
     'model.save("detector.h5", save_format="h5", include_optimizer=False)', "at `detector.h5`, not a Keras file"),
    # tf.keras 2's SavedModel directory: Keras 3 raises ValueError there, and so does the runtime
    ('model.save("exported_model")\n', 'model.save("exported_model")',
     "raises ValueError in Keras 3 (a path not named *.keras or *.h5 or *.hdf5), and so does the translation"),
    ('model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("ckpt/best", save_best_only=True)])\n',
     'ModelCheckpoint("ckpt/best", save_best_only=True)', "raises ValueError in Keras 3 (a path not named *.keras or *.h5)"),
    # a Keras file read from elsewhere does not stop it: another path
    ('model.save("mine.keras")\nteacher = keras.models.load_model("teacher.keras")\n', 'model.save("mine.keras")',
     "`model.save` writes a TensorFlow checkpoint at `mine.keras`"),
])
def test_a_model_file_never_read_back_is_written_as_a_checkpoint(tail: str, translated: str, note: str) -> None:
    """The default of to-tf: a Keras file cannot be written without Keras, so the model is
    translated and its file is a TensorFlow checkpoint, which XL311 says (a warning)."""
    from kerastf_xlate.totf import translate

    out, diags = _tf(HEAD.replace("import os\n", "import os\nimport sys\n") + tail)
    code = user_code(out)
    assert translated in code, code
    assert not [d for d in diags if d.startswith(("XL305", "XL306", "XL301", "XL303"))], diags
    [message] = [d for d in diags if d.startswith("XL311")]
    assert note in message, message
    if "load_model" not in tail:
        assert "keras" not in code.replace(".keras", "")
    again, _ = _tf(out)
    assert again == out
    [warning] = [d for d in translate(textwrap.dedent(HEAD + tail), "t.py")[1] if d.code == "XL311"]
    assert warning.severity.value == "warning"


def test_the_cli_option_keeps_keras_files(tmp_path: Path) -> None:
    from xlate_cli import run_xlate

    (tmp_path / "train.py").write_text(HEAD + 'model.save("final.keras")\n')
    default = run_xlate("to-tf", "train.py", cwd=tmp_path)
    assert default.returncode == 0 and "import keras" not in default.stdout and 'model.save("final.keras")' in default.stdout
    assert "XL311" in default.stderr
    report = run_xlate("to-tf", "--format", "json", "-o", "out.py", "train.py", cwd=tmp_path)
    assert [(r["code"], r["severity"]) for r in json.loads(report.stdout)] == [("XL311", "warning")]
    kept = run_xlate("to-tf", "--keep-keras-files", "train.py", cwd=tmp_path)
    assert kept.returncode == 0 and kept.stdout == HEAD + 'model.save("final.keras")\n'
    assert "XL306" in kept.stderr and "never loaded back" in kept.stderr and "XL311" not in kept.stderr


def test_a_load_model_that_reads_a_file_no_translated_model_writes_stays_keras() -> None:
    out, diags = tf_(HEAD + textwrap.dedent("""\
        from keras.models import load_model
        model.save("m.keras")
        mine = load_model("m.keras")
        theirs = load_model("pretrained.keras")
        """))
    code = user_code(out)
    # the Keras name stays for the file it does not write; the runtime's function is renamed
    assert 'mine = tf_load_model("m.keras")' in code and 'theirs = load_model("pretrained.keras")' in code
    assert "from keras.models import load_model" in code
    [kept] = [d for d in diags if d.startswith("XL309")]
    assert kept == "XL309 `keras.models.load_model` stays Keras: it reads a Keras file written by no translated model"
    again, _ = tf_(out)
    assert again == out


def test_lint_says_what_to_tf_says() -> None:
    from kerastf_xlate.lint_totf import totf_diagnostics

    text = HEAD + 'model.save("m.keras")\nm2 = keras.models.load_model("m.keras")\n'
    assert [(d.line, d.code) for d in totf_diagnostics(text, "t.py")] == [(9, "XL311"), (10, "XL311")]
    # the same model also writes a file for other programs: a TensorFlow checkpoint too
    diags = totf_diagnostics(text + 'model.save("final.h5")\n', "t.py")
    assert [(d.line, d.code) for d in diags] == [(9, "XL311"), (10, "XL311"), (11, "XL311")]
    # a file that kept Keras code copies: it stays Keras, and so does the round trip of its model
    diags = totf_diagnostics(text + 'model.save("final.h5")\nshutil.copy("final.h5", "/srv")\n', "t.py")
    assert [(d.line, d.code) for d in diags] == [(9, "XL306"), (11, "XL306")]
    assert diags[1].message == "model kept as Keras: `model.save('final.h5')` writes a Keras model file also used by `shutil.copy`"


# --- execution: Keras against the translation without Keras ---------------------------------


def _start(path: Path, env_extra: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env_extra}
    return subprocess.Popen([sys.executable, path.name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=path.parent)


def _finish(proc: subprocess.Popen) -> Any:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.tf
@pytest.mark.parametrize("case", [
    "checkpoint_best",
    "save_h5_sequential",
    "save_joined_path",
    "save_per_epoch_name",
    pytest.param("save_custom_layer", marks=pytest.mark.slow),
])
def test_saved_and_loaded_model_matches_keras(case: str, tmp_path: Path) -> None:
    from kerastf_xlate.totf import translate

    script = CASES / f"{case}.py"
    source = script.read_text(encoding="utf-8")
    translated, diags = translate(source, str(script))
    assert not [d for d in diags if d.code.startswith(("XL30", "XL1", "XL2"))], diags
    assert [d.code for d in diags].count("XL311") >= 2
    assert "keras" not in {(n.module or "").split(".")[0] for n in ast.walk(ast.parse(translated))
                           if isinstance(n, ast.ImportFrom)} | {a.name.split(".")[0] for n in ast.walk(ast.parse(translated))
                                                               if isinstance(n, ast.Import) for a in n.names}
    again, _ = translate(translated, str(script))
    assert again == translated, "a second to-tf run must change nothing"

    fake = tmp_path / "fake"
    (fake / "keras").mkdir(parents=True)
    (fake / "keras" / "__init__.py").write_text("raise ImportError('keras must not be imported')\n")
    (tmp_path / "keras_run").mkdir()
    (tmp_path / "tf_run").mkdir()
    original_path = tmp_path / "keras_run" / script.name
    original_path.write_text(source, encoding="utf-8")
    converted_path = tmp_path / "tf_run" / script.name
    converted_path.write_text(translated, encoding="utf-8")
    runs = [_start(original_path, {}), _start(converted_path, {"PYTHONPATH": str(fake)})]
    original, converted = (_finish(p) for p in runs)
    worst = worst_relative(original, converted, TOL)
    print(f"\n{case}: worst relative difference {worst:.1e} (tolerance {TOL:g})")
    written = sorted(p.name for p in (tmp_path / "tf_run").iterdir() if p.name != script.name)
    assert written and all(".index" in n or ".data-" in n for n in written), written  # a checkpoint, no Keras file
    if "first_after" in converted:  # the loaded copy trained on: the model that saved is untouched
        assert converted["first_after"] == converted["trained"]


@pytest.mark.tf
def test_a_file_for_another_program_is_read_there_with_load_weights(tmp_path: Path) -> None:
    """one_way_writer.py checkpoints (best epoch, one file per epoch) and saves its model, and
    never reads the files back; one_way_reader.py, another process, builds the model again and
    reads each file with `load_weights` (the call XL311 names). With Keras the files are Keras
    archives; translated, TensorFlow checkpoints (no Keras file is written). Both programs'
    numbers must agree, within TOL."""
    from kerastf_xlate.totf import translate

    fake = tmp_path / "fake"
    (fake / "keras").mkdir(parents=True)
    (fake / "keras" / "__init__.py").write_text("raise ImportError('keras must not be imported')\n")
    sides: dict[str, list[Any]] = {"keras_run": [], "tf_run": []}
    for case in ("one_way_writer", "one_way_reader"):
        script = CASES / f"{case}.py"
        source = script.read_text(encoding="utf-8")
        translated, diags = translate(source, str(script))
        assert not [d for d in diags if d.code.startswith(("XL30", "XL1", "XL2"))], diags
        assert [d.code for d in diags].count("XL311") == (3 if case == "one_way_writer" else 0), diags
        assert "import keras" not in translated and "from keras" not in translated
        for side, text in (("keras_run", source), ("tf_run", translated)):
            (tmp_path / side).mkdir(exist_ok=True)
            (tmp_path / side / script.name).write_text(text, encoding="utf-8")
            env = {"PYTHONPATH": str(fake)} if side == "tf_run" else {}
            sides[side].append(_finish(_start(tmp_path / side / script.name, env)))
    worst = worst_relative(sides["keras_run"], sides["tf_run"], TOL)
    print(f"\nwritten, then read by another program: worst relative difference {worst:.1e} (tolerance {TOL:g})")
    written = sorted(p.name for p in (tmp_path / "tf_run").iterdir() if not p.name.endswith(".py"))
    assert "final_model.keras.index" in written and "epoch_04.keras.index" in written, written
    assert not [n for n in written if n.endswith(".keras")], "no file at the Keras path itself"
    # the files differ from epoch to epoch, so a reader that read the wrong one would differ
    reads = sides["tf_run"][1]
    assert reads["best_model.keras"] != reads["epoch_02.keras"] or reads["epoch_02.keras"] != reads["final_model.keras"]


# --- the runtime, in process -----------------------------------------------------------------


@pytest.mark.tf
def test_runtime_saves_without_the_optimizer_as_keras_h5_writer_does(runtime: Any, tmp_path: Path) -> None:
    """``include_optimizer=False`` drops the optimizer from a `.h5` file (Keras's legacy writer),
    not from a `.keras` one (Keras's archive writer ignores it); the weights are read back with
    ``load_weights`` into a model built the same way."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(8)
    model = runtime.Sequential([runtime.Input((3,)), runtime.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32"), verbose=0)
    model.save(str(tmp_path / "m.h5"), include_optimizer=False)
    model.save(str(tmp_path / "m.keras"), include_optimizer=False)
    names = {name for name, _ in tf.train.list_variables(str(tmp_path / "m.h5"))}
    assert not [n for n in names if n.startswith("optimizer")], names
    assert [n for n, _ in tf.train.list_variables(str(tmp_path / "m.keras")) if n.startswith("optimizer")]
    other = runtime.Sequential([runtime.Input((3,)), runtime.Dense(2)])
    other.load_weights(str(tmp_path / "m.h5"))
    assert all((a == b).all() for a, b in zip(other.get_weights(), model.get_weights()))
    with pytest.raises(ValueError, match="no translated model of this program saved this file"):
        runtime.load_model(str(tmp_path / "m.h5"))


@pytest.fixture(scope="module")
def runtime() -> Any:
    import types

    from kerastf_xlate.totf.program.bundle import load_runtime

    rt = load_runtime()
    source = "import tensorflow as tf\n" + rt.source(set(rt.public) | {"_TRAINING", "_MODEL_FILES"})
    namespace: dict[str, Any] = {"__name__": "xlate_model_files_runtime"}
    exec(compile(source, "<xlate runtime bundle>", "exec"), namespace)
    return types.SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


@pytest.mark.tf
def test_runtime_round_trip_copies_and_restores(runtime: Any, tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")

    class Net(runtime.Model):  # a subclassed model: no constructor arguments to rebuild it from
        def __init__(self, width: int) -> None:
            super().__init__()
            self.hidden = runtime.Dense(width, activation="tanh")
            self.out = runtime.Dense(1)

        def call(self, inputs: Any) -> Any:
            return self.out(self.hidden(inputs))

    net = Net(5)
    net.compile(optimizer=runtime.Adam(0.05), loss="mse", metrics=["mae"])
    path = str(tmp_path / "sub" / "net.keras")
    with pytest.raises(ValueError, match="no translated model of this program saved this file"):
        runtime.load_model(path)
    net(x[:1])  # builds its layers (Keras 3's `build` of a subclass creates nothing)
    net.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") + 0.1 for w in net.get_weights()])
    early = str(tmp_path / "early.h5")
    net.save(early)  # before training: the optimizer has no slots yet
    net.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    fresh = runtime.load_model(early)  # a copy of the trained model, with the file's state: none of the slots
    assert int(fresh.optimizer.iterations) == 0 and not any(fresh.optimizer._slots.values())
    net.save(path)
    saved = [w.numpy() for w in net.weights]
    saved_state = [v.numpy() for v in net.optimizer.variables]
    net.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)  # the original moves on
    copy = runtime.load_model(path)
    assert type(copy) is Net and sorted(os.listdir(tmp_path / "sub")) == ["net.keras.data-00000-of-00001", "net.keras.index"]
    assert not {id(v) for v in copy.weights} & {id(v) for v in net.weights}, "the copy shares no variable"
    worst = max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(saved, copy.weights))
    assert worst == 0.0
    assert [v.numpy().tolist() for v in copy.optimizer.variables] == [s.tolist() for s in saved_state]
    assert int(copy.optimizer.iterations) == 8 and int(net.optimizer.iterations) == 12
    slots = {id(k.deref()) for kind in copy.optimizer._slots.values() for k in kind}
    assert slots == {id(v) for v in copy.trainable_weights}, "the copy's optimizer updates the copy's variables"
    before = [w.numpy() for w in net.weights]
    copy.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert all((a == b.numpy()).all() for a, b in zip(before, net.weights)), "training the copy leaves the original"
    bare = runtime.load_model(path, compile=False)
    assert "optimizer" not in vars(bare) and not bare.__dict__.get("compiled")
    np.testing.assert_array_equal(bare.predict(x, verbose=0), runtime.load_model(path).predict(x, verbose=0))


@pytest.mark.tf
def test_runtime_refuses_what_keras_refuses_with_keras_words(runtime: Any, tmp_path: Path) -> None:
    # a translated `model.save("dir")` (tf.keras 2's SavedModel) is kept in the program: it must
    # raise as Keras 3 does, message included
    import keras

    def error(fn: Any) -> str:
        with pytest.raises(ValueError) as info:
            fn()
        return str(info.value)

    ours = runtime.Sequential([runtime.Input((2,)), runtime.Dense(1)])
    theirs = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    for path, kwargs in ((str(tmp_path / "exported"), {}), (str(tmp_path / "exported"), {"save_format": "tf"}),
                         (str(tmp_path / "model.txt"), {})):
        assert error(lambda m=ours, p=path, k=kwargs: m.save(p, **k)) == error(lambda m=theirs, p=path, k=kwargs: m.save(p, **k))
    path = str(tmp_path / "ckpt" / "best")
    assert error(lambda: runtime.ModelCheckpoint(path)) == error(lambda: keras.callbacks.ModelCheckpoint(path))
    assert not os.path.exists(tmp_path / "exported") and not os.path.exists(tmp_path / "ckpt")


@pytest.mark.tf
def test_runtime_refuses_what_keras_refuses(runtime: Any, tmp_path: Path) -> None:
    model = runtime.Sequential([runtime.Input((2,)), runtime.Dense(1)])
    with pytest.raises(ValueError, match="`save_format` argument is deprecated in Keras 3"):
        model.save(str(tmp_path / "exported"), save_format="tf")
    with pytest.raises(ValueError, match="Invalid filepath extension for saving"):
        model.save(str(tmp_path / "model.txt"))
    with pytest.raises(ValueError, match="must end in `.keras`"):
        runtime.ModelCheckpoint(str(tmp_path / "model.ckpt"))
