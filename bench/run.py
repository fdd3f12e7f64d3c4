"""Benchmark ``xlate lint`` and ``xlate to-tf`` side by side with the tools users have.

Run with the project's Python (the one with kerastf-xlate, TensorFlow and Keras installed):

    /work/venv/bin/python bench/run.py                      # everything, ~25 min on 2 cores
    /work/venv/bin/python bench/run.py --only latency       # one section
    /work/venv/bin/python bench/run.py --only big           # a 5 MB file with a model
    /work/venv/bin/python bench/run.py --only heavy         # to-tf on input it translates vs LibCST's parse
    /work/venv/bin/python bench/run.py --setup-peers        # create the peers' venv first

Peers (run on the very same files, in alternation with xlate, ``--rounds`` times each):

- ``tf_upgrade_v2`` (ships with TensorFlow, in the project's venv) with ``--intree/--outtree``;
- Fixit 2 (``fixit lint``, default rules) from a separate venv (``--peers-venv``), so the
  project's dependencies are untouched;
- Ruff (``ruff check --no-cache``, one banned-API rule for a few Keras layers) from the same
  separate venv: the reference bound, a native-code linter.

The corpus is built from installed sources: Keras's own ``keras/src`` (a subset by default,
``--corpus full`` for all of it) plus the project's ``examples/``, minus the files that
tf_upgrade_v2 cannot process (its pasta parser rejects f-string ``=`` and other 3.8+ syntax,
and ``--intree`` aborts the whole tree on the first one; ``bench/tfup_probe.py`` finds them).
Keras's sources import ``keras.src.*`` (internal paths that never name a public layer), so a
second variant, "public", rewrites those imports to the public ``keras`` package: there every
file takes xlate's full analysis path. Nothing is timed in the tests; figures go to
``bench/README.md`` by hand from this script's output (a Markdown report and a JSON file).

Timing: wall clock around the whole command (interpreter start included), median of the
rounds. Tools run with bytecode caches (``PYTHONPYCACHEPREFIX`` in the work directory) and
warmed once, as an installed tool would; xlate's rule-table cache lives in the work directory.
Memory: a separate run per tool, sampling the summed RSS of the whole process tree every 10 ms
(``/proc``), plus ``ru_maxrss`` of the largest single process.

Big file (section ``big``): one file of a small Sequential model followed by ``--big-mb`` MB
(5) of other top-level statements, as ``tests/test_hostile.py`` builds it; ``lint``,
``to-tf --check`` and ``to-tf -o`` on it, each in a fresh process whose wall time, CPU time
and peak RSS (``ru_maxrss``) are reported (one file: one process, ``-j`` does not apply).
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECTIONS = ("peers", "scaling", "files", "latency", "memory", "breakdown", "big", "heavy")
# The default corpus: the parts of keras/src that are model and layer code (~100k lines).
DEFAULT_SUBDIRS = ("layers", "models", "applications", "saving", "losses", "activations", "initializers")

RUFF_TOML = """\
# One banned-API rule (TID251) for a few Keras layers: the closest Ruff gets to `xlate lint`.
[lint]
select = ["TID251"]

[lint.flake8-tidy-imports.banned-api]
"keras.layers.LSTM".msg = "no TensorFlow low-level counterpart"
"keras.layers.GRU".msg = "no TensorFlow low-level counterpart"
"keras.layers.Bidirectional".msg = "no TensorFlow low-level counterpart"
"keras.layers.SimpleRNN".msg = "no TensorFlow low-level counterpart"
"tensorflow.keras.layers.LSTM".msg = "no TensorFlow low-level counterpart"
"tensorflow.keras.layers.GRU".msg = "no TensorFlow low-level counterpart"
"""


# ----------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def count_lines(paths: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in paths)


def py_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def run_env(work: Path, cold: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["XDG_CACHE_HOME"] = str(work / "xdg")
    if cold:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
        env["XLATE_NO_CACHE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


LAST_CPU = [0.0]  # CPU seconds (user + system) of the last timed() command's process tree


def timed(cmd: list[str], env: dict[str, str], cwd: Path, stdin: Path | None = None,
          stderr: Path | None = None) -> tuple[float, int]:
    """Wall seconds and exit status of one command (its output discarded). The CPU time
    of its whole process tree (workers included: they are waited for) goes to LAST_CPU."""
    import resource

    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    try:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        with open(stderr or os.devnull, "wb") as ferr:
            proc = subprocess.run(cmd, env=env, cwd=cwd, stdin=fin, stdout=subprocess.DEVNULL, stderr=ferr)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        LAST_CPU[0] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        return wall, proc.returncode
    finally:
        if stdin:
            fin.close()  # type: ignore[union-attr]


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _tree_rss(root_pid: int) -> tuple[int, int]:
    """Summed RSS and PSS (bytes) of ``root_pid`` and all its descendants (RSS counts the
    pages that forked workers share with their parent once per process; PSS splits them)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)  # ppid
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # rss in pages
    total, pss, stack = 0, 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        pss += _pss(pid)
        stack += children.get(pid, [])
    return total, pss


