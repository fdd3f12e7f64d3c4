"""Expressions after rewriting: a :class:`Piece` is a layer application with rewritten
inputs, or the original expression with some of its children rewritten."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from kerastf_xlate.layerkit.recognise import Match
from kerastf_xlate.syntax import SourceText


@dataclass(eq=False)
class Piece:
    """An expression after rewriting (``match`` set) or with rewritten children."""

    node: ast.AST
    match: Match | None = None
    inputs: list[Piece] = field(default_factory=list)
    children: list[Piece] = field(default_factory=list)
    ref: str | None = None  # ``self.<ref>``: a variable that may now live in a layer

    def matches(self) -> list[Match]:
        """Every match in evaluation order (inputs before the layer that reads them)."""
        out: list[Match] = []
        for p in self.inputs + self.children:
            out += p.matches()
        if self.match is not None:
            out.append(self.match)
        return out


def render_piece(piece: Piece, st: SourceText, callee: Any, remap: dict[str, str] | None = None) -> str:
    """Source of a rewritten expression; ``callee(match)`` gives the layer object's source and
    ``remap`` the new spelling of variables that became layer weights."""
    if piece.ref is not None and remap and piece.ref in remap:
        return remap[piece.ref]
    if piece.match is not None:
        m = piece.match
        ins = [render_piece(p, st, callee, remap) for p in piece.inputs]
        arg = "[" + ", ".join(ins) + "]" if m.list_input else ins[0]
        extra = ""
        if m.fixed_training is not None:
            extra = f", training={m.fixed_training}"
        elif m.training:
            extra = f", training={m.training_src}"
        return f"{callee(m)}({arg}{extra})"
    text = st.seg(piece.node)
    if not piece.children:
        return text
    base, _ = st.span(piece.node)
    out = text
    for child in sorted(piece.children, key=lambda c: st.span(c.node)[0], reverse=True):
        a, b = st.span(child.node)
        out = out[: a - base] + render_piece(child, st, callee, remap) + out[b - base :]
    return out
