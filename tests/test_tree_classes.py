"""Class hierarchies over several files of a directory run (docs/design.md, "Class
hierarchies over several files").

``tests/cases/tree/hubstyle`` is a small model library written in keras-hub's style (read, not
copied): a base ``Backbone(keras.Model)`` and a base ``Task`` in their own modules, layers in
another package, two backbones in subpackages building a functional graph in ``__init__`` and
handing it to the base with ``super().__init__(inputs=..., outputs=..., dtype=dtype,
**kwargs)``, and a classifier task. ``xlate to-tf DIR -o OUT`` must translate every file (the
subclasses only with what the first phase learnt of their bases), a second run must change
nothing, and the translated library must compute what the Keras one does with the same
(perturbed) weights. When a base stays Keras, its subclasses in the other files stay Keras,
each saying which file kept them.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kerastf_xlate.cli import main
from kerastf_xlate.totf.program.bundle import BANNER

CASES = Path(__file__).parent / "cases" / "tree"
LIBRARY = CASES / "hubstyle"
KERAS_MODEL_CODE = re.compile(r"\b(keras|layers)\.(layers\.\w|Model\b|Sequential\b|Input\b)")


def _to_tf(src: Path, out: Path) -> str:
    result = CliRunner().invoke(main, ["to-tf", str(src), "-o", str(out), "-j", "1"])
    assert result.exit_code in (0, 1), result.output
    return result.output


def _sources(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.py"))}


def _copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(LIBRARY, src)
    return src


def test_library_translates_as_one_program(tmp_path: Path) -> None:
    src = _copy(tmp_path)
    report = _to_tf(src, tmp_path / "out")
    assert "XL301" not in report, report
    out = _sources(tmp_path / "out")
    for rel, text in out.items():
        if "keras" in _sources(src)[rel]:
            assert BANNER in text, f"{rel}: not translated\n{report}"
            user = text[text.index("# --- end of the layers written out"):]
            assert not KERAS_MODEL_CODE.search(user), f"{rel}: Keras model code left"
    bert = out["hubstyle/models/tiny_bert/tiny_bert_backbone.py"]
    assert "        def graph():\n" in bert and "super().__init__(\n            graph," in bert
    assert "cls_token_index = self.traced(\"cls_token_index\")" in bert
    # a second run over the translated tree changes nothing
    _to_tf(tmp_path / "out", tmp_path / "again")
    assert _sources(tmp_path / "again") == out


def test_a_subclass_alone_stays_keras(tmp_path: Path) -> None:
    """Without its base's file in the run, a subclass cannot know what its base becomes."""
    src = _copy(tmp_path) / "hubstyle" / "models" / "tiny_resnet" / "tiny_resnet_backbone.py"
    report = _to_tf(src, tmp_path / "out.py")
    assert (tmp_path / "out.py").read_text() == src.read_text()
    assert "whose base `Backbone` is defined in another file: kept as Keras" in report


def test_base_kept_keras_keeps_its_subclasses(tmp_path: Path) -> None:
    src = _copy(tmp_path)
    backbone = src / "hubstyle" / "models" / "backbone.py"
    backbone.write_text(backbone.read_text() + "\n    def quantize_all(self, mode):\n        self.quantize(mode)\n")
    report = _to_tf(src, tmp_path / "out")
    before, after = _sources(src), _sources(tmp_path / "out")
    kept = ["hubstyle/models/backbone.py", "hubstyle/models/tiny_bert/tiny_bert_backbone.py",
            "hubstyle/models/tiny_resnet/tiny_resnet_backbone.py", "hubstyle/layers/position_embedding.py",
            "hubstyle/layers/residual_block.py"]
    for rel in kept:
        assert after[rel] == before[rel], f"{rel} should stay Keras"
    assert "`self.quantize`" in report
    name = str(backbone)
    for rel in ("tiny_bert/tiny_bert_backbone.py", "tiny_resnet/tiny_resnet_backbone.py"):
        line = next(ln for ln in report.splitlines() if ln.startswith(str(src / "hubstyle" / "models" / rel)))
        assert f"whose base `Backbone` is defined in {name}, where it stays Keras" in line, line
    # the task and its base share no code with the backbones' files: translated
    assert BANNER in after["hubstyle/models/text_classifier.py"]