def peak_memory(cmd: list[str], env: dict[str, str], cwd: Path, stdin: Path | None = None) -> tuple[int, int, int]:
    """(peak summed RSS and PSS of the process tree, largest single process's max RSS), in bytes."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = _tree_rss(proc.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            done.wait(0.01)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    proc.wait()
    done.set()
    t.join()
    if stdin:
        fin.close()  # type: ignore[union-attr]
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children ever waited for: only a new
    # maximum is attributable to this command.
    return peak, peak_pss, (after * 1024 if after > before else 0)


# ----------------------------------------------------------------------------- corpus


def keras_src_dir() -> Path:
    spec = importlib.util.find_spec("keras")  # finds the package without importing it
    assert spec and spec.submodule_search_locations, "keras is not installed"
    return Path(list(spec.submodule_search_locations)[0]) / "src"


_KERAS_SRC_IMPORT = re.compile(r"^(\s*)(from|import)(\s+)keras\.src\b", re.M)


def publicise(text: str) -> str:
    """``from keras.src.layers import Dense`` -> ``from keras.layers import Dense`` (the
    public API a user's code imports), on import statements only."""
    return _KERAS_SRC_IMPORT.sub(r"\1\2\3keras", text)


def build_corpus(work: Path, which: str, rebuild: bool) -> dict[str, Path]:
    """``work/corpus/{main,public}``: identical file sets, the second with public imports."""
    main, public = work / "corpus" / "main", work / "corpus" / "public"
    stamp = work / "corpus" / "stamp.json"
    want = {"which": which, "keras": str(keras_src_dir()), "format": 2}
    if not rebuild and stamp.exists() and json.loads(stamp.read_text()) == want:
        return {"main": main, "public": public}
    shutil.rmtree(work / "corpus", ignore_errors=True)
    src = keras_src_dir()
    files: list[tuple[Path, Path]] = []  # (source, relative destination)
    subdirs = [p.name for p in src.iterdir() if p.is_dir()] if which == "full" else list(DEFAULT_SUBDIRS)
    for sub in sorted(subdirs):
        for p in py_files(src / sub):
            if "__pycache__" not in p.parts:
                files.append((p, Path("keras_src") / p.relative_to(src)))
    for p in py_files(ROOT / "examples"):
        files.append((p, Path("examples") / p.relative_to(ROOT / "examples")))
    staging = work / "corpus" / "staging"
    for s, rel in files:
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s, staging / rel)
    # what tf_upgrade_v2 cannot process is left out (the tool would abort the whole tree)
    listing = "\n".join(str(staging / rel) for _, rel in files)
    log(f"probing {len(files)} files with tf_upgrade_v2 (its own per-file code path)...")
    probe = subprocess.run([sys.executable, str(ROOT / "bench" / "tfup_probe.py")], input=listing, text=True,
                           capture_output=True, env=run_env(work))
    failing = {Path(line).relative_to(staging) for line in probe.stdout.splitlines() if line.strip()}
    kept = [rel for _, rel in files if rel not in failing]
    for rel in kept:
        for dest, transform in ((main, None), (public, publicise)):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            data = (staging / rel).read_text(encoding="utf-8")
            (dest / rel).write_text(transform(data) if transform else data, encoding="utf-8")
    shutil.rmtree(staging)
    (work / "corpus" / "excluded.txt").write_text("".join(f"{r}\n" for r in sorted(failing)))
    stamp.write_text(json.dumps(want))
    return {"main": main, "public": public}


def multiply(corpus: Path, dest: Path, times: int) -> Path:
    """``times`` copies of the corpus (hard links: same bytes, no extra disk)."""
    if dest.exists():
        return dest
    for i in range(times):
        for p in py_files(corpus):
            target = dest / f"copy{i}" / p.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(p, target)
            except OSError:
                shutil.copyfile(p, target)
    return dest


def one_file(chunks: list[str], target: int) -> str:
    """Whole top-level statements from ``chunks`` (repeated) up to ``target`` lines."""
    out: list[str] = []
    n = 0
    i = 0
    while n < target:
        text = chunks[i % len(chunks)]
        i += 1
        lines = [ln for ln in text.splitlines() if not ln.startswith("from __future__")]
        tree = ast.parse("\n".join(lines) + "\n")
        for stmt in tree.body:
            seg = lines[stmt.lineno - 1 : stmt.end_lineno]
            if n + len(seg) > target:
                if n >= target * 0.95:
                    return "\n".join(out) + "\n"
                continue
            out += seg
            n += len(seg)
    return "\n".join(out) + "\n"


BIG_MODEL = (
    b"import keras\nfrom keras import layers\n"
    b'model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu")])\n'
)


def build_big_file(work: Path, megabytes: float) -> Path:
    """A small model, then ``megabytes`` MB of padding statements (as tests/test_hostile.py)."""
    path = work / "big" / f"big{megabytes:g}mb.py"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            fh.write(BIG_MODEL)
            i = 0
            while fh.tell() < megabytes * 1024 * 1024:
                fh.write(b"x_%d = [1, 2.5, 'abcdefghijklmnopqrstuvwxyz', {'k': (4, 5)}, None]  # padding\n" % i)
                i += 1
    return path


def build_single_files(work: Path, corpora: dict[str, Path]) -> dict[int, Path]:
    """Keras-heavy single files: the examples first, then the public-import layer code."""
    d = work / "single"
    d.mkdir(exist_ok=True)
    chunks = [p.read_text(encoding="utf-8") for p in py_files(corpora["public"] / "examples")]
    chunks += [p.read_text(encoding="utf-8") for p in py_files(corpora["public"] / "keras_src" / "layers")]
    out = {}
    for n in (300, 1_000, 10_000, 100_000):
        path = d / f"lines{n}.py"
        if not path.exists():
            path.write_text(one_file(chunks, n), encoding="utf-8")
        out[n] = path
    return out


# ----------------------------------------------------------------------------- tools


