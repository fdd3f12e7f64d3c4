"""Nothing lost: ``--in-place`` is atomic (temporary file in the same directory, then a
rename) and keeps the file mode; a SIGKILL at any moment leaves every file either untouched
or fully translated; output directories never overwrite an input, are refused inside the
input tree unless asked, and never follow a symbolic link out of the input tree.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

SNIPPET = (
    b"import keras\nfrom keras import layers\n"
    b'model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu")])\n'
)
XLATE = str(Path(sys.executable).with_name("xlate"))


def xlate_cmd() -> list[str]:
    return [XLATE] if os.path.exists(XLATE) else [sys.executable, "-m", "kerastf_xlate"]


def xlate(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*xlate_cmd(), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def expected_translation(data: bytes = SNIPPET, name: str = "m.py") -> bytes:
    from kerastf_xlate.runner import transform_bytes
    from kerastf_xlate.totf import make_transform

    result = transform_bytes(name, data, make_transform())
    assert result.error is None and result.changed
    assert result.output is not None
    return result.output


def temp_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.name.endswith(".xlate-tmp")]


# -------------------------------------------------------------------------------- in place


def test_in_place_replaces_atomically_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_bytes(SNIPPET)
    os.chmod(target, 0o640)
    inode = target.stat().st_ino
    proc = xlate("to-tf", "--in-place", "model.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes() == expected_translation()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != inode, "rewritten in place instead of replaced by a rename"
    assert temp_files(tmp_path) == []
    # a second run changes nothing (and does not touch the file)
    inode = target.stat().st_ino
    proc = xlate("to-tf", "--in-place", "model.py", cwd=tmp_path)
    assert proc.returncode == 0 and target.stat().st_ino == inode


def test_in_place_writes_a_temporary_file_beside_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from kerastf_xlate.cli import main

    (tmp_path / "sub").mkdir()
    target = tmp_path / "sub" / "model.py"
    target.write_bytes(SNIPPET)
    os.chmod(target, 0o600)
    renames: list[tuple[str, str, int]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        renames.append((os.path.abspath(src), os.path.abspath(dst), stat.S_IMODE(os.stat(src).st_mode)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["to-tf", "-j", "1", "--in-place", "sub/model.py"])
    assert result.exit_code == 0, result.output
    [(src, dst, mode)] = renames
    assert dst == str(target)
    assert os.path.dirname(src) == os.path.dirname(dst)
    assert src.endswith(".xlate-tmp")
    assert mode == 0o600, "the mode is set before the rename, never after"


def test_failed_write_keeps_the_original_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from kerastf_xlate.cli import main

    for name in ("a.py", "b.py"):
        (tmp_path / name).write_bytes(SNIPPET)
    real_replace = os.replace

    def full_disk(src: str, dst: str) -> None:
        if os.path.basename(dst) == "a.py":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["to-tf", "-j", "1", "--in-place", "a.py", "b.py"])
    assert result.exit_code == 2
    assert not isinstance(result.exception, OSError), "the write error escaped as a traceback"
    assert "error: a.py: cannot write: No space left on device; left as it was" in result.output
    assert (tmp_path / "a.py").read_bytes() == SNIPPET
    assert (tmp_path / "b.py").read_bytes() == expected_translation()
    assert temp_files(tmp_path) == []


def test_in_place_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    """A link to a file inside the tree: the file is translated once, the link stays a link."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "model.py").write_bytes(SNIPPET)
    (tree / "alias.py").symlink_to("model.py")
    proc = xlate("to-tf", "--in-place", "tree", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tree / "alias.py").is_symlink() and os.readlink(tree / "alias.py") == "model.py"
    assert (tree / "model.py").read_bytes() == expected_translation()
    # named explicitly, the link is written through as well
    (tree / "model.py").write_bytes(SNIPPET)
    proc = xlate("to-tf", "--in-place", "tree/alias.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tree / "alias.py").is_symlink()
    assert (tree / "model.py").read_bytes() == expected_translation()


def test_in_place_does_not_follow_links_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "theirs.py").write_bytes(SNIPPET)
    (outside / "pkg").mkdir()
    (outside / "pkg" / "deep.py").write_bytes(SNIPPET)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "mine.py").write_bytes(SNIPPET)
    (tree / "link.py").symlink_to(outside / "theirs.py")
    (tree / "linked_dir").symlink_to(outside / "pkg")
    proc = xlate("to-tf", "--in-place", "tree", cwd=tmp_path)
    assert proc.returncode == 2
    assert [ln for ln in proc.stderr.splitlines() if "link.py" in ln] == [
        f"error: {os.path.join('tree', 'link.py')}: symbolic link out of the input tree; not followed"]
    assert (outside / "theirs.py").read_bytes() == SNIPPET
    assert (outside / "pkg" / "deep.py").read_bytes() == SNIPPET
    assert (tree / "link.py").is_symlink()
    assert (tree / "mine.py").read_bytes() == expected_translation()


# --------------------------------------------------------------------- killed in the middle


