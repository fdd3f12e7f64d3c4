"""The round trip is a fixed point on whole files: ``to-tf(to-keras(to-tf(F))) == to-tf(F)``.

Over every Keras whole-file case of ``tests/cases/`` (the input part of the to-tf, program,
lint and verify cases), and over generated files that vary what real notebooks vary: blank
lines inside and between statements, continuation lines (bracketed and backslashed),
trailing comments, two models bound to one name, a compile call spread over lines. Character
for character: no blank-line or indentation drift, nothing gained or lost.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf

CASES = Path(__file__).parent / "cases"
FILES = sorted(p for d in ("totf", "program", "lint", "verify") for p in (CASES / d).glob("*.py"))
MARK = "# output\n"


def fixed_point(text: str, path: str) -> tuple[str, str]:
    t, _ = to_tf(text, path)
    k, _ = to_keras(t, path)
    t2, _ = to_tf(k, path)
    return t, t2


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_whole_file_case_is_a_fixed_point(path: Path) -> None:
    text = path.read_text().split(MARK)[0]
    t, t2 = fixed_point(text, str(path))
    assert t2 == t


def test_the_cases_are_there() -> None:
    """The parametrization cannot silently shrink to nothing."""
    assert len(FILES) >= 15


# ------------------------------------------------------------------------------ generated files

_LAYERS = [
    'layers.Dense(8, activation="relu")',
    "layers.Dense(4)",
    "layers.Dropout(0.25)",
    "layers.LayerNormalization()",
    'layers.Activation("tanh")',
]


@st.composite
def sequential_files(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(st.sampled_from(_LAYERS), min_size=1, max_size=4))
    lines = ["from tensorflow import keras", "from tensorflow.keras import layers", ""]
    lines += [""] * draw(st.integers(0, 2))
    n_models = draw(st.integers(1, 2))
    for m in range(n_models):
        lines.append("model = keras.Sequential([")
        lines.append("    keras.Input(shape=(6,)),")
        for layer in chosen[: len(chosen) - m] or chosen:
            if draw(st.booleans()) and "(" in layer and ", " in layer:
                head, tail = layer.split(", ", 1)
                sep = draw(st.sampled_from([",\n        ", ", \\\n        "]))
                layer = head + sep + tail
            comment = draw(st.sampled_from(["", "  # a layer"]))
            lines.append(f"    {layer},{comment}")
            if draw(st.integers(0, 4)) == 0:
                lines.append("")
        lines.append("])")
        if draw(st.booleans()):
            lines.append('model.compile(optimizer="adam",\n              loss="mse")')
        lines += [""] * draw(st.integers(0, 2))
    return "\n".join(lines) + "\n"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequential_files())
def test_generated_file_is_a_fixed_point(text: str) -> None:
    t, t2 = fixed_point(text, "gen.py")
    assert t != text  # to-tf translated it (the property is not vacuous)
    assert t2 == t
