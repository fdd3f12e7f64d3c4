"""Statement sequences that are one layer application as a whole.

Some layers are written as several statements with temporaries of their own (what
``xlate to-tf`` writes for a merge of inputs of different ranks, for example): a *sequence
idiom* is a function ``(ctx, stmts, i) -> (target, Match) | None`` that recognises such a
sequence ending at ``stmts[i]``. The match lists the earlier statements of the sequence in
``absorbed``; :class:`.body.BodyRewriter` deletes them and writes ``target = layer(...)``
where ``stmts[i]`` stood, after checking that nothing after the sequence reads one of its
temporaries. Register one with :func:`sequence_idiom`.
"""

from __future__ import annotations

import ast
from typing import Callable

from kerastf_xlate.layerkit.recognise import MatchCtx
from kerastf_xlate.layerkit.recognise import Match

SequenceIdiom = Callable[[MatchCtx, list[ast.stmt], int], "tuple[str, Match] | None"]
SEQUENCES: list[SequenceIdiom] = []


def sequence_idiom(fn: SequenceIdiom) -> SequenceIdiom:
    """Register a sequence idiom (tried in registration order)."""
    SEQUENCES.append(fn)
    return fn


def stored_names(stmts: list[ast.stmt]) -> set[str]:
    return {n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


def loaded_names(stmts: list[ast.stmt]) -> set[str]:
    return {n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def find_sequence(ctx: MatchCtx, stmts: list[ast.stmt], i: int) -> tuple[str, Match] | None:
    """The first registered idiom that matches the sequence ending at ``stmts[i]`` and whose
    temporaries are not read after it."""
    for idiom in SEQUENCES:
        got = idiom(ctx, stmts, i)
        if got is None:
            continue
        target, m = got
        temporaries = stored_names(m.absorbed + [stmts[i]]) - {target}
        if temporaries & loaded_names(stmts[i + 1:]):
            continue
        return got
    return None


# the idioms register themselves on import
from kerastf_xlate.tokeras import merges  # noqa: E402,F401
from kerastf_xlate.tokeras import attention  # noqa: E402,F401
from kerastf_xlate.tokeras import norm_extra, preprocessing  # noqa: E402,F401