class Tools:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.work = work
        self.xlate = [str(BIN / "xlate")]
        if args.xlate_pythonpath:  # an older checkout, for before/after figures
            self.xlate = [sys.executable, "-m", "kerastf_xlate"]
        self.pythonpath = args.xlate_pythonpath
        self.tfup = str(BIN / "tf_upgrade_v2")
        peers = Path(args.peers_venv) / "bin"
        self.fixit = str(peers / "fixit")
        self.ruff = str(peers / "ruff")
        (work / "ruff.toml").write_text(RUFF_TOML)
        self.jobs = args.jobs
        self.before = args.before

    def env(self, cold: bool = False, tool: str = "") -> dict[str, str]:
        env = run_env(self.work, cold)
        if tool.endswith("@before"):
            env["PYTHONPATH"] = self.before
            env["XLATE_NO_CACHE"] = "1"
            env["XLATE_RULES_DIR"] = str(ROOT / "rules")  # a copied src/ has no rules beside it
        elif self.pythonpath:
            env["PYTHONPATH"] = self.pythonpath
        return env

    def xlate_cmd(self, tool: str) -> list[str]:
        return [sys.executable, "-m", "kerastf_xlate"] if tool.endswith("@before") else self.xlate

    def available(self) -> dict[str, bool]:
        return {
            "xlate lint": True,
            "xlate to-tf": True,
            "xlate lint@before": bool(self.before),
            "xlate to-tf@before": bool(self.before),
            "tf_upgrade_v2": os.path.exists(self.tfup),
            "fixit": os.path.exists(self.fixit),
            "ruff": os.path.exists(self.ruff),
        }

    def command(self, tool: str, target: Path, out: Path) -> list[str]:
        jobs = ["-j", str(self.jobs)] if self.jobs else []
        if tool.startswith("xlate lint"):
            return self.xlate_cmd(tool) + ["lint", str(target), "--exit-zero"] + jobs
        if tool.startswith("xlate to-tf"):
            return self.xlate_cmd(tool) + ["to-tf", str(target), "-o", str(out), "-q"] + jobs
        if tool == "tf_upgrade_v2":
            return [self.tfup, "--intree", str(target), "--outtree", str(out), "--reportfile", str(out) + ".report.txt"]
        if tool == "fixit":
            return [self.fixit, "lint", str(target)]
        if tool == "ruff":
            return [self.ruff, "check", "--no-cache", "--exit-zero", "--config", str(self.work / "ruff.toml"), str(target)]
        raise ValueError(tool)

    def run(self, tool: str, target: Path) -> tuple[float, int]:
        out = self.work / "out" / tool.replace(" ", "_").replace("@", "_")
        shutil.rmtree(out, ignore_errors=True)
        for extra in (Path(str(out) + ".report.txt"),):
            extra.unlink(missing_ok=True)
        errors = self.work / "stderr" / (out.name + ".txt")  # the last run's stderr, per tool
        errors.parent.mkdir(exist_ok=True)
        return timed(self.command(tool, target, out), self.env(tool=tool), self.work, stderr=errors)

    def memory(self, tool: str, target: Path) -> tuple[int, int, int]:
        out = self.work / "out" / tool.replace(" ", "_").replace("@", "_")
        shutil.rmtree(out, ignore_errors=True)
        return peak_memory(self.command(tool, target, out), self.env(tool=tool), self.work)


# ----------------------------------------------------------------------------- sections


def alternate(tools: Tools, jobs: list[tuple[str, str, Path]], rounds: int) -> dict[tuple[str, str], tuple[list[float], ...]]:
    """Run every (tool, label, target) once per round, rotating the order each round."""
    times: dict[tuple[str, str], list[float]] = {(t, lbl): [] for t, lbl, _ in jobs}
    cpu: dict[tuple[str, str], list[float]] = {(t, lbl): [] for t, lbl, _ in jobs}
    load: dict[tuple[str, str], list[float]] = {(t, lbl): [] for t, lbl, _ in jobs}
    small = tools.work / "corpus" / "main" / "examples"
    for tool in dict.fromkeys(t for t, _, _ in jobs):  # warm-up on a few files: bytecode, rule cache
        tools.run(tool, small)
    for r in range(rounds):
        order = jobs[r % len(jobs):] + jobs[: r % len(jobs)]
        for tool, label, target in order:
            load[(tool, label)].append(os.getloadavg()[0])
            secs, rc = tools.run(tool, target)
            cpu[(tool, label)].append(LAST_CPU[0])
            log(f"  round {r + 1}: {tool:<18} {label:<7} {secs:8.2f} s wall {LAST_CPU[0]:8.2f} s CPU "
                f"(exit {rc}, load {load[(tool, label)][-1]:.1f})")
            if tool.startswith("xlate") and rc not in (0, 1):
                log(f"  WARNING: {tool} failed (exit {rc}); its figure is meaningless. Its errors:")
                err = (tools.work / "stderr" / (tool.replace(" ", "_").replace("@", "_") + ".txt")).read_text(errors="replace")
                log("".join(f"    {ln}\n" for ln in err.splitlines() if " XL" not in ln and "XL0" not in ln[:0])[-2000:])
            times[(tool, label)].append(secs)
    return {k: (times[k], cpu[k], load[k]) for k in times}  # type: ignore[return-value]


def section_peers(args: argparse.Namespace, tools: Tools, corpora: dict[str, Path], results: dict) -> None:
    avail = tools.available()
    jobs: list[tuple[str, str, Path]] = []
    for tool in ("xlate lint", "xlate to-tf", "xlate lint@before", "xlate to-tf@before", "tf_upgrade_v2", "fixit", "ruff"):
        if not avail[tool] or tool in args.skip:
            continue
        jobs.append((tool, "main", corpora["main"]))
        if tool != "fixit":  # Fixit's work does not depend on how imports are spelled
            jobs.append((tool, "public", corpora["public"]))
    times = alternate(tools, jobs, args.rounds)
    rows = []
    for (tool, label), (ts, cs, ls) in times.items():
        lines = results["corpus"][label]["lines"]
        med, cmed = statistics.median(ts), statistics.median(cs)
        rows.append({"tool": tool, "corpus": label, "times": ts, "cpu": cs, "load": ls, "median_s": med,
                     "lines_per_s": lines / med, "median_cpu_s": cmed, "lines_per_cpu_s": lines / cmed})
    results["peers"] = rows


