"""The rules' own test cases, as Fixit's rules carry theirs, one parametrised test each:

- every ``[[examples]]`` entry carries ``tf``, the ``__call__`` that ``xlate to-tf`` writes for
  it (the one-layer model of ``tests/models.py``), or for a layer translated in the program
  form the program's own statements below the classes written out: the translation must be
  exactly that;
  ``XLATE_REGEN=1 pytest tests/test_rule_examples.py`` rewrites them after a deliberate change
  (review the diff of ``rules/``);
- every ``[[noop]]`` entry is code the named command must leave byte for byte (``why`` says
  why): a near miss for the layer's recogniser, a use to-tf cannot follow.

Ids read ``Conv2D-example-0`` and ``Dense-noop-0-to-keras``. The examples are also executed
against Keras by ``tests/test_rule_roundtrip.py`` and ``tests/test_tokeras_roundtrip.py``.
"""

from __future__ import annotations

import ast
import os
import re
import textwrap
from pathlib import Path

import pytest
from models import model_source

from kerastf_xlate.rules import Example, NoopCase, Rule, default_rules
from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf

RULES = default_rules()
# a program-only rule's examples have no flat __call__: tests/test_runtime_layers.py executes them
EXAMPLES = [(rule, i, ex) for rule in RULES if rule.status in ("translated", "structural") and not rule.program_only
            for i, ex in enumerate(rule.examples)]
NOOPS = [(rule, i, case) for rule in RULES for i, case in enumerate(rule.noop)]


_PROGRAM_END = "# --- end of the layers written out by xlate to-tf ---\n"


def call_source(translated: str) -> str:
    """The generated class's ``__call__``, dedented; for a layer translated in the program form
    (its TensorFlow class written out above the marker), the program after the marker."""
    if _PROGRAM_END in translated:
        return translated.split(_PROGRAM_END, 1)[1].lstrip("\n")
    for node in ast.walk(ast.parse(translated)):
        if isinstance(node, ast.FunctionDef) and node.name == "__call__":
            return textwrap.dedent(ast.get_source_segment(translated, node, padded=True) or "")
    raise AssertionError(f"no __call__ in the translation:\n{translated}")


def _regenerate(rule: Rule, index: int, body: str) -> None:
    path = Path(rule.path)
    text = path.read_text()
    heads = [m.start() for m in re.finditer(r"^\[\[examples\]\]\n", text, re.M)]
    start = heads[index]
    nxt = re.compile(r"^\[", re.M).search(text, start + 3)
    end = nxt.start() if nxt else len(text)
    table = re.sub(r"\ntf = '''\n.*?'''", "", text[start:end], flags=re.S)
    stripped = table.rstrip("\n")
    path.write_text(text[:start] + stripped + "\ntf = '''\n" + body + "'''" + table[len(stripped):] + text[end:])


@pytest.mark.parametrize("rule, index, example", EXAMPLES, ids=[f"{r.layer}-example-{i}" for r, i, _ in EXAMPLES])
def test_example_translates_to_its_tf(rule: Rule, index: int, example: Example) -> None:
    out, _ = to_tf(model_source(rule, example), f"{rule.layer}-{index}.py")
    body = call_source(out)
    if os.environ.get("XLATE_REGEN"):
        _regenerate(rule, index, body)
        pytest.skip("regenerated")
    assert example.tf is not None, f"{rule.path}: examples[{index}] has no `tf` (XLATE_REGEN=1 writes it)"
    assert body == example.tf


@pytest.mark.parametrize("rule, index, case", NOOPS, ids=[f"{r.layer}-noop-{i}-{c.command}" for r, i, c in NOOPS])
def test_noop_case_is_left_as_it_is(rule: Rule, index: int, case: NoopCase) -> None:
    translate = to_tf if case.command == "to-tf" else to_keras
    out, _ = translate(case.code, f"{rule.layer}_noop_{index}.py")
    assert out == case.code, f"{rule.path}: noop[{index}] ({case.why}) was changed by {case.command}:\n{out}"
