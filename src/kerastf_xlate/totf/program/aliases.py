"""Keras modules bound to a name by assignment: ``K = keras.backend`` (the book notebooks'
``K = tf.keras.backend``).

An import alias (``from keras import backend as K``) is followed by the resolver, so ``K.epsilon()``
is ``keras.backend.epsilon`` and the program form translates it from the keras_api table. An
assignment is not an import: the resolver sees ``tf.keras.backend`` used as a value (which has
no TensorFlow translation) and ``K.get_value(...)`` as a call on some local name. This module
reads such an assignment as the alias it is, when nothing else can be meant:

- the statement is a top-level ``name = <keras.backend>`` (no other target; a notebook may
  repeat it in several cells);
- the name is bound nowhere else in the file (no other assignment, parameter, loop variable,
  import, function or class of that name, in any scope);
- every read of the name (if any) is an attribute of it (``K.set_value``; not ``K`` passed on,
  compared, or called) naming a function of ``keras.backend``.

Each ``K.<function>`` then becomes a :class:`Ref` of ``keras.backend.<function>`` (translated,
or kept with its reason, like an imported one), and the assignment statement goes once the
functions are translated, as a Keras import does.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from kerastf_xlate.totf.program.names import Ref, bound_name, canonical

_MODULES = ("keras.backend",)


@dataclass(frozen=True)
class ModuleAlias:
    """``name = <module>`` read as an alias: the statement, the reference on its right-hand
    side, and the references made of the name's uses."""

    name: str
    statements: tuple[tuple[ast.Assign, Ref], ...]  # each `name = <module>` and the module reference in it
    uses: tuple[Ref, ...]


def module_aliases(tree: ast.Module, refs: list[Ref]) -> list[ModuleAlias]:
    """The module aliases of the file (see the module docstring)."""
    values = {id(r.node): r for r in refs if r.name in _MODULES and r.role == "value"}
    candidates: dict[str, list[tuple[ast.Assign, Ref]]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and id(stmt.value) in values:
            candidates.setdefault(stmt.targets[0].id, []).append((stmt, values[id(stmt.value)]))
    if not candidates:
        return []
    bindings: dict[str, int] = {}
    parents: dict[int, ast.AST] = {}
    for n in ast.walk(tree):
        for c in ast.iter_child_nodes(n):
            parents[id(c)] = n
        bound = bound_name(n)
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            for name in n.names:
                bindings[name] = bindings.get(name, 0) + 2  # rebound somewhere: not an alias
        if bound is not None:
            bindings[bound] = bindings.get(bound, 0) + 1
    out = []
    for name, statements in candidates.items():
        module = statements[0][1].name
        if bindings.get(name) != len(statements) or any(ref.name != module for _, ref in statements):
            continue
        # as spelled (`tf.keras.backend` or Keras's own `keras.backend`, which Keras 3 strips of
        # Keras 2's functions): the uses' qualified names say which (keras2.spelled)
        spelled = statements[0][1].qualname
        origin = spelled if all(ref.qualname == spelled for _, ref in statements) else module
        uses: list[Ref] = []
        follows = True
        for n in ast.walk(tree):
            if not (isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)):
                continue
            parent = parents.get(id(n))
            qual = f"{origin}.{parent.attr}" if isinstance(parent, ast.Attribute) and parent.value is n else None
            canon = canonical(qual) if qual is not None and isinstance(parent, ast.Attribute) \
                and isinstance(parent.ctx, ast.Load) else None
            if canon is None:
                follows = False
                break
            call = parents.get(id(parent))
            is_call = isinstance(call, ast.Call) and call.func is parent
            uses.append(Ref(parent, qual, canon, call if is_call else None, "call" if is_call else "value"))  # type: ignore[arg-type]
        if follows:  # (a name never read: the assignment goes all the same)
            out.append(ModuleAlias(name, tuple(statements), tuple(uses)))
    return out