def section_scaling(args: argparse.Namespace, tools: Tools, corpora: dict[str, Path], results: dict) -> None:
    rows = []
    for label in ("main", "public"):
        base = corpora[label]
        lines = results["corpus"][label]["lines"]
        for k in (1, 4, 16):
            target = base if k == 1 else multiply(base, tools.work / "scale" / f"{label}x{k}", k)
            for tool in ("xlate lint", "xlate to-tf"):
                if tool == "xlate to-tf" and label == "public" and k > 1 and not args.full_scaling:
                    continue  # ~10 min more on 2 cores; --full-scaling runs it
                if k == 1:
                    tools.run(tool, target)  # warm
                ts, cs = [], []
                for _ in range(args.scale_rounds):
                    ts.append(tools.run(tool, target)[0])
                    cs.append(LAST_CPU[0])
                med, cmed = statistics.median(ts), statistics.median(cs)
                log(f"  {tool:<12} {label:<7} x{k:<3} {med:8.2f} s  {lines * k / med:10.0f} lines/s  "
                    f"{cmed:8.2f} CPU s (load {os.getloadavg()[0]:.1f})")
                rows.append({"tool": tool, "corpus": label, "factor": k, "lines": lines * k, "times": ts, "cpu": cs,
                             "median_s": med, "lines_per_s": lines * k / med, "median_cpu_s": cmed,
                             "lines_per_cpu_s": lines * k / cmed})
    results["scaling"] = rows


def section_files(args: argparse.Namespace, tools: Tools, singles: dict[int, Path], results: dict) -> None:
    rows = []
    for n in (1_000, 10_000, 100_000):
        path = singles[n]
        lines = path.read_bytes().count(b"\n")
        for tool in ("xlate lint", "xlate to-tf"):
            tools.run(tool, path)  # warm
            ts, cs = [], []
            for _ in range(args.scale_rounds):
                ts.append(tools.run(tool, path)[0])
                cs.append(LAST_CPU[0])
            med, cmed = statistics.median(ts), statistics.median(cs)
            log(f"  {tool:<12} {lines:>7} lines  {med:8.3f} s  {lines / med:10.0f} lines/s  {cmed:8.3f} CPU s")
            rows.append({"tool": tool, "lines": lines, "times": ts, "cpu": cs, "median_s": med, "lines_per_s": lines / med,
                         "median_cpu_s": cmed, "lines_per_cpu_s": lines / cmed})
    results["files"] = rows


def section_latency(args: argparse.Namespace, tools: Tools, singles: dict[int, Path], results: dict) -> None:
    path = singles[300]
    rows = {}
    variants = [("warm", False, "xlate"), ("cold", True, "xlate")]
    if tools.before:
        variants += [("before, warm", False, "xlate@before"), ("before, cold", True, "xlate@before")]
    cmds = {}
    for label, cold, tool in variants:
        env = tools.env(cold, tool)
        cmd = tools.xlate_cmd(tool) + ["lint", "-", "--stdin-filename", "f.py"]
        timed(cmd, env, tools.work, stdin=path)  # warm-up (writes the caches when warm)
        cmds[label] = (cmd, env)
    samples: dict[str, list[float]] = {label: [] for label in cmds}
    for _ in range(args.latency_runs):  # the variants interleaved, so load spikes hit all alike
        for label, (cmd, env) in cmds.items():
            samples[label].append(timed(cmd, env, tools.work, stdin=path)[0])
    for label, ts in samples.items():
        ts.sort()
        rows[label] = {"times": ts, "median_s": statistics.median(ts), "p90_s": ts[int(len(ts) * 0.9) - 1], "min_s": ts[0]}
        log(f"  stdin 300 lines ({label}): median {rows[label]['median_s'] * 1000:.0f} ms, "
            f"p90 {rows[label]['p90_s'] * 1000:.0f} ms, min {ts[0] * 1000:.0f} ms")
    py = [sys.executable, "-c", "pass"]
    ts = sorted(timed(py, tools.env(), tools.work)[0] for _ in range(args.latency_runs))
    rows["python -c pass"] = {"median_s": statistics.median(ts)}
    rows["lines"] = path.read_bytes().count(b"\n")
    results["latency"] = rows


def section_memory(args: argparse.Namespace, tools: Tools, corpora: dict[str, Path], results: dict) -> None:
    rows = []
    avail = tools.available()
    targets = [("main", corpora["main"]), ("public", corpora["public"])]
    x16 = tools.work / "scale" / "publicx16"
    if x16.exists():
        targets.append(("public x16", x16))
    for label, target in targets:
        for tool in ("xlate lint", "xlate to-tf", "tf_upgrade_v2", "fixit", "ruff"):
            if not avail[tool] or tool in args.skip or (label != "main" and not tool.startswith("xlate")):
                continue
            tree, pss, single = tools.memory(tool, target)
            log(f"  {tool:<14} {label:<10} peak tree RSS {tree / 2**20:7.1f} MiB, PSS {pss / 2**20:7.1f} MiB "
                f"(largest process {single / 2**20:.1f} MiB)")
            rows.append({"tool": tool, "corpus": label, "tree_rss_bytes": tree, "tree_pss_bytes": pss,
                         "max_single_rss_bytes": single})
    results["memory"] = rows


