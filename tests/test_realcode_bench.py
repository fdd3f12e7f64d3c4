"""bench/realcode.py, the real-code benchmark, on a tiny corpus written here (no /work/corpus):
layer calls are counted as the resolver sees them, a crash in one file is a record and not the
end of the run, and an unparsable or unstable output is detected."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from bench_module import load_bench

ROOT = Path(__file__).resolve().parent.parent
rc = load_bench("realcode")

TRANSLATABLE = textwrap.dedent("""\
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input(shape=(8,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(4),
    ])
""")

# a FlaxLayer has no TensorFlow counterpart: counted among all layer calls, not among those with one
WITH_LSTM = textwrap.dedent("""\
    import tensorflow as tf
    from tensorflow.keras import layers as L

    def block(x):
        Dense = len  # a local name shadowing nothing Keras: not a layer call
        return L.FlaxLayer(0.2)(x), Dense([1])

    inputs = tf.keras.Input(shape=(5, 3))
    out, _ = block(inputs)
    out = L.Dense(1)(out)
    model = tf.keras.Model(inputs, out)
""")

PLAIN_TF = textwrap.dedent("""\
    import tensorflow as tf

    class MLP(tf.Module):
        def __init__(self):
            self.w = tf.Variable(tf.random.normal([4, 3]))
            self.b = tf.Variable(tf.zeros([3]))

        def __call__(self, x):
            return tf.nn.relu(tf.matmul(x, self.w) + self.b)
