"""Imports after a translation: add Keras, drop TensorFlow and to-tf's helpers when unused.

Edits are made on the text of the whole file after the translation, line by line, so that
the lines nothing needs to touch come out byte for byte.
"""

from __future__ import annotations

import ast

from kerastf_xlate.syntax import SourceText

HELPERS = ("_fans", "_variance_scaling", "_variance_scaling_axes")
HELPER_COMMENT = "# Keras's default initializers, written out by xlate to-tf."


def _loads(tree: ast.AST, skip: set[int] = frozenset()) -> set[str]:  # type: ignore[assignment]
    out: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if id(node) in skip:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            out.add(node.id)
        stack.extend(ast.iter_child_nodes(node))
    return out


def finish(text: str, need_keras: bool, need_layers: bool, keras_name: str, layers_name: str | None,
           newline: str = "\n") -> str:
    """Drop unused to-tf helpers and ``import tensorflow``; add the Keras imports needed
    (lines ending in ``newline``, the file's)."""
    tree = ast.parse(text)
    st = SourceText(text)
    cuts: list[tuple[int, int, str]] = []
    # to-tf's initializer helpers, when nothing reads them any more
    helpers = [s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name in HELPERS]
    if helpers:
        skip = {id(h) for h in helpers}
        used = _loads(tree, skip)
        if not any(h.name in used for h in helpers):
            first, last = helpers[0], helpers[-1]
            start = st.starts[first.lineno - 1]
            prev = first.lineno - 2
            while prev >= 0 and (not st.lines[prev].strip() or st.lines[prev].strip() == HELPER_COMMENT):
                if st.lines[prev].strip() == HELPER_COMMENT:
                    start = st.starts[prev]
                    break
                prev -= 1
            end = st.starts[min(last.end_lineno or last.lineno, len(st.lines))]
            while end < len(text) and st.lines[_line_at(st, end)].strip() == "":
                end = st.starts[_line_at(st, end) + 1]
            cuts.append((start, end, ""))
    # import tensorflow: gone when nothing reads it
    used = _loads(tree, {id(h) for h in helpers} if cuts else set())
    tf_line: ast.stmt | None = None
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and len(stmt.names) == 1 and stmt.names[0].name == "tensorflow":
            bound = stmt.names[0].asname or "tensorflow"
            if bound not in used:
                tf_line = stmt
    add = []
    if need_keras:
        add.append("import keras" if keras_name == "keras" else f"import keras as {keras_name}")
    if need_layers and layers_name:
        add.append("from keras import layers" if layers_name == "layers" else f"from keras import layers as {layers_name}")
    block = "".join(a + newline for a in add)
    if tf_line is not None and st.owns_lines(tf_line):
        s, e = st.line_span(tf_line)
        cuts.append((s, e, block))
    elif block:
        anchor = _import_anchor(tree)
        pos = st.line_span(anchor)[1] if anchor is not None else _after_docstring(tree, st)
        cuts.append((pos, pos, block if anchor is not None or pos == 0 else block))
    for s, e, t in sorted(cuts, reverse=True):
        text = text[:s] + t + text[e:]
    return _tidy_after_imports(text, newline) if cuts else text


def _line_at(st: SourceText, offset: int) -> int:
    import bisect

    return bisect.bisect_right(st.starts, offset) - 1


def _import_anchor(tree: ast.Module) -> ast.stmt | None:
    last = None
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            last = stmt
        elif i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        else:
            break
    return last


def _after_docstring(tree: ast.Module, st: SourceText) -> int:
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant) and isinstance(tree.body[0].value.value, str):
        return st.line_span(tree.body[0])[1]
    return 0


def _tidy_after_imports(text: str, newline: str = "\n") -> str:
    """PEP 8 spacing between the leading imports and what follows them (one blank line, two
    before a class or function), as the helpers' removal may have left more or fewer."""
    tree = ast.parse(text)
    anchor = _import_anchor(tree)
    if anchor is None:
        return text
    idx = tree.body.index(anchor)
    if idx + 1 >= len(tree.body):
        return text
    nxt = tree.body[idx + 1]
    st = SourceText(text)
    end = st.line_span(anchor)[1]
    first = nxt.decorator_list[0].lineno if isinstance(nxt, (ast.FunctionDef, ast.ClassDef)) and nxt.decorator_list else nxt.lineno
    # keep comment lines that belong to the next statement
    line = first - 1
    while line - 1 >= 0 and st.lines[line - 1].lstrip().startswith("#"):
        line -= 1
    start = st.starts[line]
    between = text[end:start]
    if between.strip():
        return text
    want = newline * 2 if isinstance(nxt, (ast.FunctionDef, ast.ClassDef)) else newline
    return text[:end] + want + text[start:]