# Runs one command and reports its wall time, CPU time (user + system) and peak RSS: the
# child's own ru_maxrss, which is exact because this process has no other child.
MEASURE = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall_s": wall, "cpu_s": r.ru_utime + r.ru_stime, "maxrss_bytes": r.ru_maxrss * 1024}))
"""


def section_big(args: argparse.Namespace, tools: Tools, corpora: dict[str, Path], results: dict) -> None:
    """lint and to-tf on one file of ``--big-mb`` MB with a model (wall, CPU, peak RSS)."""
    path = build_big_file(tools.work, args.big_mb)
    size = path.stat().st_size
    rows = []
    avail = tools.available()
    for tool in ("xlate lint", "xlate to-tf", "xlate lint@before", "xlate to-tf@before"):
        if not avail[tool] or tool in args.skip:
            continue
        base = tools.xlate_cmd(tool)
        variants = [("lint", base + ["lint", str(path), "--exit-zero"])] if " lint" in tool else [
            ("to-tf --check", base + ["to-tf", str(path), "--check"]),
            ("to-tf -o", base + ["to-tf", str(path), "-o", str(tools.work / "big" / "out.py"), "-q"]),
        ]
        for label, cmd in variants:
            samples = []
            for _ in range(args.scale_rounds):
                out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True,
                                     env=tools.env(tool=tool), cwd=tools.work)
                samples.append(dict(json.loads(out.stdout), loadavg=os.getloadavg()[0]))
            best = min(samples, key=lambda r: r["cpu_s"])
            log(f"  {tool:<20} {label:<14} {size / 2**20:.1f} MiB: rc {best['rc']}, {best['wall_s']:.1f} s wall, "
                f"{best['cpu_s']:.1f} s CPU, peak RSS {best['maxrss_bytes'] / 2**20:.0f} MiB (load {best['loadavg']:.1f})")
            rows.append({"tool": tool, "command": label, "bytes": size, "samples": samples, **best})
    results["big"] = rows


BREAKDOWN = r"""
import ast, sys, time, warnings, json
from kerastf_xlate.sources import iter_files, read_bytes, decode
from kerastf_xlate.lint import parse, findings_for_uses
from kerastf_xlate.resolve import find_uses, imports_may_reach_keras
from kerastf_xlate.rules import default_rules
rules = default_rules(); known = set(rules.by_name)
perf_counter = time.process_time  # CPU seconds: robust to other load on the machine
time.perf_counter = perf_counter
t = dict(read=0.0, decode=0.0, parse=0.0, prefilter=0.0, resolve=0.0, findings=0.0)
n = dict(files=0, keras_text=0, keras_imports=0, uses=0)
for path in iter_files([sys.argv[1]]):
    c = time.perf_counter(); data = read_bytes(path); t["read"] += time.perf_counter() - c
    c = time.perf_counter(); text = decode(path, data).text; t["decode"] += time.perf_counter() - c
    c = time.perf_counter(); tree = parse(text, path); t["parse"] += time.perf_counter() - c
    n["files"] += 1
    if "keras" not in text: continue
    n["keras_text"] += 1
    c = time.perf_counter(); reach = imports_may_reach_keras(tree); t["prefilter"] += time.perf_counter() - c
    if not reach: continue
    n["keras_imports"] += 1
    c = time.perf_counter(); uses = find_uses(tree, known); t["resolve"] += time.perf_counter() - c
    c = time.perf_counter(); f = findings_for_uses(uses, rules); t["findings"] += time.perf_counter() - c
    n["uses"] += len(uses)
print(json.dumps({"seconds": t, "counts": n}))
"""


def section_breakdown(args: argparse.Namespace, tools: Tools, corpora: dict[str, Path], results: dict) -> None:
    """Where one process's CPU time goes (in-process, one core), per phase of ``lint``."""
    rows = {}
    targets = dict(corpora)
    tf_python = Path(importlib.util.find_spec("tensorflow").submodule_search_locations[0]) / "python"  # type: ignore[union-attr]
    if tf_python.is_dir():
        targets["tensorflow/python (no copy)"] = tf_python
    for label, target in targets.items():
        out = subprocess.run([sys.executable, "-c", BREAKDOWN, str(target)], capture_output=True, text=True,
                             env=tools.env(), cwd=tools.work)
        if out.returncode:
            log(out.stderr[-2000:])
            continue
        rows[label] = json.loads(out.stdout)
        rows[label]["lines"] = count_lines(py_files(target))
        log(f"  {label}: {rows[label]}")
    results["breakdown"] = rows


# ----------------------------------------------------------------------------- translation-heavy input


