"""Messages are short, specific sentences (issue #20; Ruff's rule): no internal placeholder
ever reaches a user, a message fits on a line (``MESSAGE_LIMIT`` characters), and the long
explanation lives behind ``xlate codes CODE`` / ``xlate rules LAYER`` and docs/codes.md.

The scan covers every message lint and to-tf produce on the project's cases: the whole-file
lint, program and to-tf cases, the examples, and every rule file's ``[[lint]]`` case.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from xlate_cli import run_xlate as xlate

from kerastf_xlate.args import MESSAGE_LIMIT
from kerastf_xlate.codes import CODES
from kerastf_xlate.config import Config
from kerastf_xlate.lint import lint_text as layer_lint
from kerastf_xlate.lint_totf import totf_diagnostics
from kerastf_xlate.rules import default_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = default_rules()
PLACEHOLDER = re.compile(r"<[a-z][a-z ]*>|`\?`")  # `<complex input>`, `<not a call>`, a `?` for a name


def _files() -> list[tuple[str, str]]:
    files = [p for d in ("tests/cases/lint", "tests/cases/program", "tests/cases/totf", "examples", "examples/training")
             for p in sorted((ROOT / d).glob("*.py"))]
    return [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8").partition("# --- expected")[0]) for p in files]


@pytest.fixture(scope="module")
def messages() -> dict[tuple[str, str], str]:
    """(code, message) -> the first source it came from: to-tf's and lint's on the files, the
    layer-level lint's on the rule cases (snippets about one layer and its arguments)."""
    found: dict[tuple[str, str], str] = {}
    for name, text in _files():
        # `xlate lint` shows the layer-level lint's messages and to-tf's (tests/test_lint_totf.py)
        for d in layer_lint(text, name, RULES, Config()) + totf_diagnostics(text, name, RULES):
            found.setdefault((d.code, d.message), name)
    for r in RULES:
        for i, case in enumerate(r.lint):
            for d in layer_lint(case.code, f"{r.layer}-{i}", RULES, Config()):
                found.setdefault((d.code, d.message), f"{r.layer}-{i}")
    return found


def test_the_scan_sees_the_codes_that_matter(messages: dict[tuple[str, str], str]) -> None:
    codes = {c for c, _ in messages}
    assert {"XL101", "XL102", "XL201", "XL202", "XL301", "XL303", "XL305", "XL306"} <= codes, codes


def test_no_placeholder_reaches_a_user(messages: dict[tuple[str, str], str]) -> None:
    bad = [f"{src}: {c} {m}" for (c, m), src in messages.items() if PLACEHOLDER.search(m)]
    assert not bad, "\n".join(bad)


def test_a_message_is_one_short_line(messages: dict[tuple[str, str], str]) -> None:
    bad = [f"{src}: {c} ({len(m)} chars) {m}" for (c, m), src in messages.items() if len(m) > MESSAGE_LIMIT or "\n" in m]
    assert not bad, "\n".join(bad)


def test_xl301_names_the_name_and_the_statement() -> None:
    # the flat form's view (the program form follows the loop, and what stops it is reported)
    from kerastf_xlate.totf.context import TranslationContext
    from kerastf_xlate.totf.driver import run

    text = (ROOT / "tests/cases/lint/kept_builder_loop.py").read_text(encoding="utf-8")
    _, diags = run(TranslationContext(text, "m.py", RULES))
    msgs = [d.message for d in diags if d.line == 8]
    assert msgs == ["model kept as Keras: `x`, used by the model graph, is bound by a `for` loop the translator cannot follow"]


def test_a_graph_statement_that_is_not_a_layer_call_is_named() -> None:
    # the flat form's view (the program form translates this): the message quotes the statement
    from kerastf_xlate.totf.context import TranslationContext
    from kerastf_xlate.totf.driver import run

    text = ("import keras\nfrom keras import layers\n\ninputs = keras.Input(shape=(4,))\nh = layers.Dense(3)(inputs)\n"
            "y = layers.Dense(2)(h)\nz = y + 1\nmodel = keras.Model(inputs, z)\n")
    _, diags = run(TranslationContext(text, "m.py", RULES))
    msgs = [d.message for d in diags if d.code == "XL301"]
    assert msgs == ["model kept as Keras: `z = y + 1` in the model graph is not a layer call"], msgs
    text = text.replace("layers.Dense(2)(h)", "layers.Dense(2)(h * 2)").replace("z = y + 1", "z = layers.Dense(1)(y)")
    _, diags = run(TranslationContext(text, "m.py", RULES))
    msgs = [d.message for d in diags if d.code == "XL301"]
    assert msgs == ["model kept as Keras: `h * 2`, an input of `layers.Dense(2)(...)` in the model graph, is not a name"], msgs


def test_the_explanation_is_behind_xlate_codes_and_xlate_rules(tmp_path: Path) -> None:
    proc = xlate("codes", "XL101", "xl301", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("XL101 no-tf-counterpart (warning)\n")
    assert CODES["XL301"].why in proc.stdout and CODES["XL301"].fix in proc.stdout
    lstm = RULES.get("FlaxLayer")
    assert lstm is not None and lstm.reason and lstm.instead
    proc = xlate("rules", "FlaxLayer", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert lstm.reason in proc.stdout and lstm.instead in proc.stdout
    for args in (("codes", "XL999"), ("rules", "NoSuchLayer")):
        proc = xlate(*args, cwd=tmp_path)
        assert proc.returncode == 2 and proc.stdout == "" and args[1] in proc.stderr, proc