def test_subclass_kept_keras_keeps_its_base_and_siblings(tmp_path: Path) -> None:
    """A subclass the translator cannot follow keeps its base Keras, hence every other
    subclass of it and the layers they share: never a half-translated library."""
    src = _copy(tmp_path)
    resnet = src / "hubstyle" / "models" / "tiny_resnet" / "tiny_resnet_backbone.py"
    text = resnet.read_text()
    text = text.replace("        x = layers.Conv2D(8, 3,", "        pyramid_outputs = {}\n        x = layers.Conv2D(8, 3,")
    text = text.replace("            x = apply_stage(x, filters, stride, name=f\"stage{i}\", dtype=dtype)\n",
                        "            x = apply_stage(x, filters, stride, name=f\"stage{i}\", dtype=dtype)\n"
                        "            pyramid_outputs[f\"P{i + 2}\"] = x\n")
    text = text.replace("        self.image_shape = image_shape\n",
                        "        self.image_shape = image_shape\n        self.pyramid_outputs = pyramid_outputs\n")
    assert "self.pyramid_outputs" in text
    resnet.write_text(text)
    report = _to_tf(src, tmp_path / "out")
    before, after = _sources(src), _sources(tmp_path / "out")
    for rel in ("hubstyle/models/backbone.py", "hubstyle/models/tiny_bert/tiny_bert_backbone.py",
                "hubstyle/layers/position_embedding.py", "hubstyle/layers/residual_block.py"):
        assert after[rel] == before[rel], f"{rel} should stay Keras"
        line = next(ln for ln in report.splitlines() if ln.startswith(str(src / rel)))
        assert f"{resnet} keeps Keras model code" in line, line
    assert "`pyramid_outputs`, made while building the model, is used after it" in report


def _import_library(root: Path) -> dict[str, object]:
    """The library's modules imported from ``root`` (and forgotten by ``sys.modules``, so the
    other copy can be imported under the same names)."""
    import importlib

    sys.path.insert(0, str(root))
    try:
        mods = {name: importlib.import_module(f"hubstyle.{name}") for name in (
            "models.tiny_bert.tiny_bert_backbone", "models.tiny_resnet.tiny_resnet_backbone",
            "models.text_classifier")}
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "hubstyle" or m.startswith("hubstyle.")]:
            del sys.modules[name]
    return mods


