"""``xlate to-tf``: lower Keras model code to TensorFlow low-level code.

Pipeline for one source:

1. parse with ``ast`` and resolve Keras layer uses (:mod:`kerastf_xlate.resolve`);
2. find translation units: ``Sequential`` and functional models (:mod:`.graph`), and
   ``keras.Model``/``Layer`` subclasses (:mod:`.subclass`); anything the translator cannot
   follow is kept as Keras with an XL30x diagnostic;
3. keep a unit as Keras when its instance is used with a Keras-only API (XL303);
4. generate each unit's ``tf.Module`` class from the layer families (:mod:`kerastf_xlate.layers`);
5. apply the statement edits with LibCST, add ``import tensorflow as tf`` and the
   initializer helpers, drop the Keras imports nothing uses any more; LibCST sees only
   the top-level statements these touch (:mod:`kerastf_xlate.edit.splice`), the rest is copied.

The stages are named functions on one :class:`.context.TranslationContext`
(:mod:`.driver`, which also says where a new kind of translation unit goes).

Nothing here imports TensorFlow or Keras or executes the user's code.
"""

from __future__ import annotations

from functools import partial

from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.lint import parse
from kerastf_xlate.rules import RuleSet, default_rules
from kerastf_xlate.totf.context import TranslationContext
from kerastf_xlate.totf.driver import run
from kerastf_xlate.totf.program.bundle import BANNER
from kerastf_xlate.totf.program.driver import choose

__all__ = ["translate", "make_transform"]


def make_transform(input_shape: tuple[int, ...] | None = None, keep_keras_files: bool = False):
    """A picklable ``(text, path) -> (text, diagnostics)`` for the runner."""
    return partial(translate, input_shape=input_shape, keep_keras_files=keep_keras_files)


def translate(text: str, path: str = "<string>", input_shape: tuple[int, ...] | None = None,
              rules: RuleSet | None = None, keep_keras_files: bool = False) -> tuple[str, list[Diagnostic]]:
    """Translate one Python source; return the new source and the diagnostics: the flat form
    when it translates every model of the file, else the program form when nothing blocks it
    (docs/design.md, "Programs"). ``keep_keras_files``: a model file the program writes and
    never reads back stays a Keras file, and its model stays Keras (``--keep-keras-files``)."""
    if BANNER in text:
        # translated in part by an earlier run: what it kept stays (the flat form would now take
        # units the first run left to the program form, and a second run must change nothing)
        return choose(text, path, parse, text, [], keep_keras_files)
    flat_text, diags = run(TranslationContext(text, path, rules or default_rules(), input_shape))
    return choose(text, path, parse, flat_text, diags, keep_keras_files)
