"""Hostile and broken input through the real command line (a subprocess, as users and CI run
it): each bad file gets one clear ``error:`` line naming it (and its line where there is
one), the run exits 2, and the other files of the same run are still processed.

Files that are odd but valid (a BOM, an encoding cookie, CRLF or mixed line endings, tabs,
an empty file, deep expressions, 5 MB) are translated, and everything not translated comes
back byte for byte.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SNIPPET = (
    b"import keras\nfrom keras import layers\n"
    b'model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu")])\n'
)
LINT_HIT = b"import keras\nfrom keras import layers\nmask = layers.FlaxLayer()\n"  # XL101 at 3:8

XLATE = str(Path(sys.executable).with_name("xlate"))


def xlate(*args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None,
          prefix: list[str] | None = None) -> subprocess.CompletedProcess[bytes]:
    cmd = [XLATE] if os.path.exists(XLATE) else [sys.executable, "-m", "kerastf_xlate"]
    return subprocess.run([*(prefix or []), *cmd, *args], cwd=cwd, capture_output=True, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})


def err_lines(proc: subprocess.CompletedProcess[bytes]) -> list[str]:
    return proc.stderr.decode("utf-8", "replace").splitlines()


def assert_one_error(proc: subprocess.CompletedProcess[bytes], name: str, pattern: str) -> None:
    """Exactly one stderr line names ``name``; it is an ``error:`` line matching ``pattern``."""
    lines = [ln for ln in err_lines(proc) if name in ln]
    assert len(lines) == 1, f"{name}: expected one line, got {lines!r}\nstderr:\n{proc.stderr.decode()}"
    assert lines[0].startswith("error: "), lines[0]
    assert re.search(pattern, lines[0]), f"{lines[0]!r} does not match {pattern!r}"


def assert_no_traceback(proc: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()


TRANSLATORS = ["to-tf", "to-keras"]


def _newer_python_source() -> tuple[bytes, str] | None:
    """Valid only for a Python newer than this one: (source, feature)."""
    v = sys.version_info[:2]
    if v < (3, 12):
        return b"type Alias = int\n", "PEP 695 type statement (3.12)"
    if v < (3, 13):
        return b"def f[T = int]():\n    pass\n", "PEP 696 type parameter default (3.13)"
    if v < (3, 14):
        return b"try:\n    pass\nexcept ValueError, TypeError:\n    pass\n", "PEP 758 except without parentheses (3.14)"
    return None


# name -> (bytes, pattern of its error line)
BROKEN: dict[str, tuple[bytes, str]] = {
    "syntax_error.py": (b"x = 1\ndef f(:\n    pass\n", r"syntax_error\.py:2:\d+: syntax error"),
    "python2.py": (b'import os\nprint "hello"\n', r"python2\.py:2:\d+: syntax error: .*Python 2"),
    "null_byte.py": (b"x = 1\ny = 2\x00\n", r"null_byte\.py:2:\d+: source contains a null byte"),
    "bad_utf8.py": (b'x = "\xff"\n', r"bad_utf8\.py:1:\d+: cannot decode as utf-8: invalid byte 0xff"),
    "bad_utf8_later.py": (b"x = 1\ny = 2\nz = '\xc3\x28'\n", r"bad_utf8_later\.py:3:\d+: cannot decode as utf-8"),
    "bad_cookie.py": (b"# -*- coding: no-such-codec -*-\nx = 1\n", r"bad_cookie\.py: .*encoding.*no-such-codec"),
    "too_many_parens.py": (b"x = " + b"(" * 1000 + b"1" + b")" * 1000 + b"\n", r"too_many_parens\.py:1:\d+: syntax error: too many nested parentheses"),
    # deeper than the nesting guard: LibCST would overflow the C stack (SIGSEGV) here
    "too_deep.py": (SNIPPET + b"y = 1" + b" + 1" * 8000 + b"\n", r"too_deep\.py:4:\d+: nested more than \d+ levels deep"),
}
_NEWER = _newer_python_source()
if _NEWER is not None:
    BROKEN["newer_python.py"] = (_NEWER[0], r"newer_python\.py:\d+:\d+: syntax error")


def write_broken(directory: Path) -> None:
    for name, (data, _) in BROKEN.items():
        (directory / name).write_bytes(data)


# ----------------------------------------------------------------------- broken source files


def test_broken_files_lint(tmp_path: Path) -> None:
    """lint, with the default worker processes (12 files): one line each, the rest linted."""
    write_broken(tmp_path)
    (tmp_path / "hit.py").write_bytes(LINT_HIT)
    (tmp_path / "good.py").write_bytes(SNIPPET)
    proc = xlate("lint", *sorted(os.listdir(tmp_path)), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr.decode()
    assert_no_traceback(proc)
    for name, (_, pattern) in BROKEN.items():
        assert_one_error(proc, name, pattern)
    assert "hit.py:3:8: XL101" in proc.stdout.decode()  # the good file of the same run was linted
    assert len(err_lines(proc)) == len(BROKEN)


def test_broken_files_lint_single_process(tmp_path: Path) -> None:
    write_broken(tmp_path)
    (tmp_path / "hit.py").write_bytes(LINT_HIT)
    proc = xlate("lint", "-j", "1", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    for name, (_, pattern) in BROKEN.items():
        assert_one_error(proc, name, pattern)
    assert "hit.py:3:8: XL101" in proc.stdout.decode()


@pytest.mark.parametrize("command", TRANSLATORS)
def test_broken_files_translate(tmp_path: Path, command: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_broken(src)
    (src / "good.py").write_bytes(SNIPPET)
    proc = xlate(command, "src", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr.decode()
    assert_no_traceback(proc)
    for name, (_, pattern) in BROKEN.items():
        assert_one_error(proc, name, pattern)
        assert not (tmp_path / "out" / name).exists(), f"{name} was written although it could not be read"
        assert (src / name).read_bytes() == BROKEN[name][0]
    out = (tmp_path / "out" / "good.py").read_bytes()  # the good file of the same run was processed
    if command == "to-tf":
        assert b"class Model(tf.Module)" in out
    else:
        assert out == SNIPPET


@pytest.mark.parametrize("command", TRANSLATORS)
def test_broken_files_in_place_untouched(tmp_path: Path, command: str) -> None:
    write_broken(tmp_path)
    (tmp_path / "good.py").write_bytes(SNIPPET)
    proc = xlate(command, "--in-place", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    for name, (data, _) in BROKEN.items():
        assert (tmp_path / name).read_bytes() == data
    if command == "to-tf":
        assert b"tf.Module" in (tmp_path / "good.py").read_bytes()
    assert not list(tmp_path.glob("*.xlate-tmp")) and not list(tmp_path.glob(".*.xlate-tmp"))


# --------------------------------------------------------- odd but valid: kept byte for byte


def test_bom_is_kept(tmp_path: Path) -> None:
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + SNIPPET)
    proc = xlate("to-tf", "bom.py", "-o", "out.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    out = (tmp_path / "out.py").read_bytes()
    assert out.startswith(b"\xef\xbb\xbf") and not out.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    assert b"class Model(tf.Module)" in out
    compile(out, "out.py", "exec")
    assert xlate("lint", "bom.py", cwd=tmp_path).returncode == 0


def test_latin1_cookie_is_kept(tmp_path: Path) -> None:
    data = b"# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\n" + SNIPPET + b"s = '\xe9t\xe9'\n"
    (tmp_path / "latin.py").write_bytes(data)
    proc = xlate("to-tf", "latin.py", "-o", "out.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    out = (tmp_path / "out.py").read_bytes()
    assert out.startswith(b"# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\n")
    assert b"s = '\xe9t\xe9'\n" in out
    assert b"\xc3" not in out, "re-encoded as UTF-8"
    assert "class Model(tf.Module)" in out.decode("latin-1")
    compile(out, "out.py", "exec")
    assert xlate("lint", "latin.py", cwd=tmp_path).returncode == 0


def test_crlf_and_mixed_line_endings_are_kept(tmp_path: Path) -> None:
    crlf = (b"import keras\r\nfrom keras import layers\r\na = 1\r\nb = 2\r\n" + SNIPPET.splitlines()[-1] + b"\r\nc = 3\r\nd = 4\r\n")
    mixed = (b"import keras\nfrom keras import layers\r\na = 1\r\nb = 2\nc = 3\r\n" + SNIPPET.splitlines()[-1] + b"\nd = 4\r\ne = 5\nf = 6\r\n")
    (tmp_path / "crlf.py").write_bytes(crlf)
    (tmp_path / "mixed.py").write_bytes(mixed)
    proc = xlate("to-tf", "crlf.py", "mixed.py", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    out = (tmp_path / "out" / "crlf.py").read_bytes()
    assert b"a = 1\r\nb = 2\r\n" in out and b"c = 3\r\nd = 4\r\n" in out and b"tf.Module" in out
    assert out.count(b"\n") == out.count(b"\r\n"), "a CRLF file got LF lines"
    out = (tmp_path / "out" / "mixed.py").read_bytes()
    assert b"a = 1\r\nb = 2\nc = 3\r\n" in out and b"d = 4\r\ne = 5\nf = 6\r\n" in out and b"tf.Module" in out
    for data in (crlf, mixed):
        compile(data, "x.py", "exec")
    assert xlate("lint", "crlf.py", "mixed.py", cwd=tmp_path).returncode == 0


def test_tabs(tmp_path: Path) -> None:
    data = (b"import keras\nfrom keras import layers\n\nif True:\n"
            b'\tmodel = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu")])\n'
            b"\ty = model(x)\n\nclass A:\n\tdef f(self):\n\t\treturn 1\n")
    (tmp_path / "tabs.py").write_bytes(data)
    proc = xlate("to-tf", "tabs.py", "-o", "out.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    out = (tmp_path / "out.py").read_bytes()
    compile(out, "out.py", "exec")
    assert b"\tclass Model(tf.Module):\n" in out
    assert out.endswith(b"\ty = model(x)\n\nclass A:\n\tdef f(self):\n\t\treturn 1\n")


def test_empty_and_blank_files(tmp_path: Path) -> None:
    files = {"empty.py": b"", "blank.py": b"\n\n   \n", "comment.py": b"# only a comment", "no_newline.py": SNIPPET.rstrip(b"\n")}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    proc = xlate("to-tf", *files, "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    for name, data in files.items():
        out = (tmp_path / "out" / name).read_bytes()
        if name == "no_newline.py":
            assert b"tf.Module" in out
            compile(out, name, "exec")
        else:
            assert out == data
    assert xlate("lint", *files, cwd=tmp_path).returncode == 0


DEEP_1000 = {
    "binop": b"1" + b" + 1" * 1000,
    "unary": b"-" * 1000 + b"1",
    "not": b"not " * 1000 + b"x",
    "ifexp": b"1 if x else " * 1000 + b"1",
    "attribute": b"x" + b".a" * 1000,
    "subscript": b"x" + b"[0]" * 1000,
    "call": b"f" + b"()" * 1000,
    "lambda": b"lambda: " * 1000 + b"1",
    "power": b"2" + b" ** 2" * 1000,
    "strings": b" + ".join([b"'a'"] * 1000),
}


def test_1000_level_nested_expressions(tmp_path: Path) -> None:
    """1,000 levels: translated around, and the deep line comes back as it was."""
    for kind, expr in DEEP_1000.items():
        (tmp_path / f"deep_{kind}.py").write_bytes(SNIPPET + b"y = " + expr + b"\n")
    names = sorted(os.listdir(tmp_path))
    proc = xlate("lint", *names, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    proc = xlate("to-tf", *names, "-o", "out", cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    for kind, expr in DEEP_1000.items():
        out = (tmp_path / "out" / f"deep_{kind}.py").read_bytes()
        assert b"class Model(tf.Module)" in out, kind
        assert out.endswith(b"\ny = " + expr + b"\n"), kind


@pytest.mark.slow
def test_five_megabyte_file(tmp_path: Path) -> None:
    """5 MB (Keras imported and used in a way to-tf keeps, XL301): linted and translated
    (unchanged), with the other file of the run."""
    big = tmp_path / "big.py"
    with big.open("wb") as fh:
        fh.write(b"import keras\nfrom keras import layers\nlayer = layers.Dense(3)\n"
                 b"keras.mixed_precision.set_global_policy('mixed_float16')\n")
        i = 0
        while fh.tell() < 5 * 1024 * 1024:
            fh.write(b"x_%d = [1, 2.5, 'abcdefghijklmnopqrstuvwxyz', {'k': (4, 5)}, None]  # padding\n" % i)
            i += 1
    (tmp_path / "good.py").write_bytes(SNIPPET)
    proc = xlate("lint", "big.py", "good.py", cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    proc = xlate("to-tf", "big.py", "good.py", "-o", "out", cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    unchanged = (tmp_path / "out" / "big.py").read_bytes() == big.read_bytes()
    assert unchanged, "big.py changed"  # (a failing `==` on the bytes would print 5 MB)
    assert b"tf.Module" in (tmp_path / "out" / "good.py").read_bytes()


@pytest.mark.slow
def test_five_megabyte_file_with_a_model(tmp_path: Path) -> None:
    """A model followed by 5 MB of other code: the model is translated and the 5 MB come
    out byte for byte. How long it takes is measured by bench/run.py (section ``big``);
    the timeout here only guards against a hang."""
    padding = bytearray()
    i = 0
    while len(SNIPPET) + len(padding) < 5 * 1024 * 1024:
        padding += b"x_%d = [1, 2.5, 'abcdefghijklmnopqrstuvwxyz', {'k': (4, 5)}, None]  # padding\n" % i
        i += 1
    (tmp_path / "big.py").write_bytes(SNIPPET + padding)
    proc = xlate("to-tf", "--check", "big.py", cwd=tmp_path, timeout=600)
    assert proc.returncode == 1, proc.stderr.decode()
    assert "would translate big.py" in err_lines(proc)
    proc = xlate("to-tf", "big.py", "-o", "out.py", cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()
    out = (tmp_path / "out.py").read_bytes()
    assert b"\nclass Model(tf.Module):\n" in out
    assert out.endswith(b"\nmodel = Model()\n" + padding)
    ast.parse(out)


HELPER_MODEL = b'''import keras
from keras import layers


def build(units=8):
    # the encoder
    inputs = keras.Input(shape=(4,))
    x = layers.Dense(units, activation="relu")(inputs)  # hidden
    outputs = layers.Dense(2)(x)
    return keras.Model(inputs, outputs)


net = build()
'''
# Code after the model that makes cutting the file hard: lines at column 0 inside strings
# and brackets, decorators, backslash continuations, comments closing an indented block.
AWKWARD = b'''
@register
def helper_%d(a, b=(1,
2)):
    """Lines that look like statements:
