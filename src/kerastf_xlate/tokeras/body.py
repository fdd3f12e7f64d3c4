"""Rewrite one function body: find the layer applications, statement by statement.

Straight-line code is read with a small def-use analysis: every name a statement reads is
linked to the statement that last bound it. A statement whose result is read exactly once may
be *absorbed* by the statement that reads it (``x = tf.matmul(x, w)`` then
``x = tf.nn.bias_add(x, b)`` then ``x = tf.nn.relu(x)`` become one ``Dense``): statements
are matched from the last to the first, so the longest chain wins. The absorbed statements
are deleted and the match is written where the last one stood, which is safe when nothing in
between rebinds a name the match reads.

Blocks that only mean something together (the layer families' ``block`` recognisers) are matched as a whole: ``if training:`` around
``tf.nn.dropout`` (or Gaussian noise), and the batch-normalization idioms
(``tf.nn.moments`` + moving-average updates + ``tf.nn.batch_normalization``); so are the
statement sequences of :mod:`.sequences` (several statements with temporaries of their own).

The result is a list of :class:`StmtEdit`; the caller names the layer objects and renders.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kerastf_xlate.layerkit.family import BLOCK, DEFINITION, DEFUSE
from kerastf_xlate.layerkit.recognise import Def, Match, MatchCtx
from kerastf_xlate.layers import recognisers
from kerastf_xlate.tokeras.patterns import match
from kerastf_xlate.tokeras.pieces import Piece, render_piece
from kerastf_xlate.tokeras.sequences import find_sequence
from kerastf_xlate.tokeras.variables import lazy_creation


@dataclass
class StmtEdit:
    stmt: ast.stmt
    kind: str  # value | replace | delete | lazy
    piece: Piece | None = None  # value: the statement's new value expression
    target: str = ""  # replace: assigned name(s)
    match: Match | None = None  # replace: the layer application
    attr: str | None = None  # lazy: the variable it creates

    def matches(self) -> list[Match]:
        if self.piece is not None:
            return self.piece.matches()
        return [self.match] if self.match is not None else []


def _loads(node: ast.AST) -> list[ast.Name]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]


def _stores(node: ast.AST) -> set[str]:
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n is not node:
            out.add(n.name)
    return out


def _expr_children(node: ast.AST) -> list[ast.expr]:
    out: list[ast.expr] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            out.append(child)
        elif isinstance(child, (ast.keyword, ast.comprehension, ast.arguments, ast.arg)):
            out += _expr_children(child)
    return out


class BodyRewriter:
    """Matches the statements of one block (recursing into compound statements)."""

    def __init__(self, ctx: MatchCtx, params: list[str]) -> None:
        self.ctx = ctx
        self.params = params
        self.edits: list[StmtEdit] = []
        self.claimed: set[int] = set()

    # ------------------------------------------------------------------ def-use

    def _analyse(self, stmts: list[ast.stmt], outer: set[str]) -> tuple[dict[int, Def], dict[str, list[Def]]]:
        reach: dict[int, Def] = {}
        current: dict[str, Def] = {n: Def(None, -1, "param") for n in outer}
        all_defs: dict[str, list[Def]] = {}
        for i, stmt in enumerate(stmts):
            stats = self._definition(stmt)
            for n in _loads(stmt):
                d = current.get(n.id)
                if d is not None:
                    d.uses.append(n)
                    reach[id(n)] = d
            new: dict[str, Def] = {}
            if stats is not None:
                d = Def(stmt, i, "stats", info=stats)
                new = {name: d for name in stats["names"]}
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                new = {stmt.targets[0].id: Def(stmt, i, "simple", stmt.value)}
            elif (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Tuple)
                  and all(isinstance(e, ast.Name) for e in stmt.targets[0].elts)):
                d = Def(stmt, i, "tuple", stmt.value)
                new = {e.id: d for e in stmt.targets[0].elts}  # type: ignore[attr-defined]
            stores = _stores(stmt)
            for name in stores:
                if name not in new:
                    prev = current.get(name)
                    if prev is not None:
                        prev.uses.append(None)  # may pass through an opaque statement
                    new[name] = Def(stmt, i, "opaque")
            for name, d in new.items():
                current[name] = d
                all_defs.setdefault(name, []).append(d)
        return reach, all_defs

    def _definition(self, stmt: ast.stmt) -> dict[str, Any] | None:
        """What a statement defines for a later use (batch statistics and their updates)."""
        for r in recognisers(DEFINITION):
            info = r.fn(self.ctx, stmt)
            if info is not None:
                return info
        return None

    # ------------------------------------------------------------------ blocks

    def run(self, stmts: list[ast.stmt], outer: set[str] | None = None) -> list[StmtEdit]:
        outer = set(self.params) if outer is None else outer
        reach, all_defs = self._analyse(stmts, outer)
        for i in range(len(stmts) - 1, -1, -1):
            stmt = stmts[i]
            if id(stmt) in self.claimed:
                continue
            self._statement(stmt, i, stmts, reach, all_defs)
        return self.edits

    def _resolver(self, index: int, reach: dict[int, Def], allow: bool) -> Callable[[ast.expr], tuple[Any, ast.stmt] | None]:
        def resolve(node: ast.expr) -> tuple[Any, ast.stmt] | None:
            if not allow or not isinstance(node, ast.Name):
                return None
            d = reach.get(id(node))
            if d is None or d.kind != "simple" or d.stmt is None or d.index >= index or len(d.uses) != 1:
                return None
            if id(d.stmt) in self.claimed:
                return None
            return d.value, d.stmt

        return resolve

    def _statement(self, stmt: ast.stmt, i: int, stmts: list[ast.stmt], reach: dict[int, Def], all_defs: dict[str, list[Def]]) -> None:
        ctx = self.ctx
        if ctx.self_name is not None:
            lazy = lazy_creation(stmt, ctx.names, ctx.self_name)
            if lazy is not None and lazy[0] in ctx.vars:
                self.edits.append(StmtEdit(stmt, "lazy", attr=lazy[0]))
                return
            block = next((a for a, v in ctx.vars.items() if v.lazy is stmt), None)  # a first-call block
            if block is not None:
                self.edits.append(StmtEdit(stmt, "lazy", attr=block))
                return
        special = None
        for r in recognisers(BLOCK):
            special = r.fn(ctx, stmt)
            if special is not None:
                break
        if special is None:
            special = find_sequence(ctx, stmts, i)
            if special is not None and any(id(s) in self.claimed for s in special[1].absorbed):
                special = None
        if special is not None:
            target, m = special
            self._commit(m)
            self.edits.append(StmtEdit(stmt, "replace", target=target, match=m))
            return
        if isinstance(stmt, (ast.Assign, ast.Return, ast.Expr, ast.AnnAssign, ast.AugAssign)) and stmt.value is not None:
            piece = self._rewrite(stmt.value, i, stmts, reach, all_defs)
            if piece.match is not None or piece.children or piece.ref is not None:
                self.edits.append(StmtEdit(stmt, "value", piece=piece))
            return
        # compound statements: their blocks are rewritten on their own (no absorption across)
        inner_outer = set(self.params) | set(all_defs) | {n.id for n in _loads(stmt)}
        for fieldname in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, fieldname, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt) and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.run(sub, inner_outer)
        for h in getattr(stmt, "handlers", []) or []:
            self.run(h.body, inner_outer)

    # ------------------------------------------------------------------ expressions

    def _rewrite(self, node: ast.expr, i: int, stmts: list[ast.stmt], reach: dict[int, Def], all_defs: dict[str, list[Def]]) -> Piece:
        m = self._try(node, i, stmts, reach, all_defs)
        if m is not None:
            return Piece(node, m, [self._rewrite(x, i, stmts, reach, all_defs) for x in m.inputs])
        if self.ctx.var(node) is not None:
            return Piece(node, ref=node.attr)  # type: ignore[attr-defined]
        children = []
        if not isinstance(node, ast.Lambda):
            for child in _expr_children(node):
                p = self._rewrite(child, i, stmts, reach, all_defs)
                if p.match is not None or p.children or p.ref is not None:
                    children.append(p)
        return Piece(node, None, [], children)

    def _try(self, node: ast.expr, i: int, stmts: list[ast.stmt], reach: dict[int, Def], all_defs: dict[str, list[Def]]) -> Match | None:
        for r in recognisers(DEFUSE) if id(node) not in self.ctx.deny else ():
            claimed = r.fn(self.ctx, node, i, reach)
            if claimed is None:
                continue
            got = claimed[0]
            if got is not None and all(self.ctx.tensor(x) for x in got.inputs) and self._safe(got, i, stmts, reach, all_defs):
                self._commit(got)
                return got
            return None
        for allow in (True, False):
            self.ctx.resolve = self._resolver(i, reach, allow)
            m = match(node, self.ctx)
            if m is None:
                return None
            if not m.absorbed or self._safe(m, i, stmts, reach, all_defs):
                self._commit(m)
                return m
        return None

    def _commit(self, m: Match) -> None:
        if self.ctx.training:
            m.training_src = self.ctx.training
        for s in m.absorbed:
            self.claimed.add(id(s))
            self.edits.append(StmtEdit(s, "delete"))

    def _safe(self, m: Match, i: int, stmts: list[ast.stmt], reach: dict[int, Def], all_defs: dict[str, list[Def]]) -> bool:
        """Moving the inputs' reads to statement ``i`` reads the same values."""
        absorbed = {id(s) for s in m.absorbed}
        for x in m.inputs:
            for n in _loads(x):
                d = reach.get(id(n))
                start = d.index if d is not None else -1
                for other in all_defs.get(n.id, []):
                    if start < other.index < i and id(other.stmt) not in absorbed:
                        return False
        return True

def render_edits(edits: list[StmtEdit], ctx: MatchCtx, callee: Callable[[Match], str],
                 remap: dict[str, str] | None = None) -> list[tuple[ast.stmt, str | None]]:
    """(statement, new source or None to delete); value edits keep the statement's own text
    around the rewritten value."""
    st = ctx.st
    out: list[tuple[ast.stmt, str | None]] = []
    for e in edits:
        if e.kind in ("delete", "lazy"):
            out.append((e.stmt, None))
        elif e.kind == "replace":
            assert e.match is not None
            m = e.match
            piece = Piece(m.node, m, [Piece(x) for x in m.inputs])
            out.append((e.stmt, f"{e.target} = {render_piece(piece, st, callee, remap)}"))
        else:
            assert e.piece is not None
            stmt_text = st.seg(e.stmt)
            a0, _ = st.span(e.stmt)
            v0, v1 = st.span(e.piece.node)
            out.append((e.stmt, stmt_text[: v0 - a0] + render_piece(e.piece, st, callee, remap) + stmt_text[v1 - a0 :]))
    return out
