"""The one import editor: which imports a translation leaves unused, which it needs, where new
ones go, and the edit that removes or adds them.

- to-tf: the Keras import aliases nothing reads any more go (:func:`drop_unused_keras_imports`),
  ``import tensorflow as tf`` and the initializer / training helpers go after the leading
  imports (:func:`insert_after_imports`); both through LibCST on the statements they touch
  (:mod:`.splice`);
- to-keras: to-tf's helpers and ``import tensorflow`` go when nothing reads them, and the Keras
  imports the new code reads are added (:func:`finish`, on the text, line by line, so that the
  lines nothing needs to touch come out byte for byte); :func:`names_read` tells which of
  ``keras`` / ``layers`` the new code reads.

Both find the end of the leading imports with :func:`import_anchor`.
"""


from __future__ import annotations

import ast
import io
import re
import tokenize

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from kerastf_xlate.edit.splice import Source, Window
from kerastf_xlate.resolve import keras_import_names
from kerastf_xlate.sources import with_newline
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
    """The last statement of the leading imports (after a docstring), if any."""
    idx = import_anchor([[s] for s in tree.body])
    last = tree.body[idx - 1] if idx else None
    return last if last is not None and _is_import(last) else None


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


# ------------------------------------------------------------------------------ to-tf (LibCST)


def _is_import(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.Import, ast.ImportFrom))


def import_anchor(lines: list[list[ast.stmt]]) -> int:
    """Index of the first top-level line (its statements) before which new imports/helpers
    go: after the leading run of docstring, ``from __future__`` and imports (top-level,
    unconditional); a line that mixes an import with anything else ends the run."""
    idx = 0
    for i, stmts in enumerate(lines):
        first = stmts[0]
        if i == 0 and len(stmts) == 1 and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            idx = 1
            continue
        if all(_is_import(stmt) for stmt in stmts):
            idx = i + 1
            continue
        break
    return idx


def unused_keras_imports(source: Source) -> list[tuple[ast.stmt, int, list[str]]]:
    """Top-level Keras import statements (with their line shift) and which of their
    aliases nothing reads any more."""
    imports = [(stmt, shift, names) for stmt, shift in source.statements() if (names := keras_import_names(stmt))]
    loads = source.names_loaded({n for _, _, names in imports for n in names})
    out = []
    for stmt, shift, names in imports:
        unused = [n for n in names if n not in loads]
        if unused:
            out.append((stmt, shift, unused))
    return out


class _DropAliases(cst.CSTTransformer):
    """Remove the named aliases from the given top-level import lines (whole line if empty)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, targets: dict[int, set[str]]) -> None:
        super().__init__()
        self.targets = targets  # line -> bound names to drop

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
        line = self.get_metadata(PositionProvider, original).start.line
        drop = self.targets.get(line)
        if not drop or len(updated.body) != 1:
            return updated
        stmt = updated.body[0]
        if not isinstance(stmt, (cst.Import, cst.ImportFrom)) or isinstance(stmt.names, cst.ImportStar):
            return updated

        def bound(alias: cst.ImportAlias) -> str:
            if alias.asname is not None:
                return alias.asname.name.value  # type: ignore[union-attr]
            code = cst.Module([]).code_for_node(alias.name)
            return code.split(".")[0]

        keep = [a for a in stmt.names if bound(a) not in drop]
        if not keep:
            return cst.RemovalSentinel.REMOVE
        if len(keep) == len(stmt.names):
            return updated
        keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(body=[stmt.with_changes(names=keep)])


def drop_unused_keras_imports(source: Source) -> None:
    """Remove the Keras import aliases nothing reads any more (whole lines when empty)."""
    found = unused_keras_imports(source)
    if not found:
        return
    targets = {stmt.lineno + shift: set(names) for stmt, shift, names in found}

    def edit(module: cst.Module, window: Window) -> cst.Module:
        local = {ln: names for line, names in targets.items() if (ln := window.local(line))}
        return MetadataWrapper(module, unsafe_skip_copy=True).visit(_DropAliases(local))

    source.rewrite({g for line in targets if (g := source.group_at(line)) is not None}, edit)


def _blank_lines(n: int) -> list[cst.EmptyLine]:
    return [cst.EmptyLine() for _ in range(n)]


def insert_after_imports(source: Source, block: str) -> None:
    """Insert top-level statements after the leading imports (LibCST keeps the rest as is).

    Blank lines follow PEP 8: none before the block at the top of a file, two between a
    function or class and its neighbours.
    """
    # groups, not ast statements: LibCST's body has one statement per line (`import a; import b`)
    idx = import_anchor([g.nodes for g in source.groups])
    n = len(source.groups)

    def edit(module: cst.Module, window: Window) -> cst.Module:
        return _insert(module, window.body_position(idx) if idx < n else len(module.body), block)

    source.rewrite({min(idx, n - 1)} if n else {0}, edit)


def _insert(module: cst.Module, idx: int, block: str) -> cst.Module:
    """``module`` with ``block``'s statements inserted before ``module.body[idx]``."""
    parsed = cst.parse_module(with_newline(block, module.default_newline))
    new_body = list(parsed.body)
    body = list(module.body)
    if not new_body:
        return module
    first_leading = [ln for ln in list(parsed.header) + list(new_body[0].leading_lines) if ln.comment is not None]
    if idx and isinstance(new_body[0], (cst.ClassDef, cst.FunctionDef)):
        first_leading = _blank_lines(2) + first_leading
    new_body[0] = new_body[0].with_changes(leading_lines=first_leading)
    if idx < len(body):
        nxt = body[idx]
        comments = [ln for ln in nxt.leading_lines if ln.comment is not None]
        want = 2 if isinstance(nxt, (cst.ClassDef, cst.FunctionDef)) or isinstance(new_body[-1], (cst.ClassDef, cst.FunctionDef)) else 1
        body[idx] = nxt.with_changes(leading_lines=_blank_lines(want) + comments)
    header = list(module.header)
    if idx == 0:
        # keep the file's header comments (shebang, encoding, license) above the new code,
        # without the blank lines that belonged to a removed first statement
        while header and header[0].comment is None:
            header.pop(0)
        while header and header[-1].comment is None:
            header.pop()
        if header:
            header.append(cst.EmptyLine())
    return module.with_changes(body=body[:idx] + new_body + body[idx:], header=header)


def names_read(fragments: list[str], names: tuple[str, ...] = ("keras", "layers")) -> set[str]:
    """Which of ``names`` new code reads as ``name.attr`` (its code tokens: not in strings or
    comments); a fragment the tokenizer rejects is read as text."""
    found: set[str] = set()
    for text in fragments:
        try:
            toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                    if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)]
        except (tokenize.TokenError, IndentationError, SyntaxError):
            found |= {n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}\.", text)}
            continue
        for i, tok in enumerate(toks):
            if (tok.type == tokenize.NAME and tok.string in names and i + 1 < len(toks) and toks[i + 1].string == "."
                    and (i == 0 or toks[i - 1].string != ".")):
                found.add(tok.string)
    return found