x = 1
def f():
    """
    if a:
        return b
    # closes helper_%d
        # deeper

value_%d = helper_%d(1) + \\
    2
class Holder_%d:
    items = [
0, 1,
    ]
else_ = 0
'''


@pytest.mark.parametrize("variant", ["lf", "crlf", "tabs"])
def test_big_file_translates_like_its_model_alone(tmp_path: Path, variant: str) -> None:
    """A big file (big enough to be parsed and rewritten in pieces) is translated exactly as
    its model alone, followed by the rest of it byte for byte."""
    def spelt(data: bytes) -> bytes:
        if variant == "crlf":
            return data.replace(b"\n", b"\r\n")
        if variant == "tabs":
            return re.sub(rb"(?m)^((?:    )+)", lambda m: b"\t" * (len(m.group(1)) // 4), data)
        return data

    rest = b"".join(AWKWARD % ((i,) * 5) for i in range(3000))  # ~700 kB
    (tmp_path / "model.py").write_bytes(spelt(HELPER_MODEL))
    (tmp_path / "big.py").write_bytes(spelt(HELPER_MODEL + rest))
    proc = xlate("to-tf", "model.py", "big.py", "-o", "out", cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()
    alone = (tmp_path / "out" / "model.py").read_bytes()
    assert b"(tf.Module):" in alone
    assert (tmp_path / "out" / "big.py").read_bytes() == alone + spelt(rest)


# --------------------------------------------------------------------- paths that are not files


@pytest.mark.parametrize("command", ["lint", "to-tf", "to-keras"])
def test_missing_path(tmp_path: Path, command: str) -> None:
    (tmp_path / "hit.py").write_bytes(LINT_HIT)
    args = ["-o", "out"] if command != "lint" else []
    proc = xlate(command, *args, "missing.py", "hit.py", "missing_dir/", cwd=tmp_path)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    assert_one_error(proc, "missing.py", r"^error: missing\.py: no such file or directory$")
    assert_one_error(proc, "missing_dir", r"^error: missing_dir/?: no such file or directory$")
    if command == "lint":
        assert "hit.py:3:8: XL101" in proc.stdout.decode()
    else:
        assert (tmp_path / "out" / "hit.py").exists()  # processed in the same run


def _without_root_override() -> list[str] | None:
    """A command prefix under which root's reads obey file modes (root keeps its uid but loses
    CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, so a mode-0 file it owns is unreadable), or None
    when that is not possible here."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    try:
        probe = subprocess.run([*prefix, sys.executable, "-c", "open('/proc/self/status').read()"],
                               capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return prefix if probe.returncode == 0 else None


def test_unreadable_directory_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory that cannot be listed and a file that cannot be read are reported; the
    others are processed. As root (CI) chmod alone does not stop reads: the commands then run
    without root's permission override (``setpriv``), so the kernel really refuses; only where
    that cannot be done are the OS errors injected instead (os.scandir / open raising EACCES)."""
    tree = tmp_path / "tree"
    (tree / "locked").mkdir(parents=True)
    (tree / "locked" / "inner.py").write_bytes(SNIPPET)
    (tree / "secret.py").write_bytes(SNIPPET)
    (tree / "hit.py").write_bytes(LINT_HIT)
    (tree / "good.py").write_bytes(SNIPPET)
    prefix = [] if os.geteuid() != 0 else _without_root_override()
    if prefix is not None:
        os.chmod(tree / "locked", 0)
        os.chmod(tree / "secret.py", 0)
        try:
            lint = xlate("lint", "tree", cwd=tmp_path, prefix=prefix)
            totf = xlate("to-tf", "tree", "-o", "out", cwd=tmp_path, prefix=prefix)
        finally:
            os.chmod(tree / "locked", 0o755)
            os.chmod(tree / "secret.py", 0o644)
        results = [(lint.returncode, lint.stdout.decode(), lint.stderr.decode()),
                   (totf.returncode, totf.stdout.decode(), totf.stderr.decode())]
    else:
        results = _unreadable_in_process(tmp_path, monkeypatch)
    for i, (code, out, err) in enumerate(results):
        assert code == 2, err
        assert "Traceback" not in err
        lines = err.splitlines()
        assert [ln for ln in lines if "locked" in ln] == [f"error: {os.path.join('tree', 'locked')}: permission denied"]
        assert [ln for ln in lines if "secret.py" in ln] == [f"error: {os.path.join('tree', 'secret.py')}: permission denied"]
        if i == 0:
            assert "hit.py:3:8: XL101" in out
    assert b"tf.Module" in (tmp_path / "out" / "good.py").read_bytes()
    assert not (tmp_path / "out" / "secret.py").exists()


def _unreadable_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str, str]]:
    from click.testing import CliRunner

    from kerastf_xlate import sources
    from kerastf_xlate.cli import main

    real_scandir, real_open = os.scandir, open

    def scandir(path: object = ".") -> object:
        if os.path.basename(os.fspath(path)) == "locked":  # type: ignore[arg-type]
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return real_scandir(path)  # type: ignore[arg-type]

    def fake_open(file: object, *args: object, **kwargs: object) -> object:
        if isinstance(file, (str, os.PathLike)) and os.path.basename(os.fspath(file)) == "secret.py":
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(sources.os, "scandir", scandir)
    monkeypatch.setattr(sources, "open", fake_open, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    out = []
    for args in (["lint", "-j", "1", "tree"], ["to-tf", "-j", "1", "tree", "-o", "out"]):
        res = runner.invoke(main, args)
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
        stderr = res.stderr if hasattr(res, "stderr") else res.output
        out.append((res.exit_code, res.stdout, stderr))
    return out


@pytest.mark.parametrize("command", ["lint", "to-tf", "to-keras"])
def test_symlink_loops(tmp_path: Path, command: str) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "loop_a.py").symlink_to("loop_b.py")
    (tree / "loop_b.py").symlink_to("loop_a.py")
    (tree / "self").symlink_to(".")  # a directory loop: never walked into
    (tree / "hit.py").write_bytes(LINT_HIT)
    args = ["-o", "out"] if command != "lint" else []
    proc = xlate(command, "tree", *args, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    assert_one_error(proc, "loop_a.py", r"loop_a\.py: too many levels of symbolic links")
    assert_one_error(proc, "loop_b.py", r"loop_b\.py: too many levels of symbolic links")
    assert not any("self" in ln for ln in err_lines(proc))
    if command == "lint":
        assert proc.stdout.decode().count("XL101") == 1  # hit.py once, not again through tree/self
    else:
        assert (tmp_path / "out" / "hit.py").read_bytes() == LINT_HIT
        assert not (tmp_path / "out" / "self").exists()
    # named explicitly
    proc = xlate(command, "tree/loop_a.py", "tree/hit.py", *(["--diff"] if command != "lint" else []), cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert_one_error(proc, "loop_a.py", r"^error: tree/loop_a\.py: too many levels of symbolic links")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("command", ["lint", "to-tf", "to-keras"])
def test_fifo_does_not_hang(tmp_path: Path, command: str) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    os.mkfifo(tree / "pipe.py")
    (tree / "hit.py").write_bytes(LINT_HIT)
    args = ["--diff"] if command != "lint" else []
    for target in (["tree"], ["tree/pipe.py", "tree/hit.py"]):
        proc = xlate(command, *args, *target, cwd=tmp_path, timeout=60)  # a blocking open() would hang here
        assert proc.returncode == 2
        assert_no_traceback(proc)
        assert_one_error(proc, "pipe.py", r"^error: tree/pipe\.py: not a regular file")


# -------------------------------------------------------------------------------- notebooks


def _notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps({
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True),
             **({"outputs": [], "execution_count": None} if kind == "code" else {})}
            for kind, text in cells
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }, indent=1) + "\n"


@pytest.mark.parametrize("command", ["lint", "to-tf", "to-keras"])
def test_invalid_notebook_json(tmp_path: Path, command: str) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": [\n  {"cell_type": "code",\n')
    (tmp_path / "nocells.ipynb").write_text('{"metadata": {}}\n')
    (tmp_path / "hit.py").write_bytes(LINT_HIT)
    args = ["--diff"] if command != "lint" else []
    proc = xlate(command, *args, "broken.ipynb", "nocells.ipynb", "hit.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    assert_one_error(proc, "broken.ipynb", r"^error: broken\.ipynb:\d+:\d+: invalid notebook JSON")
    assert_one_error(proc, "nocells.ipynb", r"^error: nocells\.ipynb: invalid notebook")
    if command == "lint":
        assert "hit.py:3:8: XL101" in proc.stdout.decode()


def test_notebook_magics_are_kept(tmp_path: Path) -> None:
    first = ("%matplotlib inline\n!pip list\n" + SNIPPET.decode()
             + "model.summary?\nif True:\n    %time y = model(x)\n")
    cell_magic = "%%time\nimport keras\nm2 = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])\n"
    nb = _notebook([("markdown", "# Title\n"), ("code", first), ("code", cell_magic), ("code", "!ls -la\nx = 1")])
    (tmp_path / "nb.ipynb").write_text(nb)
    proc = xlate("to-tf", "nb.ipynb", "-o", "out.ipynb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads((tmp_path / "out.ipynb").read_text())
    before = json.loads(nb)
    cells = ["".join(c["source"]) for c in doc["cells"]]
    assert cells[0] == "# Title\n"
    translated = cells[1]
    assert "class Model(tf.Module)" in translated
    lines = translated.split("\n")
    for magic in ("%matplotlib inline", "!pip list", "model.summary?", "    %time y = model(x)"):
        assert magic in lines, f"{magic!r} lost or changed"
    assert lines.index("%matplotlib inline") < lines.index("!pip list")
    # a %%time cell's body is Python of the notebook: translated, the magic line kept as it was
    assert cells[2].startswith("%%time\n") and "class M2(tf.Module)" in cells[2]
    assert doc["cells"][3] == before["cells"][3]


# ------------------------------------------------------------------------------ broken rules


def _rules_copy(tmp_path: Path) -> Path:
    from kerastf_xlate.rules import rules_dir

    src = rules_dir()
    dst = tmp_path / "rules"
    shutil.copytree(src, dst)
    return dst


def _set(text: str, key: str, value: str) -> str:
    new, n = re.subn(rf"(?m)^{re.escape(key)} = .*$", f"{key} = {value}", text, count=1)
    assert n == 1, key
    return new


BROKEN_RULES = {
    # case: (file, how to break its text, key named in the message)
    "invalid TOML": ("Dense.toml", lambda t: t + "\nthis is not = = toml\n", "-"),
    "wrong type": ("Dense.toml", lambda t: _set(t, "names", '"Dense"'), "names"),
    "unknown key": ("Dense.toml", lambda t: "colour = 'blue'\n" + t, "colour"),
    "unknown status": ("Dense.toml", lambda t: _set(t, "status", '"maybe"'), "status"),
    "none without reason": ("Dense.toml", lambda t: _set(t, "status", '"none"'), "none"),
    "counterpart and none": ("Dense.toml", lambda t: t + '\n[none]\nreason = "x"\ninstead = "y"\n', "none"),
    "file name mismatch": ("Dense.toml", lambda t: _set(t, "layer", '"Dense2"'), "layer"),
    "name claimed twice": ("Flatten.toml", lambda t: _set(t, "names", '["Flatten", "Dense"]'), "names"),
}


def _check_broken_rules(tmp_path: Path, case: str, commands: list[list[str]]) -> None:
    fname, breaker, key = BROKEN_RULES[case]
    rules = _rules_copy(tmp_path)
    path = rules / fname
    path.write_text(breaker(path.read_text()))
    (tmp_path / "good.py").write_bytes(SNIPPET)
    for args in commands:
        proc = xlate(*args, cwd=tmp_path, env={"XLATE_RULES_DIR": str(rules)})
        lines = err_lines(proc)
        assert proc.returncode == 2, (args, proc.stderr.decode())
        assert len(lines) == 1, (args, lines)
        assert "Traceback" not in lines[0]
        assert lines[0].startswith("error: ") and fname in lines[0], (args, lines)
        assert f"key '{key}'" in lines[0], (args, lines)
        assert proc.stdout == b"", args


@pytest.mark.parametrize("case", list(BROKEN_RULES))
def test_broken_rule_file(tmp_path: Path, case: str) -> None:
    _check_broken_rules(tmp_path, case, [["lint", "good.py"], ["to-tf", "good.py"]])


def test_broken_rule_file_every_command(tmp_path: Path) -> None:
    commands = [["lint", "good.py"], ["lint", "--format", "json", "good.py"], ["to-tf", "-o", "out", "good.py"],
                ["to-tf", "--in-place", "good.py"], ["rules"], ["rules", "--format", "json"],
                ["to-keras", "good.py"], ["lint", "--to-keras", "good.py"]]
    _check_broken_rules(tmp_path, "counterpart and none", commands)
    assert (tmp_path / "good.py").read_bytes() == SNIPPET


def test_missing_rules_directory(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_bytes(SNIPPET)
    for args in (["lint", "good.py"], ["to-tf", "good.py"]):
        proc = xlate(*args, cwd=tmp_path, env={"XLATE_RULES_DIR": str(tmp_path / "nowhere")})
        assert proc.returncode == 2
        assert err_lines(proc) == [f"error: broken rule file: {tmp_path / 'nowhere'}: key '-': rules directory not found"]


# ------------------------------------------------------------------ failures inside the tool


def test_source_errors_cross_process_boundaries() -> None:
    """Errors travel back from worker processes (-j): an unpicklable one hung the whole run."""
    import pickle

    from kerastf_xlate.sources import SourceError

    err = pickle.loads(pickle.dumps(SourceError("a.py", "syntax error: x", 3, 4)))
    assert (str(err), err.path, err.line, err.col) == ("a.py:3:5: syntax error: x", "a.py", 3, 4)


def test_a_crashing_translator_does_not_abort_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bug in a translator (any exception) is reported for its file; the others are written."""
    from kerastf_xlate.translate_cmd import run_translate

    def transform(text: str, path: str) -> tuple[str, list[object]]:
        if "boom" in path:
            raise RuntimeError("something\nbroke")
        return text.replace("old", "new"), []

    for name in ("a.py", "boom.py", "c.py"):
        (tmp_path / name).write_text("x = 'old'\n")
    status = run_translate(lambda: transform, tuple(str(tmp_path / n) for n in ("a.py", "boom.py", "c.py")),
                           output=str(tmp_path / "out"), in_place=False, diff=False, check=False, stdin_filename=None,
                           allow_output_inside=False, jobs=1, quiet=False)
    assert status == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"error: {tmp_path / 'boom.py'}: internal error: RuntimeError: something broke; file left untouched"]
    assert (tmp_path / "out" / "a.py").read_text() == "x = 'new'\n"
    assert (tmp_path / "out" / "c.py").read_text() == "x = 'new'\n"
    assert not (tmp_path / "out" / "boom.py").exists()


