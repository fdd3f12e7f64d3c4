"""Cells are read the way IPython reads them, checked against IPython itself.

For each cell (hand-written forms, then generated ones), ``kerastf_xlate.ipysyntax.read_cell``
masks the IPython-only lines; IPython's ``TransformerManager().transform_cell`` (the static
transformations every cell gets) rewrites them into ``get_ipython()...`` calls. Both results
are parsed and normalised: every ``get_ipython()`` call and every placeholder becomes one
marker, runs of marker statements become one. The two trees must be equal: the same Python
statements, the same ones IPython-only, and where IPython's output does not parse, ours does
not either. One-line cells also go through the prefilter (``InteractiveShell.transform_cell``)
for automagic. IPython is a test dependency only.
"""

from __future__ import annotations

import ast
import textwrap

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kerastf_xlate.ipysyntax import PYTHON_CELL_MAGICS, read_cell, restore

IPython = pytest.importorskip("IPython")
from IPython.core.inputtransformer2 import (  # noqa: E402
    TransformerManager,
    classic_prompt,
    ipython_prompt,
    leading_empty_lines,
    leading_indent,
)

MAGIC = "__IPYTHON__"


@pytest.fixture(autouse=True)
def _autocall_escapes_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    """IPython rewrites ``/f a``, ``,f a`` and ``;f a`` into plain calls ``f(a)``; to see
    which statements came from those escapes, they become get_ipython() calls here too."""
    import IPython.core.inputtransformer2 as it2

    for escape in ("/", ",", ";"):
        monkeypatch.setitem(it2.tr, escape, "get_ipython().autocall({!r})".format)


class _Normalise(ast.NodeTransformer):
    """get_ipython() calls (and our placeholders) -> one name; runs of them -> one statement."""

    def __init__(self, masked: set[int]) -> None:
        self.masked = masked  # 1-based lines of our placeholders

    def visit_Call(self, node: ast.Call) -> ast.AST:
        f = node.func
        while isinstance(f, (ast.Attribute, ast.Call)):
            f = f.value if isinstance(f, ast.Attribute) else f.func
        if isinstance(f, ast.Name) and f.id == "get_ipython":
            return ast.Name(MAGIC, ast.Load())
        return self.generic_visit(node)

    def visit_Pass(self, node: ast.Pass) -> ast.AST:
        return ast.Expr(ast.Name(MAGIC, ast.Load())) if node.lineno in self.masked else node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if node.lineno in self.masked and isinstance(node.value, ast.Constant) and node.value.value is None:
            node.value = ast.Name(MAGIC, ast.Load())
            return node
        return self.generic_visit(node)

    visit_AnnAssign = visit_Assign  # type: ignore[assignment]

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for name in ("body", "orelse", "finalbody"):
            stmts = getattr(node, name, None)
            if isinstance(stmts, list):
                out: list[ast.stmt] = []
                for s in stmts:
                    if _is_marker(s) and out and _is_marker(out[-1]):
                        continue
                    out.append(s)
                setattr(node, name, out)
        return node


def _is_marker(s: ast.AST) -> bool:
    return isinstance(s, ast.Expr) and isinstance(s.value, ast.Name) and s.value.id == MAGIC


def _normal(code: str, masked: set[int] = frozenset()) -> str | None:  # type: ignore[assignment]
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    return ast.dump(_Normalise(set(masked)).visit(tree))


def _ipython(cell: str) -> tuple[str, str | None]:
    """(kind, normalised Python) as IPython reads the cell."""
    lines = cell.splitlines(keepends=True)
    lines = leading_indent(leading_empty_lines(lines))
    if classic_prompt(lines) != lines or ipython_prompt(lines) != lines:
        return "prompt", None
    if lines and lines[0].startswith("%%") and not lines[0][2:].split(" ")[0].rstrip().endswith("?"):
        name = lines[0][2:].rstrip().partition(" ")[0]
        if name not in PYTHON_CELL_MAGICS:
            return "foreign", None
        try:
            body = TransformerManager().transform_cell("".join(lines[1:]))
        except SyntaxError:  # IPython's tokenizer gives up (e.g. IndentationError): not valid
            return "python", None
        return "python", _normal(f"get_ipython().run_cell_magic({name!r})\n" + body)
    try:
        return "python", _normal(TransformerManager().transform_cell(cell))
    except SyntaxError:
        return "python", None