@pytest.mark.tf
def test_translated_library_runs_like_keras(tmp_path: Path) -> None:
    """Tolerance atol = rtol = 1e-5 (float32), inference and training mode, perturbed weights."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf
    from runtime_ns import perturbed

    _to_tf(_copy(tmp_path), tmp_path / "out")
    keras.utils.set_random_seed(0)
    k = _import_library(LIBRARY)
    t = _import_library(tmp_path / "out")
    rng = np.random.default_rng(0)
    tokens = {"token_ids": rng.integers(0, 30, (2, 7)).astype("int32"),
              "segment_ids": rng.integers(0, 2, (2, 7)).astype("int32")}
    images = rng.standard_normal((2, 16, 16, 3)).astype("float32")

    def bert(mods: dict[str, object], layers: int = 2) -> object:
        return mods["models.tiny_bert.tiny_bert_backbone"].TinyBertBackbone(  # type: ignore[attr-defined]
            vocabulary_size=30, num_layers=layers, hidden_dim=8, intermediate_dim=12, dropout=0.0)

    def resnet(mods: dict[str, object]) -> object:
        return mods["models.tiny_resnet.tiny_resnet_backbone"].TinyResNetBackbone(  # type: ignore[attr-defined]
            stackwise_num_filters=[4, 6], stackwise_strides=[1, 2])

    def classifier(mods: dict[str, object]) -> object:
        return mods["models.text_classifier"].TextClassifier(bert(mods, 1), num_classes=3, dropout=0.0)  # type: ignore[attr-defined]

    worst = 0.0
    for build, x in ((bert, tokens), (resnet, images), (classifier, tokens)):
        model, module = build(k), build(t)
        assert isinstance(model, keras.Model)
        assert isinstance(module, tf.Module) and not isinstance(module, keras.layers.Layer)
        weights = model.get_weights()
        assert [w.shape for w in weights] == [tuple(w.shape) for w in module.get_weights()]
        moved = perturbed(weights)
        model.set_weights(moved)
        module.set_weights(moved)
        for training in (False, True):
            a, b = tf.nest.flatten(model(x, training=training)), tf.nest.flatten(module(x, training=training))
            assert len(a) == len(b)
            for u, v in zip(a, b):
                u, v = np.asarray(u, "float64"), np.asarray(v, "float64")
                worst = max(worst, float(np.max(np.abs(u - v))))
                assert np.allclose(v, u, atol=1e-5, rtol=1e-5), (build.__name__, training, float(np.max(np.abs(u - v))))
        for u, v in zip(model.get_weights(), module.get_weights()):  # BatchNormalization's statistics
            worst = max(worst, float(np.max(np.abs(np.asarray(u, "float64") - np.asarray(v, "float64")))))
            assert np.allclose(v, u, atol=1e-5, rtol=1e-5)
        if build is not classifier:  # the library's own get_config, through the translated base's
            assert module.get_config() == model.get_config()
    print(f"hubstyle: worst max |diff| = {worst:.3g}")


def test_a_base_that_does_not_pass_the_graph_on_keeps_its_subclasses(tmp_path: Path) -> None:
    """``super().__init__(inputs, outputs)`` reaches the runtime's ``Model`` as the graph
    function only through bases whose ``__init__`` passes ``*args, **kwargs`` on unchanged."""
    src = _copy(tmp_path)
    backbone = src / "hubstyle" / "models" / "backbone.py"
    text = backbone.read_text().replace("super().__init__(*args, **kwargs)", "super().__init__(*args[:2], **kwargs)")
    assert "*args[:2]" in text
    backbone.write_text(text)
    report = _to_tf(src, tmp_path / "out")
    before, after = _sources(src), _sources(tmp_path / "out")
    for rel in ("hubstyle/models/tiny_bert/tiny_bert_backbone.py", "hubstyle/models/tiny_resnet/tiny_resnet_backbone.py",
                "hubstyle/models/backbone.py"):
        assert after[rel] == before[rel], f"{rel} should stay Keras"
    line = next(ln for ln in report.splitlines() if ln.startswith(str(src / "hubstyle/models/tiny_resnet")))
    assert "class `TinyResNetBackbone` builds a functional model in its constructor" in line, report
    line = next(ln for ln in report.splitlines() if ln.startswith(str(backbone)))
    assert "tiny_" in line and "keeps Keras model code" in line, report


def test_in_one_file_the_same_rule_holds() -> None:
    from kerastf_xlate.totf import translate

    text = (CASES / "functional_subclass.py").read_text()
    out, diags = translate(text, "m.py")
    assert BANNER in out and out.count("super().__init__(\n            graph") + out.count("super().__init__(graph") == 3, \
        [d.message for d in diags]
    changed = text.replace("    def __init__(self, *args, dtype=None, **kwargs):\n        super().__init__(*args, **kwargs)\n",
                           "    def __init__(self, *args, dtype=None, **kwargs):\n        super().__init__(*args[:2], **kwargs)\n")
    assert changed != text
    out, diags = translate(changed, "m.py")
    assert "class `TinyEncoder` builds a functional model in its constructor" in " ".join(d.message for d in diags)


def test_a_functional_subclass_with_its_own_call_is_not_taken() -> None:
    """Keras runs a functional subclass's own ``call`` (or ``build``) instead of its graph."""
    from kerastf_xlate.totf import translate

    text = (CASES / "functional_subclass.py").read_text()
    changed = text.replace("class TinyConvNet(Backbone):\n",
                           "class TinyConvNet(Backbone):\n    def call(self, inputs, training=None):\n"
                           "        return super().call(inputs, training=training) * 2.0\n\n")
    assert changed != text
    out, diags = translate(changed, "m.py")
    assert "class `TinyConvNet` builds a functional model in its constructor" in " ".join(d.message for d in diags)
