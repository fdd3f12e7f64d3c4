"""Imports of a file in the program form: Keras imports nothing uses any more go, the
runtime block goes in after the leading imports (with ``import tensorflow as tf`` when the
file does not import it so)."""

from __future__ import annotations

import ast

from kerastf_xlate.totf.program.edits import EditList, Positions
from kerastf_xlate.totf.program.names import ROOTS


def _is_keras_module(module: str) -> bool:
    return any(module == r or module.startswith(r + ".") for r in ROOTS) or module == "tensorflow.keras"


def _used_names(tree: ast.Module) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} | {
        name for n in ast.walk(tree) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}


def _owns_lines(pos: Positions, stmt: ast.stmt) -> bool:
    first = pos.lines[stmt.lineno - 1]
    last = pos.lines[(stmt.end_lineno or stmt.lineno) - 1]
    before = first.encode("utf-8")[: stmt.col_offset].strip()
    after = last.encode("utf-8")[stmt.end_col_offset :].strip() if stmt.end_col_offset is not None else b""
    return not before and (not after or after.startswith(b"#"))


def _import_statements(tree: ast.Module) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    stack: list[ast.AST] = list(tree.body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            out.append(n)
        elif isinstance(n, ast.stmt):
            for name in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(n, name, None)
                if isinstance(block, list):
                    stack.extend(block)
    return out


def drop_unused_keras_imports(text: str) -> str:
    tree = ast.parse(text)
    pos = Positions(text)
    used = _used_names(tree)
    edits = EditList(pos)
    for stmt in _import_statements(tree):
        assert isinstance(stmt, (ast.Import, ast.ImportFrom))
        if isinstance(stmt, ast.ImportFrom):
            if stmt.level or not _is_keras_module(stmt.module or ""):
                continue
            keep = [a for a in stmt.names if a.name == "*" or (a.asname or a.name) in used]
        else:
            keep = [a for a in stmt.names if not _is_keras_module(a.name) or (a.asname or a.name.split(".")[0]) in used]
        if len(keep) == len(stmt.names) or not _owns_lines(pos, stmt):
            continue
        a = pos.offset(stmt.lineno, stmt.col_offset)
        b = pos.offset(stmt.end_lineno, stmt.end_col_offset)  # type: ignore[arg-type]
        if keep:
            names = ", ".join(k.name + (f" as {k.asname}" if k.asname else "") for k in keep)
            new = f"from {'.' * stmt.level}{stmt.module} import {names}" if isinstance(stmt, ast.ImportFrom) else f"import {names}"
            edits.replace(a, b, new)
        else:
            # the whole statement, with its line when it owns it
            start = pos.line_start(stmt.lineno)
            end_line = stmt.end_lineno or stmt.lineno
            end = pos.line_start(end_line + 1) if end_line < len(pos.lines) else len(text)
            indent = pos.lines[stmt.lineno - 1][: len(pos.lines[stmt.lineno - 1]) - len(pos.lines[stmt.lineno - 1].lstrip())]
            if _only_statement_of_block(tree, stmt):
                edits.replace(a, b, "pass")
            else:
                edits.replace(start, end, "")
            del indent
    return edits.apply()


def _only_statement_of_block(tree: ast.Module, stmt: ast.stmt) -> bool:
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block == [stmt] and not isinstance(node, ast.Module):
                return True
    return False


def _binds_tf(tree: ast.Module) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and any(a.name == "tensorflow" and a.asname == "tf" for a in stmt.names):
            return True
    return False


def _insert_line(tree: ast.Module, pos: Positions) -> int:
    """The line before which the runtime block goes: after the docstring, ``__future__``
    imports and the leading imports (notebook cell markers are skipped over)."""
    line = 1
    for stmt in tree.body:
        is_doc = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str) and stmt is tree.body[0]
        is_cell = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name) \
            and stmt.value.func.id == "__xlate_cell__"
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) or is_doc:
            line = (stmt.end_lineno or stmt.lineno) + 1
            continue
        if is_cell:
            continue
        break
    return line


def finish_imports(text: str, runtime_src: str) -> str:
    """Drop unused Keras imports, then put the runtime block in after the leading imports."""
    text = drop_unused_keras_imports(text)
    if not runtime_src:
        return text
    tree = ast.parse(text)
    pos = Positions(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    block = runtime_src
    if not _binds_tf(tree):
        block = "import tensorflow as tf\n\n" + block
    line = _insert_line(tree, pos)
    at = pos.line_start(line) if line <= len(pos.lines) else len(text)
    prefix = "" if at == 0 or text[:at].endswith(("\n", "\r")) else newline
    before = text[:at].rstrip(" \t")
    blank_before = at == 0 or before.endswith(("\n\n", "\r\n\r\n", "\r\r"))
    body = ("" if blank_before else "\n") + block.rstrip("\n") + "\n\n\n"
    if newline != "\n":
        body = body.replace("\n", newline)
    return text[:at] + prefix + body + text[at:].lstrip("\r\n") if at < len(text) else text + prefix + body
