"""Layers a function calls outside every model graph, on what another module gives (issue #13:
a segmentation library's head module, ``img_input, levels = encoder(...)`` with the encoder of
another module as the default, layer calls on ``levels[-1]``, then
``get_segmentation_model(img_input, o)`` of a third module).

Found on a tuning corpus (bench/corpus11.toml). Translated alone, the file's layers became the
runtime's classes, which the other modules' Keras tensors then reached: a silent breakage (the
file came out with no diagnostic; it showed once star imports were read, and is the same with
named imports). Now such a function's calls of imported user code count as a model graph's:
alone, XL310 keeps it Keras; a directory run keeps or translates the modules together (here it
keeps them: an encoder that builds no model of its own, and a model made from its caller's
`Input` in a third module, are not translated).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from kerastf_xlate.totf import translate

ENCODERS = textwrap.dedent("""\
    from keras.layers import Conv2D, Input, MaxPooling2D


    def small_encoder(height=16, width=16, channels=3):
        img_input = Input(shape=(height, width, channels))
        x = img_input
        levels = []
        for filters in (4, 8):
            x = Conv2D(filters, 3, padding="same", activation="relu")(x)
            x = MaxPooling2D(2)(x)
            levels.append(x)
        return img_input, levels
    """)

MODEL_UTILS = textwrap.dedent("""\
    from keras.layers import Activation, Reshape
    from keras.models import Model


    def get_segmentation_model(img_input, output):
        o = Reshape((-1, output.shape[-1]))(output)
        return Model(img_input, Activation("softmax")(o))
    """)

HEAD = textwrap.dedent("""\
    from keras.layers import Add, Conv2D, UpSampling2D

    from encoders import small_encoder
    from model_utils import get_segmentation_model


    def fcn(n_classes, encoder=small_encoder, height=16, width=16):
        img_input, levels = encoder(height=height, width=width)
        f1, f2 = levels
        o = Conv2D(n_classes, 1)(f2)
        o = UpSampling2D(2)(o)
        o = Add()([o, Conv2D(n_classes, 1)(f1)])
        return get_segmentation_model(img_input, o)
    """)

def _package(folder: Path) -> None:
    folder.mkdir()
    for name, text in (("encoders.py", ENCODERS), ("model_utils.py", MODEL_UTILS), ("head.py", HEAD)):
        (folder / name).write_text(text)


def test_alone_the_head_on_another_modules_encoder_stays_keras(tmp_path: Path) -> None:
    _package(tmp_path / "pkg")
    out, diags = translate(HEAD, str(tmp_path / "pkg" / "head.py"))
    assert out == HEAD
    messages = [d.message for d in diags if d.code == "XL310"]
    assert any("`small_encoder` from `encoders`, a module this run does not translate" in m for m in messages), diags
    assert any("`get_segmentation_model` from `model_utils`" in m for m in messages), diags


def test_a_directory_run_keeps_the_three_modules_together(tmp_path: Path) -> None:
    """The encoder builds no model in its module and the model is made from its caller's
    `Input` in a third: not translated (docs/design.md, "Not done"), so the directory run keeps
    all three as they are, with the reasons, rather than translating the head alone."""
    src, dst = tmp_path / "src", tmp_path / "out"
    _package(src)
    proc = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(src), "-o", str(dst)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name, text in (("encoders.py", ENCODERS), ("model_utils.py", MODEL_UTILS), ("head.py", HEAD)):
        assert (dst / name).read_text() == text, name
    assert "kept as Keras with the files it shares model code with" in proc.stdout + proc.stderr


# the layers in a decoder helper; the function handing it the encoder's levels makes no layer
SEGNET = textwrap.dedent("""\
    from keras.layers import Conv2D, UpSampling2D

    from encoders import small_encoder
    from model_utils import get_segmentation_model


    def decoder(f, n_classes):
        o = UpSampling2D(2)(f)
        return Conv2D(n_classes, 3, padding="same")(o)


    def _segnet(n_classes, encoder, height=16, width=16):
        img_input, levels = encoder(height=height, width=width)
        feat = levels[-1]
        o = decoder(feat, n_classes)
        return get_segmentation_model(img_input, o)


    def segnet(n_classes):
        return _segnet(n_classes, small_encoder)
    """)


def test_alone_a_decoder_helper_handed_another_modules_levels_stays_keras(tmp_path: Path) -> None:
    _package(tmp_path / "pkg")
    out, diags = translate(SEGNET, str(tmp_path / "pkg" / "segnet.py"))
    assert out == SEGNET
    assert any(d.code == "XL310" and "`get_segmentation_model` from `model_utils`" in d.message for d in diags), diags


def test_a_decoder_helper_on_the_files_own_tensors_is_not_held_back() -> None:
    """The same helper applied to tensors the file makes itself, whose result goes to no
    imported code, links nothing: the imported module it merely calls does not keep it."""
    text = textwrap.dedent("""\
        import numpy as np
        from keras.layers import Conv2D, UpSampling2D

        from data_utils import load_batch


        def decoder(f, n_classes):
            o = UpSampling2D(2)(f)
            return Conv2D(n_classes, 3, padding="same")(o)


        def main():
            batch = np.ones((1, 4, 4, 2), "float32")
            load_batch("train")
            return decoder(batch, 3)
        """)
    out, diags = translate(text, "main.py")
    assert not any(d.code == "XL310" for d in diags), diags