def test_a_crashing_run_wide_pass_leaves_every_file_untouched(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A bug in the run-wide pass (kerastf_xlate.tree), which shows the files consistent with one
    another, is reported for every file it would have written, and none is written changed: a
    RecursionError there once aborted the whole run with a traceback."""
    from kerastf_xlate.translate_cmd import run_translate

    def transform(text: str, path: str) -> tuple[str, list[object]]:
        return text.replace("old", "new"), []

    def reconcile(results: list[object], roots: list[str]) -> list[object]:
        def deep(n: int) -> int:
            return deep(n + 1)
        return [deep(0)]

    for name in ("a.py", "b.py", "same.py"):
        (tmp_path / name).write_text("x = 'old'\n" if name != "same.py" else "x = 1\n")
    status = run_translate(lambda: transform, tuple(str(tmp_path / n) for n in ("a.py", "b.py", "same.py")),
                           output=str(tmp_path / "out"), in_place=False, diff=False, check=False, stdin_filename=None,
                           allow_output_inside=False, jobs=1, quiet=False, reconcile=reconcile)
    assert status == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"error: {tmp_path / n}: internal error in the run-wide pass: RecursionError: maximum recursion "
                   "depth exceeded; file left untouched" for n in ("a.py", "b.py")]
    for name in ("a.py", "b.py"):
        assert (tmp_path / "out" / name).read_text() == "x = 'old'\n"