def models_file(n: int = 50) -> str:
    """``n`` Keras models at module level, five kinds in turn with varying sizes: functional
    CNNs, Sequential MLPs, embedding + Conv1D text models, residual blocks (Add), depthwise
    separable stacks; every one translatable by ``xlate to-tf``."""
    out = ["import keras", "from keras import layers", ""]
    for i in range(n):
        kind, w = i % 5, 8 * (1 + i % 4)
        if kind == 0:
            out += [f"inputs_{i} = keras.Input(shape=(28, 28, 1))",
                    f"x = layers.Conv2D({w}, 3, padding='same', activation='relu')(inputs_{i})",
                    "x = layers.BatchNormalization()(x)", "x = layers.MaxPooling2D(2)(x)",
                    f"x = layers.Conv2D({2 * w}, 3, activation='relu')(x)", "x = layers.GlobalAveragePooling2D()(x)",
                    "x = layers.Dropout(0.25)(x)", "outputs = layers.Dense(10, activation='softmax')(x)",
                    f"model_{i} = keras.Model(inputs_{i}, outputs, name='cnn_{i}')"]
        elif kind == 1:
            out += [f"model_{i} = keras.Sequential([", "    keras.Input(shape=(20,)),",
                    f"    layers.Dense({4 * w}, activation='relu'),", "    layers.Dropout(0.2),",
                    f"    layers.Dense({2 * w}, activation='tanh'),", "    layers.LayerNormalization(),",
                    "    layers.Dense(3),", "])"]
        elif kind == 2:
            out += [f"tokens_{i} = keras.Input(shape=(40,), dtype='int32')",
                    f"x = layers.Embedding(1000, {w})(tokens_{i})",
                    f"x = layers.Conv1D({w}, 5, padding='same', activation='relu')(x)",
                    "x = layers.GlobalMaxPooling1D()(x)", "score = layers.Dense(1, activation='sigmoid')(x)",
                    f"model_{i} = keras.Model(tokens_{i}, score)"]
        elif kind == 3:
            out += [f"inputs_{i} = keras.Input(shape=(16, 16, {w}))",
                    f"x = layers.Conv2D({w}, 3, padding='same', use_bias=False)(inputs_{i})",
                    "x = layers.BatchNormalization()(x)", "x = layers.ReLU()(x)",
                    f"x = layers.Conv2D({w}, 3, padding='same')(x)", f"x = layers.Add()([x, inputs_{i}])",
                    "x = layers.Activation('relu')(x)", "x = layers.Flatten()(x)", "outputs = layers.Dense(5)(x)",
                    f"model_{i} = keras.Model(inputs_{i}, outputs)"]
        else:
            out += [f"inputs_{i} = keras.Input(shape=(32, 32, 3))",
                    "x = layers.DepthwiseConv2D(3, padding='same')(inputs_{i})".replace("{i}", str(i)),
                    f"x = layers.Conv2D({w}, 1, activation='relu6')(x)", "x = layers.AveragePooling2D(2)(x)",
                    f"x = layers.SeparableConv2D({2 * w}, 3, padding='same', activation='elu')(x)",
                    "x = layers.GlobalAveragePooling2D()(x)", "outputs = layers.Dense(4)(x)",
                    f"model_{i} = keras.Model(inputs_{i}, outputs)"]
        out.append("")
    return "\n".join(out)


HEAVY = r"""
import ast, json, sys, time
from pathlib import Path
import libcst
from kerastf_xlate.totf import translate
rounds, files = int(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
texts = [(str(p), p.read_text(encoding="utf-8")) for p in files]
def xlate():
    return sum(translate(text, path)[0] != text for path, text in texts)
def cst():
    for _, text in texts:
        libcst.parse_module(text)
def std():
    for _, text in texts:
        ast.parse(text)
tools = {"xlate to-tf (translate)": xlate, "libcst.parse_module": cst, "ast.parse": std}
changed = xlate()
for f in tools.values():
    f()
samples = {k: [] for k in tools}
order = list(tools)
for r in range(rounds):
    for name in (order if r % 2 == 0 else order[::-1]):
        c = time.process_time()
        tools[name]()
        samples[name].append(time.process_time() - c)
print(json.dumps({"samples": samples, "changed": changed}))
"""


def section_heavy(args: argparse.Namespace, tools: Tools, corpora: dict[str, Path], results: dict) -> None:
    """to-tf on input it translates (keras.applications as installed, the file of
    ``models_file()``'s 50 models) next to the LibCST parse rate of the same input: in one
    process, CPU seconds (``time.process_time``), the three alternating over ``--rounds``
    rounds, median; then the whole ``xlate to-tf INPUT -o OUT -q`` command (wall, CPU)."""
    root = tools.work / "heavy"
    shutil.rmtree(root, ignore_errors=True)
    apps, models = root / "applications", root / "models50"
    apps.mkdir(parents=True)
    models.mkdir()
    for path in sorted((keras_src_dir() / "applications").glob("*.py")):
        if not path.name.endswith("_test.py"):
            shutil.copy(path, apps / path.name)
    (models / "models50.py").write_text(models_file(50), encoding="utf-8")
    rows = {}
    for label, target in (("keras.applications", apps), ("50 models, one file", models)):
        files = py_files(target)
        size = sum(p.stat().st_size for p in files)
        out = subprocess.run([sys.executable, "-c", HEAVY, str(args.rounds), *map(str, files)], capture_output=True,
                             text=True, env=tools.env(), cwd=tools.work)
        if out.returncode:
            log(out.stderr[-2000:])
            continue
        got = json.loads(out.stdout)
        row: dict = {"files": len(files), "lines": count_lines(files), "bytes": size, "changed": got["changed"],
                     "cpu_s": {k: statistics.median(v) for k, v in got["samples"].items()}, "samples": got["samples"]}
        cmd = tools.xlate_cmd("xlate to-tf") + ["to-tf", str(target), "-o", str(root / f"out-{target.name}"), "-q"]
        runs = [json.loads(subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True,
                                          env=tools.env(tool="xlate to-tf"), cwd=tools.work).stdout)
                for _ in range(args.scale_rounds)]
        row["command"] = min(runs, key=lambda r: r["cpu_s"])
        rates = ", ".join(f"{k} {row['lines'] / v:,.0f} lines/s" for k, v in row["cpu_s"].items())
        log(f"  {label}: {len(files)} files, {row['lines']} lines, {row['changed']} translated; {rates}; "
            f"command {row['command']['wall_s']:.1f} s wall, {row['command']['cpu_s']:.1f} s CPU")
        rows[label] = row
    results["heavy"] = rows


