"""Helpers of the program-form tests: translate a dedented source, and read the user's code
of a translation without the block of TensorFlow layers."""

from __future__ import annotations

import textwrap

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER, END


def tf_(src: str) -> tuple[str, list[str]]:
    """The translation of ``src`` (dedented) and its diagnostics as ``"CODE message"``."""
    out, diags = translate(textwrap.dedent(src), "t.py")
    return out, [f"{d.code} {d.message}" for d in diags]


def user_code(out: str) -> str:
    """``out`` without the runtime block (the user's own code as it was rewritten)."""
    head, _, rest = out.partition(BANNER)
    return head + rest.partition(END)[2] if rest else out
