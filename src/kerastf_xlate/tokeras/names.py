"""Which TensorFlow API a call names, whatever the import spelling.

``import tensorflow as tf``, ``import tensorflow``, ``from tensorflow import nn`` and
``from tensorflow.nn import relu`` all reach the same functions; the matchers ask for one
canonical spelling (``tf.nn.relu``). Synonyms (``tf.sigmoid``, ``tf.nn.sigmoid``,
``tf.math.sigmoid``) map to one name too. Module-level imports only: TensorFlow is imported
at the top of a file in practice, and a local name that shadows an import is not followed.
"""

from __future__ import annotations

import ast

from kerastf_xlate.resolve import dotted

_TF_ROOTS = ("tensorflow.compat.v2", "tensorflow")

# canonical name <- other spellings of the same function
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "tf.math.sigmoid": ("tf.sigmoid", "tf.nn.sigmoid"),
    "tf.math.tanh": ("tf.tanh", "tf.nn.tanh"),
    "tf.math.softplus": ("tf.nn.softplus",),
    "tf.nn.softsign": ("tf.math.softsign",),
    "tf.nn.silu": ("tf.nn.swish",),
    "tf.math.exp": ("tf.exp",),
    "tf.math.expm1": ("tf.expm1",),
    "tf.math.log_sigmoid": ("tf.log_sigmoid",),
    "tf.nn.log_softmax": ("tf.math.log_softmax",),
    "tf.nn.softmax": ("tf.math.softmax",),
    "tf.math.add": ("tf.add",),
    "tf.math.add_n": ("tf.add_n",),
    "tf.math.subtract": ("tf.subtract",),
    "tf.math.multiply": ("tf.multiply",),
    "tf.math.maximum": ("tf.maximum",),
    "tf.math.minimum": ("tf.minimum",),
    "tf.math.reduce_mean": ("tf.reduce_mean",),
    "tf.math.reduce_max": ("tf.reduce_max",),
    "tf.math.reduce_min": ("tf.reduce_min",),
    "tf.math.reduce_prod": ("tf.reduce_prod",),
    "tf.math.l2_normalize": ("tf.nn.l2_normalize", "tf.linalg.l2_normalize"),
    "tf.linalg.matmul": ("tf.matmul",),
    "tf.linalg.tensordot": ("tf.tensordot",),
    "tf.clip_by_value": ("tf.clip_by_value",),
    "tf.math.rsqrt": ("tf.math.rsqrt", "tf.rsqrt"),
    "tf.math.square": ("tf.square",),
}
CANONICAL: dict[str, str] = {alias: canon for canon, aliases in _SYNONYMS.items() for alias in aliases}


def canonical(name: str) -> str:
    return CANONICAL.get(name, name)


class TFNames:
    """The module-level names bound to TensorFlow, and what a call refers to."""

    def __init__(self, tree: ast.Module) -> None:
        self.bound: dict[str, str] = {}  # local name -> 'tf' / 'tf.nn' / 'tf.nn.relu'
        self.rebound: set[str] = set()
        for stmt in tree.body:
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    qual = _tf_path(a.name)
                    if qual is None:
                        continue
                    if a.asname:
                        self.bound[a.asname] = qual
                    elif a.name.split(".")[0] == "tensorflow":
                        self.bound["tensorflow"] = "tf"
            elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
                base = _tf_path(stmt.module)
                if base is None:
                    continue
                for a in stmt.names:
                    if a.name != "*":
                        self.bound[a.asname or a.name] = f"{base}.{a.name}"
        # a module-level assignment to an imported name (``tf = something``) hides it
        for stmt in tree.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name) and n.id in self.bound:
                            self.rebound.add(n.id)
            elif isinstance(stmt, (ast.FunctionDef, ast.ClassDef)) and stmt.name in self.bound:
                self.rebound.add(stmt.name)
        for name in self.rebound:
            self.bound.pop(name, None)

    @property
    def tf_alias(self) -> str | None:
        """The name ``tensorflow`` itself is bound to (``tf``), if any."""
        for local, qual in self.bound.items():
            if qual == "tf":
                return local
        return None

    def qual(self, node: ast.AST) -> str | None:
        """Canonical ``tf.`` name of a dotted expression rooted at a TensorFlow import."""
        parts = dotted(node)
        if not parts or parts[0] not in self.bound:
            return None
        return canonical(".".join([self.bound[parts[0]]] + parts[1:]))

    def call(self, node: ast.AST) -> str | None:
        """Canonical name of the function a call calls, or None."""
        if isinstance(node, ast.Call):
            return self.qual(node.func)
        return None

    def is_tf_call(self, node: ast.AST) -> bool:
        return self.call(node) is not None


def _tf_path(module: str) -> str | None:
    for root in _TF_ROOTS:
        if module == root:
            return "tf"
        if module.startswith(root + "."):
            rest = module[len(root) + 1 :]
            if rest.startswith(("keras", "compat")):
                return None
            return "tf." + rest
    return None
