"""What a generated ``tf.Module`` lacks of the conformance suite's properties
(``tests/test_conformance.py``: function, xla, saved_model, checkpoint, distribute, deepcopy),
said in its class docstring by a line ``Conformance: lacks <property>: <why>``.

One place for the lines: ``to-tf`` writes them into the classes it generates, and the suite's
``KNOWN_GAPS`` quotes them (a test checks that each appears in its subject's docstring), so the
two cannot drift.
"""

from __future__ import annotations

import ast

PREFIX = "Conformance: lacks"

# a flat-form subclass that keeps a Keras layer (XL101/XL302): Keras's variables are no
# tf.Variables, so tf.Module's variable lists (what a training step or a strategy's copy
# goes over) skip them
KEPT_KERAS_LAYER = ("distribute", "it keeps Keras layers ({layers}) whose variables `tf.Module.variables` "
                    "does not list, so a step over `trainable_variables` neither trains nor copies them")


def lacks_line(prop: str, why: str) -> str:
    """The docstring line that declares a missing property (``subjects.LACKS`` reads it)."""
    return f"{PREFIX} {prop}: {why}"


def kept_layers_gap(layers: list[str]) -> tuple[str, str]:
    """(property, why) of a module that keeps the Keras layers ``layers`` (their class names)."""
    prop, why = KEPT_KERAS_LAYER
    return prop, why.format(layers=", ".join(f"`{name}`" for name in dict.fromkeys(layers)))


def kept_layers_line(layers: list[str]) -> str:
    """The docstring line of a module that keeps the Keras layers ``layers``."""
    return lacks_line(*kept_layers_gap(layers))


def docstring_insertion(cls: ast.ClassDef, text_lines: list[str], line: str) -> tuple[int, int, str] | None:
    """Where and what to insert so that ``cls``'s docstring ends with ``line`` (a paragraph of
    its own): ``(lineno, col, text)`` with a 0-based UTF-8 byte column, or None when the
    docstring is not triple-quoted (then nothing is written). A class without a docstring
    gets one before its first statement."""
    first = cls.body[0]
    indent = " " * first.col_offset
    is_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    if not is_doc:
        return first.lineno, 0, f'{indent}"""{line}"""\n'
    end_line, end_col = first.end_lineno, first.end_col_offset
    assert end_line is not None and end_col is not None
    raw = text_lines[end_line - 1].encode("utf-8")
    quote = raw[end_col - 3:end_col]
    if quote not in (b'"""', b"'''"):
        return None
    before = raw[:end_col - 3]
    if not before.strip():  # the closing quotes on a line of their own
        return end_line, 0, f"\n{indent}{line}\n"
    return end_line, end_col - 3, f"\n\n{indent}{line}\n{indent}"


def strip_note(st_text: str, start: int, end: int) -> str | None:
    """``to-keras``: the class docstring (``st_text[start:end]``, the string's source) without
    the paragraphs :func:`docstring_insertion` added (a Keras model lacks none of the
    properties), or None when it has none. A docstring that was only the note goes entirely
    (the caller removes the statement)."""
    seg = st_text[start:end]
    quote = seg[-3:]
    if quote not in ('"""', "'''"):
        return None
    if seg.lstrip("rRuU")[3:].startswith(PREFIX):
        return ""
    lines = seg[:-3].split("\n")
    notes = [i for i, ln in enumerate(lines) if ln.strip().startswith(PREFIX)]
    if not notes:
        return None
    kept = [ln for i, ln in enumerate(lines) if i not in notes]
    while len(kept) > 1 and not kept[-1].strip():  # the blank line before the notes, the closing indent
        kept.pop()
    indent = lines[-1] if not lines[-1].strip() else ""
    body = "\n".join(kept)
    return body + ("\n" + indent if len(kept) > 1 else "") + quote
