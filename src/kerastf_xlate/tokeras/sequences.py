"""Statement sequences that are one layer application as a whole.

Some layers are written as several statements with temporaries of their own (what
``xlate to-tf`` writes for a merge of inputs of different ranks, for example): a *sequence*
recogniser (a layer family's recogniser of stage ``sequence``) is a function ``(ctx, stmts,
i) -> (target, Match) | None`` that recognises such a sequence ending at ``stmts[i]``. The
match lists the earlier statements of the sequence in ``absorbed``;
:class:`.body.BodyRewriter` deletes them and writes ``target = layer(...)`` where
``stmts[i]`` stood, after checking here that nothing after the sequence reads one of its
temporaries.
"""

from __future__ import annotations

import ast

from kerastf_xlate.layerkit.family import SEQUENCE
from kerastf_xlate.layerkit.recognise import Match, MatchCtx
from kerastf_xlate.layers import recognisers


def stored_names(stmts: list[ast.stmt]) -> set[str]:
    return {n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


def loaded_names(stmts: list[ast.stmt]) -> set[str]:
    return {n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def find_sequence(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> tuple[str, Match] | None:
    """The first sequence recogniser that matches the statements ending at ``stmts[i]`` and
    whose temporaries are not read after it."""
    for r in recognisers(SEQUENCE):
        got = r.fn(ctx, stmts, i)
        if got is None:
            continue
        target, m = got
        temporaries = stored_names(m.absorbed + [stmts[i]]) - {target}
        if temporaries & loaded_names(stmts[i + 1:]):
            continue
        return got
    return None
