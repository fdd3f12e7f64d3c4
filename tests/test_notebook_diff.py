"""A translated notebook differs from the original only in the changed cells' source lines.

Notebooks written with 1-, 2- and 4-space and tab indentation, keys in an unsorted order,
outputs and execution counts, non-ASCII text written as it is (``ensure_ascii=False``) or
escaped, without a final newline, with CRLF line breaks, with a source as one string: after
``to-tf``, a line diff of the JSON text touches only lines inside the "source" values of the
cells whose code changed, and everything else parses back equal.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

from kerastf_xlate.runner import transform_bytes

MODEL = 'model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4), layers.Dense(2)])\n'


def _doc(string_source: bool = False) -> dict[str, Any]:
    def code(src: str, n: int | None, outputs: list[Any]) -> dict[str, Any]:
        # keys deliberately not sorted
        return {"metadata": {"tags": ["é"], "collapsed": False}, "source": src if string_source else
                src.splitlines(keepends=True), "outputs": outputs, "execution_count": n, "cell_type": "code",
                "id": f"cell-{n}"}

    return {
        "nbformat_minor": 5,
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Modèle — ünïcödé ✓\n", "text"], "id": "md"},
            code("import keras\nfrom keras import layers\n", 1, []),
            code("print('héllo')\n", 2, [{"name": "stdout", "output_type": "stream", "text": ["héllo ✓\n"]}]),
            code(MODEL, 3, []),
            code("%matplotlib inline\ny = model(keras.ops.ones((1, 8)))\n", 4,
                 [{"output_type": "execute_result", "execution_count": 4, "metadata": {},
                   "data": {"text/plain": ["<tf.Tensor: shape=(1, 2)>"]}}]),
            {"cell_type": "raw", "metadata": {}, "source": "raw ✓", "id": "raw"},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 ✓", "language": "python"}},
        "nbformat": 4,
    }


VARIANTS = {
    "indent 1": dict(indent=1, ensure_ascii=False),
    "indent 2": dict(indent=2, ensure_ascii=False),
    "indent 4, escaped": dict(indent=4, ensure_ascii=True),
    "tabs": dict(indent="\t", ensure_ascii=False),
    "indent 1, sorted keys": dict(indent=1, ensure_ascii=False, sort_keys=True),
}


def _write(variant: str, final_newline: bool = True, crlf: bool = False, string_source: bool = False) -> bytes:
    text = json.dumps(_doc(string_source), **VARIANTS[variant])  # type: ignore[arg-type]
    if final_newline:
        text += "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8")


def _source_line_ranges(lines: list[str]) -> list[tuple[int, int]]:
    """Per cell, the lines of its "source" value (the key's line to the closing bracket)."""
    out = []
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if not stripped.startswith('"source": '):
            continue
        if stripped.rstrip().rstrip(",").endswith("["):
            indent = line[: len(line) - len(stripped)]
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith(indent + "]"))
            out.append((i, end))
        else:
            out.append((i, i))
    return out


def _check_minimal(data: bytes, out: bytes) -> set[int]:
    before, after = json.loads(data), json.loads(out)
    changed = {i for i, (a, b) in enumerate(zip(before["cells"], after["cells"])) if a != b}
    for i in changed:
        a, b = dict(before["cells"][i]), dict(after["cells"][i])
        assert a.pop("source") != b.pop("source") and a == b, "only the source of a cell may change"
        assert type(before["cells"][i]["source"]) is type(after["cells"][i]["source"]), "the source's form is kept"
    assert {k: v for k, v in before.items() if k != "cells"} == {k: v for k, v in after.items() if k != "cells"}
    old_lines = data.decode().splitlines(keepends=True)
    new_lines = out.decode().splitlines(keepends=True)
    ranges = _source_line_ranges(old_lines)
    allowed = [ranges[i] for i in sorted(changed)]
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag == "equal":
            continue
        last = max(i1, i2 - 1)
        assert any(a <= i1 and last <= b for a, b in allowed), (tag, old_lines[i1:i2][:3])
    return changed


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_diff_touches_only_the_changed_cells(variant: str) -> None:
    from kerastf_xlate.totf import make_transform

    data = _write(variant)
    result = transform_bytes("nb.ipynb", data, make_transform())
    assert result.error is None and result.output is not None and result.changed
    changed = _check_minimal(data, result.output)
    assert changed == {1, 3}, changed  # the imports and the model; %matplotlib's cell only calls the model
    text = result.output.decode()
    if VARIANTS[variant]["ensure_ascii"]:
        assert text.isascii() and "\\u00e9" in text
    else:
        assert "ünïcödé ✓" in text and "héllo ✓" in text
    assert text.endswith("}\n")


def test_no_final_newline_crlf_and_string_sources() -> None:
    from kerastf_xlate.totf import make_transform

    for data in (_write("indent 2", final_newline=False), _write("indent 1", crlf=True),
                 _write("indent 1", string_source=True)):
        result = transform_bytes("nb.ipynb", data, make_transform())
        assert result.output is not None and result.changed
        assert result.output.endswith(b"}") == data.endswith(b"}")
        if b"\r\n" in data:
            assert result.output.count(b"\n") == result.output.count(b"\r\n")
        else:
            _check_minimal(data, result.output)
        cells = json.loads(result.output)["cells"]
        assert "class Model(tf.Module)" in "".join(cells[3]["source"])


def test_a_byte_order_mark_is_kept() -> None:
    from kerastf_xlate.totf import make_transform

    data = b"\xef\xbb\xbf" + _write("indent 1")
    result = transform_bytes("nb.ipynb", data, make_transform())
    assert result.output is not None and result.output.startswith(b"\xef\xbb\xbf{")
    _check_minimal(data[3:], result.output[3:])
