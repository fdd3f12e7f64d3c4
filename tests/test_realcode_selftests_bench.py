"""bench/realcode_selftests.py on a tiny zoo written here: a module whose ``_test_block()``
makes a block and calls it on ``tf.random.uniform(...)``. The directory run translates it; the
test runs the same on both and the paired block matches with moved weights. A hand-written
"translation" missing the block's activation is caught (the comparison can fail)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bench_module import load_bench

selftests = load_bench("realcode_selftests")

TEST = textwrap.dedent("""\


    def _test_block():
        x = tf.random.uniform((4, 8))
        m = Block(3)
        o = m(x)
        assert o.shape == (4, 3)
    """)

ORIGINAL = textwrap.dedent("""\
    import keras
    import tensorflow as tf


    class Block(keras.Model):
        def __init__(self, units):
            super().__init__()
            self.dense = keras.layers.Dense(units)

        def call(self, x):
            return tf.nn.tanh(self.dense(x))
    """) + TEST

# a wrong translation: the activation is lost (tanh, which is the identity nowhere but at 0: a
# lost relu went unseen when the moved weights made every output positive)
WRONG = textwrap.dedent("""\
    import tensorflow as tf


    class Block(tf.Module):
        def __init__(self, units):
            super().__init__()
            self.units, self.w = units, None

        def __call__(self, x, training=False):
            if self.w is None:
                self.w = tf.Variable(tf.zeros((x.shape[-1], self.units)))
                self.b = tf.Variable(tf.zeros((self.units,)))
            return x @ self.w + self.b

        def get_weights(self):
            return [self.w.numpy(), self.b.numpy()]

        def set_weights(self, weights):
            self.w.assign(weights[0])
            self.b.assign(weights[1])
    """) + TEST


def test_the_found_tests_and_models() -> None:
    import ast

    tree = ast.parse(ORIGINAL)
    assert selftests.test_functions(tree) == ["_test_block"]
    assert selftests.paired_models(tree) == [("_test_block", "Block(3)", [2, 8])]
    assert selftests.outcome(["ok", ""], ["ValueError", "..."]) == "broken"
    assert selftests.outcome(["ValueError", "..."], ["ok", ""]) == "runs where Keras fails"


def test_a_zoo_translated_as_a_directory_runs_its_own_tests(tmp_path: Path) -> None:
    repo = tmp_path / "corpus" / "someone+zoo"
    repo.mkdir(parents=True)
    (repo / "blocks.py").write_text(ORIGINAL)
    rec = selftests.measure(str(repo), 300)
    assert rec["rc"] == 0
    [entry] = rec["files"]
    assert entry["tests"]["_test_block"]["outcome"] == "same", entry
    [(status, worst, _scale)] = entry["models"].values()
    assert status == "pass" and worst <= 1e-6, entry


def test_a_wrong_translation_fails_the_comparison(tmp_path: Path) -> None:
    original, wrong, store = tmp_path / "original", tmp_path / "wrong", tmp_path / "store"
    for folder, text in ((original, ORIGINAL), (wrong, WRONG)):
        folder.mkdir()
        (folder / "blocks.py").write_text(text)
    store.mkdir()
    models = selftests.paired_models(__import__("ast").parse(ORIGINAL))
    o = selftests._side(str(original), "blocks", ["_test_block"], models, "original", str(store), 300)
    t = selftests._side(str(wrong), "blocks", ["_test_block"], models, "translation", str(store), 300)
    assert o["tests"]["_test_block"][0] == "ok" and t["tests"]["_test_block"][0] == "ok"
    [(status, worst, _scale)] = t["models"].values()
    assert status == "FAIL" and worst > 1e-3, t