""")

NO_KERAS = "x = 1\nprint(x)\n"


def _notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                  "source": c.splitlines(keepends=True)} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "me+models" / "sub").mkdir(parents=True)
    (root / "me+models" / "seq.py").write_text(TRANSLATABLE)
    (root / "me+models" / "sub" / "lstm.py").write_text(WITH_LSTM)
    (root / "me+models" / "broken.py").write_text("def f(:\n    pass\n")
    (root / "me+models" / "nb.ipynb").write_text(_notebook("import keras\nfrom keras import layers\n", "%matplotlib inline\n",
                                                            "m = keras.Sequential([layers.Dense(2)])\n"))
    (root / "you+tf").mkdir()
    (root / "you+tf" / "mlp.py").write_text(PLAIN_TF)
    (root / "you+tf" / "plain.py").write_text(NO_KERAS)
    return root


def _record(corpus: Path, repo: str, rel: str, outdir: str | None = None) -> object:
    return rc.process_file((str(corpus), repo, rel, outdir))


def test_layer_calls_are_counted_as_the_resolver_sees_them() -> None:
    rules = rc._rules()
    calls = rc.layer_calls(rc.parse_or_none(WITH_LSTM), rules)
    assert dict(calls.all) == {"FlaxLayer": 1, "Dense": 1, "InputLayer": 1, "Model": 1}
    assert dict(calls.counterpart) == {"Dense": 1, "InputLayer": 1, "Model": 1}
    calls = rc.layer_calls(rc.parse_or_none(TRANSLATABLE), rules)
    assert (calls.n_all, calls.n_counterpart) == (4, 4)
    assert rc.layer_calls(rc.parse_or_none(NO_KERAS), rules).n_all == 0


def test_plain_tensorflow_use_is_counted() -> None:
    use = rc.tf_use(rc.parse_or_none(PLAIN_TF))
    assert (use.variables, use.modules) == (2, 1)
    assert dict(use.ops) == {"tf.nn.relu": 1, "tf.linalg.matmul": 1}
    assert not rc.tf_use(rc.parse_or_none(NO_KERAS)).plain_tf


def test_a_translated_file_loses_its_layer_calls(corpus: Path) -> None:
    r = _record(corpus, "me+models", "seq.py")
    assert (r.all_before, r.cp_before) == (4, 4)
    assert r.totf_changed and r.all_after == 0 and r.keras_imports_after == 0
    assert not (r.totf_crash or r.totf_unparsable or r.totf_unstable)
    assert r.lint_crash is None and r.lines == TRANSLATABLE.count("\n") + 1


def test_a_notebook_is_counted_over_its_cells(corpus: Path) -> None:
    r = _record(corpus, "me+models", "nb.ipynb")
    assert r.parses and r.all_before == 2  # Sequential and Dense, across cells, magic masked
    assert r.totf_crash is None and not r.totf_unparsable


def test_an_input_that_does_not_parse_is_a_record(corpus: Path) -> None:
    r = _record(corpus, "me+models", "broken.py")
    assert not r.parses and r.all_before == 0 and r.totf_errors and r.totf_crash is None
    assert r.lint_error is not None


def test_to_keras_runs_on_plain_tensorflow_only(corpus: Path) -> None:
    r = _record(corpus, "you+tf", "mlp.py")
    assert r.plain_tf and (r.tfvars_before, r.tfops_before, r.tfmodules) == (2, 2, 1)
    assert r.tok_crash is None and not r.tok_unparsable and not r.tok_unstable
    assert r.tok_changed and (r.tfvars_after, r.tfops_after) == (0, 0)  # the MLP became Keras layers
    r = _record(corpus, "you+tf", "plain.py")
    assert not r.plain_tf and r.tok_seconds == 0.0 and not r.totf_changed


def _raises(text: str, path: str) -> tuple[str, list[object]]:
    raise KeyError("boom")


def _garbles(text: str, path: str) -> tuple[str, list[object]]:
    return text + "def (:\n", []


def _grows(text: str, path: str) -> tuple[str, list[object]]:
    return text + "# again\n", []


@pytest.mark.parametrize("path", ["m.py", "m.ipynb"])
def test_crash_unparsable_and_unstable_outputs_are_detected(path: str) -> None:
    data = (_notebook("import keras\n", "x = 1\n") if path.endswith(".ipynb") else "import keras\nx = 1\n").encode()
    out = rc.run_translator(path, data, _raises)
    assert out.output is None and out.crash is not None and "KeyError" in out.crash
    out = rc.run_translator(path, data, _garbles)
    assert out.output is None and out.unparsable and out.crash is None
    out = rc.run_translator(path, data, _grows)
    assert out.output is None and out.unstable and not out.unparsable
    out = rc.run_translator(path, data, lambda t, p: (t, []))
    assert out.output == data and not (out.crash or out.unparsable or out.unstable)


def test_a_crash_in_one_file_does_not_stop_the_run(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kerastf_xlate.totf as totf

    def crashing_on_lstm(input_shape: object = None) -> object:
        def tr(text: str, path: str) -> tuple[str, list[object]]:
            if "FlaxLayer" in text:
                raise ZeroDivisionError("in the translator")
            return text, []
        return tr

    monkeypatch.setattr(totf, "make_transform", crashing_on_lstm)
    jobs = rc.list_files(str(corpus), None, None, 0)
    records = rc.run_all(str(corpus), jobs, 1, None)
    assert [(r.repo, r.path) for r in records] == jobs and len(jobs) == 6
    crashed = [r.path for r in records if r.totf_crash]
    assert crashed == [os.path.join("sub", "lstm.py")]
    _, total = rc.summarise(records)
    assert total["totf_crashes"] == 1 and total["files"] == 6 and total["inputs_not_parsing"] == 1
    assert "ZeroDivisionError" in rc.render(records, *rc.summarise(records), "## t")


def test_whole_run_writes_json_and_markdown(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    assert rc.main(["--corpus", str(corpus), "-j", "1", "--json", str(out), "--only", "me+models", "--no-ruff"]) == 0
    doc = json.loads(out.read_text())
    assert set(doc["by_repo"]) == {"me+models"} and doc["total"]["files"] == 4
    assert doc["total"]["layer_calls_before"] == 4 + 4 + 2
    assert doc["total"]["totf_unparsable"] == 0 and doc["total"]["totf_unstable"] == 0 and doc["total"]["totf_crashes"] == 0
    text = capsys.readouterr().out
    assert "| **total** | 4 |" in text and "### to-keras" in text


def test_sample_and_only_pick_files(corpus: Path) -> None:
    assert len(rc.list_files(str(corpus), ["you+tf"], None, 0)) == 2
    assert len(rc.list_files(str(corpus), None, 1, 0)) == 2
    assert rc.list_files(str(corpus), None, 1, 0) == rc.list_files(str(corpus), None, 1, 0)


def test_globs_of_corpus_toml() -> None:
    assert rc.glob_match("examples/vision/mnist.py", "examples/**/*.py")
    assert rc.glob_match("examples/mnist.py", "examples/**/*.py")
    assert not rc.glob_match("examples/vision/mnist.ipynb", "examples/**/*.py")
    assert rc.glob_match("a.ipynb", "*.ipynb") and not rc.glob_match("x/a.ipynb", "*.ipynb")
    entry = {"include": ["src/**/*.py"], "exclude": ["**/*_test.py"]}
    assert rc.selected("src/a/b.py", entry) and not rc.selected("src/a/b_test.py", entry)
    assert all(e["name"] and e["commit"] and e["include"] for e in rc.load_corpus_toml())


def test_ruff_comparison_finds_names_the_output_loses(tmp_path: Path) -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not os.path.exists(ruff):
        pytest.skip("ruff is not installed")
    corpus = tmp_path / "c"
    (corpus / "r").mkdir(parents=True)
    # a redefinition both have, at other lines, is not new
    (corpus / "r" / "f.py").write_text("import os\nprint(os.sep)\ndef g(): pass\ndef g(): pass\n")
    out = tmp_path / "o.py"
    out.write_text("import sys\n\nprint(os.sep)\ndef g(): pass\ndef g(): pass\n")
    kept = tmp_path / "k.py"
    kept.write_text("import os\nprint(os.sep)\ndef g(): pass\ndef g(): pass\nprint(x)\n")
    rec = rc.FileRecord("r", "f.py", totf_output=str(out), tok_output=str(kept))
    rc.compare_ruff([rec], str(corpus), ruff)
    assert rec.ruff_new == ["F401 `sys` imported but unused", "F821 Undefined name `os`"]
    assert rec.ruff_before == {"F811": 1} and rec.ruff_after == {"F401": 1, "F811": 1, "F821": 1}
    assert rec.tok_ruff_new == ["F821 Undefined name `x`"]
    _, total = rc.summarise([rec])
    assert (total["ruff_new_f821"], total["ruff_new_f821_files"], total["tok_ruff_new_f821"]) == (1, 1, 1)