# ----------------------------------------------------------------------------- report


def machine() -> dict[str, object]:
    cpu = ""
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        mem = next(ln.split(":", 1)[1].strip() for ln in open("/proc/meminfo") if ln.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_start": os.getloadavg()}


def versions(tools: Tools) -> dict[str, str]:
    out = {}
    for name, cmd in (("xlate", tools.xlate + ["--version"]), ("fixit", [tools.fixit, "--version"]),
                      ("ruff", [tools.ruff, "--version"])):
        try:
            out[name] = subprocess.run(cmd, capture_output=True, text=True, env=tools.env()).stdout.strip()
        except OSError:
            out[name] = "not installed"
    try:
        from importlib.metadata import version

        out["tensorflow"] = version("tensorflow") if importlib.util.find_spec("tensorflow") else "-"
        out["keras"] = version("keras")
    except Exception:  # pragma: no cover
        pass
    return out


def report(results: dict) -> str:
    lines = []
    c = results["corpus"]
    if c:
        lines.append(f"corpus main: {c['main']['files']} files, {c['main']['lines']} lines; "
                     f"public: {c['public']['files']} files, {c['public']['lines']} lines "
                     f"({c.get('excluded', 0)} files left out: tf_upgrade_v2 cannot process them)")
    if "peers" in results:
        lines.append("\n| tool | corpus | median wall s | lines/s (wall) | xlate lint / tool | xlate to-tf / tool "
                     "| median CPU s | lines per CPU s | lint / tool (CPU) | to-tf / tool (CPU) |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        by = {(r["tool"], r["corpus"]): r for r in results["peers"]}
        for r in results["peers"]:
            lint = by.get(("xlate lint", r["corpus"]))
            totf = by.get(("xlate to-tf", r["corpus"]))
            ratio = lambda x, k, r=r: f"{x[k] / r[k]:.1f}x" if x else "-"  # noqa: E731
            lines.append(f"| {r['tool']} | {r['corpus']} | {r['median_s']:.2f} | {r['lines_per_s']:,.0f} | "
                         f"{ratio(lint, 'lines_per_s')} | {ratio(totf, 'lines_per_s')} | {r['median_cpu_s']:.2f} | "
                         f"{r['lines_per_cpu_s']:,.0f} | {ratio(lint, 'lines_per_cpu_s')} | {ratio(totf, 'lines_per_cpu_s')} |")
    if "scaling" in results:
        lines.append("\n| tool | corpus | factor | lines | median wall s | lines/s | CPU s | lines per CPU s |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for r in results["scaling"]:
            lines.append(f"| {r['tool']} | {r['corpus']} | {r['factor']}x | {r['lines']:,} | {r['median_s']:.2f} | "
                         f"{r['lines_per_s']:,.0f} | {r['median_cpu_s']:.2f} | {r['lines_per_cpu_s']:,.0f} |")
    if "files" in results:
        lines.append("\n| tool | one file of | median wall s | lines/s | CPU s | lines per CPU s |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for r in results["files"]:
            lines.append(f"| {r['tool']} | {r['lines']:,} lines | {r['median_s']:.3f} | {r['lines_per_s']:,.0f} | "
                         f"{r['median_cpu_s']:.3f} | {r['lines_per_cpu_s']:,.0f} |")
    if "latency" in results:
        lat = results["latency"]
        lines.append(f"\nstdin, {lat['lines']} lines: " + "; ".join(
            f"{k}: median {v['median_s'] * 1000:.0f} ms" + (f", p90 {v['p90_s'] * 1000:.0f} ms, min {v['min_s'] * 1000:.0f} ms"
                                                             if "p90_s" in v else "")
            for k, v in lat.items() if isinstance(v, dict)))
    if "memory" in results:
        lines.append("\n| tool | corpus | peak RSS, process tree | peak PSS, process tree | largest process (ru_maxrss) |")
        lines.append("|---|---|---:|---:|---:|")
        for r in results["memory"]:
            single = f"{r['max_single_rss_bytes'] / 2**20:.0f} MiB" if r["max_single_rss_bytes"] else "-"
            lines.append(f"| {r['tool']} | {r['corpus']} | {r['tree_rss_bytes'] / 2**20:.0f} MiB | "
                         f"{r['tree_pss_bytes'] / 2**20:.0f} MiB | {single} |")
    if "big" in results:
        lines.append("\n| tool | command | file | exit status | wall s | CPU s | peak RSS | load average |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for r in results["big"]:
            lines.append(f"| {r['tool'].replace(' to-tf', '').replace(' lint', '')} | `{r['command']}` | {r['bytes'] / 2**20:.1f} MiB | "
                         f"{r['rc']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['maxrss_bytes'] / 2**20:.0f} MiB | {r['loadavg']:.1f} |")
    if "breakdown" in results:
        lines.append("\n| corpus | lines | files | 'keras' in text | keras imports | read | decode | parse | prefilter | resolve | findings |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, b in results["breakdown"].items():
            s, n = b["seconds"], b["counts"]
            lines.append(f"| {label} | {b['lines']:,} | {n['files']} | {n['keras_text']} | {n['keras_imports']} | "
                         + " | ".join(f"{s[k]:.2f}" for k in ("read", "decode", "parse", "prefilter", "resolve", "findings")) + " |")
    if "heavy" in results:
        lines.append("\n| input | files | lines | translated files | xlate to-tf (translate), lines/CPU s | "
                     "libcst.parse_module, lines/CPU s | to-tf / LibCST parse time | ast.parse, lines/CPU s | "
                     "`xlate to-tf -o` command: wall s, CPU s |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, h in results["heavy"].items():
            cpu = h["cpu_s"]
            x, c, a = cpu["xlate to-tf (translate)"], cpu["libcst.parse_module"], cpu["ast.parse"]
            lines.append(f"| {label} | {h['files']} | {h['lines']:,} | {h['changed']} | {h['lines'] / x:,.0f} | "
                         f"{h['lines'] / c:,.0f} | {x / c:.2f} | {h['lines'] / a:,.0f} | "
                         f"{h['command']['wall_s']:.1f}, {h['command']['cpu_s']:.1f} |")
    return "\n".join(lines) + "\n"


# What ``--before auto`` undoes in a copy of today's sources (each must be found exactly once),
# plus XLATE_RULES_CACHE-less runs: XLATE_NO_CACHE=1 in its environment.
BEFORE_EDITS = {
    "resolve.py": [
        ("class _Binder(_FastVisitor):", "class _Binder(ast.NodeVisitor):"),
        ("class _Resolver(_FastVisitor):", "class _Resolver(ast.NodeVisitor):"),
        ("    if not imports_may_reach_keras(tree):\n        return []\n", ""),
    ],
    "lint.py": [  # _too_deep back on ast.iter_child_nodes
        ("""        append = nxt.append
        for node in level:
            for name in node._fields:
                try:
                    value = getattr(node, name)
                except AttributeError:
                    continue
                if isinstance(value, node_type):
                    append(value)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, node_type):
                            append(item)
""", """        for node in level:
            nxt.extend(ast.iter_child_nodes(node))
"""),
    ],
}


def make_before(work: Path) -> str:
    """Today's ``src/`` without the resolver's fast visitor and import prefilter (the rule
    cache is switched off by the environment instead), so before/after isolates them."""
    dest = work / "before-src"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(ROOT / "src", dest, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name, edits in BEFORE_EDITS.items():
        path = dest / "kerastf_xlate" / name
        text = path.read_text()
        for old, new in edits:
            assert text.count(old) == 1, f"{name}: {old!r} not found once; update BEFORE_EDITS"
            text = text.replace(old, new)
        path.write_text(text)
    return str(dest)


def setup_peers(venv: Path) -> None:
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "fixit", "ruff"], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/xlate-bench", help="Work directory (corpus, outputs, caches).")
    ap.add_argument("--corpus", choices=["default", "full"], default="default",
                    help=f"default: keras/src/{{{','.join(DEFAULT_SUBDIRS)}}} + examples; full: all of keras/src.")
    ap.add_argument("--rebuild", action="store_true", help="Rebuild the corpus.")
    ap.add_argument("--rounds", type=int, default=3, help="Rounds of the peer comparison (median).")
    ap.add_argument("--scale-rounds", type=int, default=1, help="Rounds of the scaling and single-file runs.")
    ap.add_argument("--full-scaling", action="store_true", help="Also scale to-tf on the public corpus.")
    ap.add_argument("--latency-runs", type=int, default=20)
    ap.add_argument("--big-mb", type=float, default=5, help="Size of the big-file section's file, MB.")
    ap.add_argument("--jobs", "-j", type=int, default=0, help="xlate -j (default: xlate's default, all cores).")
    ap.add_argument("--peers-venv", default="/tmp/fixit-venv", help="Venv with fixit and ruff.")
    ap.add_argument("--setup-peers", action="store_true", help="Create the peers' venv (pip install fixit ruff).")
    ap.add_argument("--only", action="append", choices=SECTIONS, help="Run only these sections (repeatable).")
    ap.add_argument("--skip", action="append", default=[], help="Leave out a tool (e.g. fixit).")
    ap.add_argument("--xlate-pythonpath", help="Run xlate from this source directory instead of the installed one.")
    ap.add_argument("--before", help="Also run an older xlate, as 'xlate lint@before' and 'xlate to-tf@before', in the "
                    "same alternation: a source directory (a checkout's src/), or 'auto': today's src/ with the "
                    "performance work of the bench issue undone (see make_before).")
    ap.add_argument("--json", help="Write the results here (default: WORK/results.json).")
    args = ap.parse_args()

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.setup_peers:
        setup_peers(Path(args.peers_venv))
    if args.before == "auto":
        args.before = make_before(work)
    tools = Tools(args, work)
    sections = args.only or list(SECTIONS)
    results: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
                     "versions": versions(tools), "args": vars(args), "corpus": {}}
    corpora: dict[str, Path] = {}
    singles: dict[int, Path] = {}
    if set(sections) - {"big", "heavy"}:  # the big file and the translation-heavy input need no corpus
        corpora = build_corpus(work, args.corpus, args.rebuild)
        for label, path in corpora.items():
            files = py_files(path)
            results["corpus"][label] = {"files": len(files), "lines": count_lines(files), "path": str(path)}
        results["corpus"]["excluded"] = len((work / "corpus" / "excluded.txt").read_text().splitlines())
        log(f"corpus: {results['corpus']}")
        singles = build_single_files(work, corpora)
    for name in sections:
        log(f"== {name}")
        if name in ("files", "latency"):
            globals()[f"section_{name}"](args, tools, singles, results)
        else:
            globals()[f"section_{name}"](args, tools, corpora, results)
    results["machine"]["loadavg_end"] = os.getloadavg()
    out = Path(args.json) if args.json else work / "results.json"
    out.write_text(json.dumps(results, indent=1, default=str))
    print(report(results))
    log(f"results: {out}")


if __name__ == "__main__":
    main()