def _ours(cell: str) -> tuple[str, str | None]:
    reading = read_cell(cell)
    assert restore(reading.code, reading) == cell or reading.kind != "python", "restore() must give the cell back"
    if reading.kind != "python":
        return reading.kind, None
    assert len(reading.code.splitlines()) == len(cell.splitlines()), "the same lines"
    return "python", _normal(reading.code, {i + 1 for i in reading.originals})


def _ipython7(cell: str) -> tuple[str, str | None]:
    """(kind, normalised Python) as IPython 7 read a cell whose first line is indented: its
    ``leading_indent`` removed the first line's indentation from each line starting with it
    (IPython 9.1 and later remove the indentation common to every line)."""
    lines = cell.splitlines(keepends=True)
    first = next((ln for ln in lines if ln.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return "python", None
    return _ipython("".join(ln[len(indent):] if ln.startswith(indent) else ln for ln in lines))


def check(cell: str) -> None:
    ours, ipython = _ours(cell), _ipython(cell)
    if ipython == ("python", None) and ours[1] is not None:
        # not Python for IPython 9.1 and later, Python for IPython 7 to 9.0: read as IPython 7 read it
        # (ipysyntax.read_cell), and written back so that each reads it as before
        assert ours == _ipython7(cell), cell
        return
    assert ours == ipython, cell


# ------------------------------------------------------------------------------ the forms, one by one

FORMS = {
    "line magic": "%matplotlib inline\nimport numpy as np\n",
    "line magic with arguments": "%load_ext autoreload\n%autoreload 2\nx = 1\n",
    "line magic inside a block": "for i in range(2):\n    %time y = i * 2\nprint(y)\n",
    "magic assignment": "t = %timeit -o sum(range(10))\nprint(t)\n",
    "shell line": "!pip install -q tensorflow\nimport tensorflow as tf\n",
    "shell capture": "!!ls\nx = 1\n",
    "shell assignment": "files = !ls *.csv\nprint(len(files))\n",
    "shell with continuation": "!pip install \\\n    keras \\\n    numpy\nimport keras\n",
    "shell with continuation, indented": "if True:\n    !echo a \\\n  b\n    x = 1\n",
    "help after a name": "import numpy as np\nnp.zeros?\n",
    "help with ??": "np.linalg.norm??\n",
    "help before a name": "?np.zeros\n",
    "help on a magic": "%timeit?\n",
    "help at the end of an assignment": "a = b?\n",
    "not help: ? inside a triple-quoted string": 'doc = """What does this do?\nAnd this?\n"""\nprint(doc)\n',
    "not help: ? in a comment": "x = 1  # why?\n",
    "first line alone indented (IPython 7's reading)": " def f():\n    x = 1\n    return x\n\ny = f()\n",
    # (found by the generated cells below: a later line with the first line's margin, after one at
    # column 0, came back without it)
    "first line indented, a line at column 0, then the margin again": "  y = 1\nx = 1\n  y = 1\n",
    "first line alone indented, a magic in the block": "  def f():\n      %time x = 1\n      return x\nf()\n",
    "not help: ? then a space": "x? \n",
    "not a magic: % and ! inside a string": 's = """\n%matplotlib\n!ls\n"""\n',
    "not a magic: %( inside open brackets": 'label = ("%s items"\n         %(3,))\nprint(label)\n',
    "not a magic: % continuing a line": 'label = "%d" \\\n    % 3\n',
    "cell indented by one space": " import os\n x = os.getcwd()\n print(x)\n",
    "cell indented by a tab": "\tx = 1\n\tif x:\n\t\ty = 2\n",
    "indented cell with a magic": "  %time x = 1\n  y = x\n",
    "leading blank lines": "\n\n%matplotlib inline\nx = 1\n",
    "autocall escapes": "/print 1 2\n,print a b\n;print a b\n",
    "cell magic, Python body": "%%time\nimport keras\nm = keras.Sequential()\n",
    "cell magic after blank lines": "\n%%capture out\nx = 1\n",
    "cell magic with options": "%%timeit -n 1 -r 1\nsum(range(10))\n",
    "cell magic with magics in its body": "%%time\n%matplotlib inline\n!ls\nx = 1\n",
    "cell magic, not Python": "%%bash\necho hello\nls -la\n",
    "cell magic writefile": "%%writefile model.py\nimport keras\n",
    "indented cell magic": " %%time\n x = 1\n",
    "invalid Python": "def f(:\n    pass\n",
    "invalid after a magic": "%time x = 1\ny = = 2\n",
    "pasted session": ">>> x = 1\n>>> print(x)\n",
    "ipython prompt": "In [1]: x = 1\n",
    "no trailing newline": "%matplotlib inline\nx = 1",
}


@pytest.mark.parametrize("cell", list(FORMS.values()), ids=list(FORMS))
def test_form_reads_as_ipython_reads_it(cell: str) -> None:
    check(cell)


# ------------------------------------------------------------------------------ automagic

AUTOMAGIC = {
    "pip install x": True,
    "ls -la /tmp": False,  # valid Python (ls - la / tmp): kept as Python, see below
    "cd ..": True,
    "ls data/*.csv": True,
    "pip install tensorflow==2.16": True,
    "ls = 3": False,
    "pwd": False,
    "x = 1": False,
    "pip install x\ny = 1": False,  # two lines: no automagic (and not Python: a broken cell)
    "cd ..\n\n": False,  # a trailing blank line makes two lines for IPython too
}


@pytest.mark.parametrize("cell, masked", list(AUTOMAGIC.items()))
def test_automagic_only_in_one_line_cells_that_are_not_python(cell: str, masked: bool) -> None:
    """IPython's prefilter (InteractiveShell.transform_cell) runs ``word args`` as ``%word``
    in a one-line cell when ``word`` is a magic. We do the same where the line is not Python;
    a line that is Python (``pwd``, ``ls -la``) stays Python: translating never touches it."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    reading = read_cell(cell)
    assert bool(reading.originals) == masked, reading
    ipython_magic = "get_ipython()" in shell.transform_cell(cell)
    if masked:
        assert ipython_magic
    elif ipython_magic:  # the one deliberate difference: valid Python stays Python
        compile(cell, "<cell>", "exec")


def test_automagic_names_are_ipython_magics() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from kerastf_xlate.ipysyntax import AUTOMAGICS

    line_magics = set(InteractiveShell.instance().magics_manager.lsmagic()["line"])
    kernel_only = {"autosave", "clear", "connect_info", "less", "man", "more", "qtconsole"}  # ipykernel's
    assert line_magics - AUTOMAGICS == set()
    assert AUTOMAGICS - line_magics <= kernel_only


# ------------------------------------------------------------------------------ generated cells

PYTHON = [
    "x = 1", "model = keras.Sequential()", "print(x)", "y = (1 +\n     2)", "if x:\n    y = 1\nelse:\n    y = 2",
    'doc = """What does this do?\n%(name)s\n!bang\n"""', "s = 'a %s' \\\n    % (b,)", "t = ('a %s'\n     %(b))",
    "# a comment?", "f(x)  # what?", "a = b % c", "d = {'k': [1, 2]}", "def f(v):\n    return v * 2",
    "class A:\n    n = 1", "z = x if y else w", "l = [i for i in range(3)]", "assert x, 'why?'",
]
IPYTHON = [
    "%matplotlib inline", "%time y = f(x)", "%load_ext autoreload", "!pip install -q tensorflow",
    "!ls -la \\\n  /tmp", "!!ls", "files = !ls", "t = %timeit -o f()", "model.summary?", "np.zeros??",
    "?np", "%pinfo x", "/print 1", ",f a b", ";f a b", "for i in range(2):\n    !echo {i}",
    "if True:\n    %time y = 1", "x = y?", "%%time?",
]
BROKEN = ["def f(:", "x = = 1", "x?? ", "print 'a'", "  y = 1"]
HEADERS = ["", "%%time\n", "%%capture out\n", "%%timeit -n1 -r1\n", "%%bash\n", "%%writefile f.py\n", "\n%%time\n",
           "%%prun -q\n"]


@st.composite
def cells(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(PYTHON + IPYTHON + BROKEN), min_size=1, max_size=5))
    body = "\n".join(parts) + draw(st.sampled_from(["\n", "", "\n\n"]))
    body = draw(st.sampled_from(["", "\n", "\n\n"])) + body
    header = draw(st.sampled_from(HEADERS))
    cell = header + body
    indent = draw(st.sampled_from(["", " ", "  ", "    ", "\t"]))
    if indent:
        cell = textwrap.indent(cell, indent)
    return cell


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells())
def test_generated_cells_read_as_ipython_reads_them(cell: str) -> None:
    # IPython reads a cell whose unclosed bracket (`def f(:`) precedes a last line ending in `?`
    # as that help request alone (its tokenizer is still inside the bracket); xlate reads the
    # cell as not parsing and leaves it as it is, which changes nothing the user runs
    assume(not ("def f(:" in cell and cell.rstrip().endswith("?")))
    check(cell)