def test_sigkill_leaves_every_file_whole(tmp_path: Path) -> None:
    """Kill `xlate to-tf --in-place` (SIGKILL, workers included) several times: after a random
    delay, and as soon as the first file has been written (the write phase, where a
    non-atomic write would leave half a file). Every file is then the original or the
    complete translation; stray temporary files (allowed) never replace anything and a later
    run neither reads them nor minds them."""
    n_files = 40
    tree = tmp_path / "tree"
    tree.mkdir()
    names = [f"m{i:03d}.py" for i in range(n_files)]
    expected = expected_translation()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [*xlate_cmd(), "to-tf", "--in-place", "-q", "tree"]

    def reset() -> None:
        for name in names:
            (tree / name).write_bytes(SNIPPET)

    def check() -> tuple[int, int]:
        counts = [0, 0]
        for name in names:
            data = (tree / name).read_bytes()
            if data not in (SNIPPET, expected):
                pytest.fail(f"{name} is neither the original nor the translation ({len(data)} bytes)")
            counts[data == expected] += 1
        others = {p.name for p in tree.iterdir()} - set(names)
        assert all(n.startswith(".") and n.endswith(".xlate-tmp") for n in others), others
        return counts[0], counts[1]

    def first_write_seen() -> bool:
        return any(e.stat().st_size != len(SNIPPET) for e in os.scandir(tree) if e.name.endswith(".py"))

    reset()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=300, env=env)
    full = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    assert check() == (0, n_files)

    rng = random.Random(1234)
    states = []
    for mode in ("delay", "delay", "first write", "first write", "first write"):
        reset()
        child = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                 start_new_session=True)
        deadline = time.perf_counter() + (rng.uniform(0.3, 1.0) * full if mode == "delay" else 2 * full + 30)
        while time.perf_counter() < deadline and child.poll() is None:
            if mode == "first write" and first_write_seen():
                break
            time.sleep(0.0005 if mode == "first write" else 0.01)
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait(timeout=60)
        states.append((mode, *check()))
    print(f"\n(kill, untouched, translated): {states}; an uninterrupted run takes {full:.1f} s")
    # after the crashes, a run completes the job
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert check() == (0, n_files)


# ------------------------------------------------------------------------ output directories


def test_output_directory_inside_the_input_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "model.py").write_bytes(SNIPPET)
    proc = xlate("to-tf", "src", "-o", "src/out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "output directory src/out is inside the input directory src" in proc.stderr
    assert "--allow-output-inside" in proc.stderr
    assert not (src / "out").exists()
    assert (src / "model.py").read_bytes() == SNIPPET
    # the same with --allow-output-inside; a second run does not re-read its own output
    for _ in range(2):
        proc = xlate("to-tf", "src", "-o", "src/out", "--allow-output-inside", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    assert (src / "model.py").read_bytes() == SNIPPET
    assert (src / "out" / "model.py").read_bytes() == expected_translation()
    assert not (src / "out" / "out").exists()


def test_output_never_overwrites_an_input(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(SNIPPET)
    (tmp_path / "b.py").write_bytes(SNIPPET)
    proc = xlate("to-tf", "a.py", "-o", "a.py", cwd=tmp_path)
    assert proc.returncode == 2 and "error: a.py: refusing to overwrite an input file" in proc.stderr
    # several inputs into their own directory: a.py and b.py would be overwritten
    proc = xlate("to-tf", "a.py", "b.py", "-o", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("refusing to overwrite an input file") == 2
    # through a symbolic link in the output directory
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.py").symlink_to(tmp_path / "a.py")
    proc = xlate("to-tf", "a.py", "b.py", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 2 and "out/a.py: refusing to overwrite an input file" in proc.stderr
    assert (tmp_path / "out" / "b.py").read_bytes() == expected_translation()
    assert (tmp_path / "a.py").read_bytes() == SNIPPET and (tmp_path / "b.py").read_bytes() == SNIPPET


def test_single_file_into_an_existing_directory(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(SNIPPET)
    (tmp_path / "out").mkdir()
    proc = xlate("to-tf", "a.py", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out").is_dir()
    assert (tmp_path / "out" / "a.py").read_bytes() == expected_translation()


def test_two_inputs_with_one_destination(tmp_path: Path) -> None:
    for d in ("x", "y"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "m.py").write_bytes(SNIPPET + f"# from {d}\n".encode())
    proc = xlate("to-tf", "x/m.py", "y/m.py", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "error: out/m.py: both x/m.py and y/m.py would be written here; y/m.py skipped" in proc.stderr
    assert (tmp_path / "out" / "m.py").read_bytes().endswith(b"# from x\n")


def test_output_does_not_follow_links_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "pkg").mkdir(parents=True)
    (outside / "secret.py").write_bytes(SNIPPET + b"# secret\n")
    (outside / "pkg" / "deep.py").write_bytes(SNIPPET + b"# deep\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "mine.py").write_bytes(SNIPPET)
    (tree / "link.py").symlink_to(outside / "secret.py")
    (tree / "pkg").symlink_to(outside / "pkg")
    proc = xlate("to-tf", "tree", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "tree/link.py: symbolic link out of the input tree; not followed" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["mine.py"]
    assert (outside / "secret.py").read_bytes() == SNIPPET + b"# secret\n"
