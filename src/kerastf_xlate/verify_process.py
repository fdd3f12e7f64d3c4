"""``xlate verify`` runs the user's code in a child process, never in its own.

Executing a model can kill the process that does it: TensorFlow checks some things only
in C++ (``tf.nn.conv2d`` on an input of the wrong rank aborts under oneDNN), user code may
segfault in an extension, exhaust memory or hang. So the parent (this module, imported by
the command line; it never imports TensorFlow) translates the file statically, then starts
a fresh Python (``python -m kerastf_xlate.verify_process --child FD``; spawned, never
forked) that imports TensorFlow, executes the original and its translation and compares
them model by model. The child announces every step before taking it and sends every result
as one JSON record per line on a pipe of its own (the user's ``print`` goes to its stdout,
which the parent passes on to stderr). When the child dies (signal, abort, exit, or silence
longer than the stage timeout) the parent knows the model and the step: that model becomes
a FAIL line naming the reason ("process killed by SIGABRT while probing input shape
(8,)"), and a new child verifies the models that remain, skipping the one that crashed.

The child never lets an exception out: an error in one model is that model's FAIL, an error
executing the file is the file's FAIL, a bug of its own is a FAIL too. Never a traceback.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from kerastf_xlate.runner import Progress

DEFAULT_STAGE_TIMEOUT = 900.0  # seconds one step (executing a file, one comparison) may take
TIMEOUT_ENV = "XLATE_VERIFY_TIMEOUT"


@dataclass(frozen=True)
class Outcome:
    """One line of the report: a model in one mode, or why it (or the file) could not be compared."""

    name: str
    mode: str  # inference | training | crashed | error
    max_abs_diff: float
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Job:
    """One file to verify; ``translated`` is the to-tf translation (to-keras translates in the child)."""

    path: str
    source: str
    to_keras: bool = False
    translated: str | None = None
    keras2: bool = False  # a Keras 2 program: its original runs under tf-keras (testing/keras2.py)


@dataclass
class FileReport:
    path: str
    outcomes: list[Outcome] = field(default_factory=list)
    models: list[str] | None = None  # None until the child has executed the file
    done: set[str] = field(default_factory=set)
    finished: bool = False
    note: str = ""  # e.g. "nothing to compare"


def stage_timeout() -> float:
    try:
        value = float(os.environ.get(TIMEOUT_ENV, DEFAULT_STAGE_TIMEOUT))
    except ValueError:
        return DEFAULT_STAGE_TIMEOUT
    return value if value > 0 else DEFAULT_STAGE_TIMEOUT


# ------------------------------------------------------------------------------ parent


def verify_jobs(jobs: list[Job], atol: float = 1e-5, rtol: float = 1e-5, input_shape: tuple[int, ...] | None = None,
                seed: int = 0, timeout: float | None = None, output: IO[str] | None = None,
                quiet: bool = True, progress: Progress | None = None) -> list[FileReport]:
    """Verify files in child processes; a child that dies costs the model (or file) it was
    working on, and a new child goes on with the rest. ``output`` gets the children's
    stdout/stderr (the user's prints), default: this process's stderr; ``quiet`` leaves out
    TensorFlow's own log lines there (absl, oneDNN, CPU features); ``progress`` hears of
    every model done (crashed ones too), once the child has said how many there are."""
    reports = [FileReport(j.path) for j in jobs]
    timeout = stage_timeout() if timeout is None else timeout
    last_crash: tuple[Any, ...] | None = None
    while not all(r.finished for r in reports):
        todo = [i for i, r in enumerate(reports) if not r.finished]
        todo = [i for i in todo if jobs[i].keras2 == jobs[todo[0]].keras2]  # Keras 2 programs in a child of their own
        request = {
            "atol": atol, "rtol": rtol, "seed": seed, "input_shape": list(input_shape) if input_shape else None,
            "keras2": jobs[todo[0]].keras2,
            "files": [{"index": i, "path": jobs[i].path, "source": jobs[i].source, "to_keras": jobs[i].to_keras,
                       "translated": jobs[i].translated,
                       "skip": sorted(reports[i].done)} for i in todo],
        }
        status, stage, tail = _run_child(request, reports, timeout, output, quiet, progress)
        if status is None:  # it finished what it was given: nothing died
            for i in todo:
                reports[i].finished = True
            continue
        reason = f"{status} while {stage['what']}" if stage else f"{status} before it started"
        if tail:
            reason += f" (last output: {tail})"
        if stage is None:  # died before executing anything: TensorFlow missing or broken
            for i in todo:
                reports[i].outcomes.append(Outcome(reports[i].path, "crashed", float("inf"), False, reason))
                reports[i].finished = True
            break
        report = reports[stage["file"]]
        model = stage.get("model")
        crash = (stage["file"], model, stage["what"], tuple(sorted(report.done)))
        if model is not None and report.models is not None and crash != last_crash:
            report.outcomes.append(Outcome(model, "crashed", float("inf"), False, reason))
            report.done.add(model)
            _tell(progress, reports)
            if report.done >= set(report.models):
                report.finished = True
        else:  # the file itself (executing it), or no progress since the last child: give up on the file
            report.outcomes.append(Outcome(report.path, "crashed", float("inf"), False, reason))
            report.finished = True
        last_crash = crash
    return reports


def _tell(progress: Progress | None, reports: list[FileReport]) -> None:
    if progress is not None:
        known = [r for r in reports if r.models is not None]
        progress.update(sum(len(r.done) for r in known), sum(len(r.models or ()) for r in known))


def _child_env() -> dict[str, str]:
    import kerastf_xlate

    root = os.path.dirname(os.path.dirname(os.path.abspath(kerastf_xlate.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONINSPECT", None)
    return env


def _run_child(request: dict[str, Any], reports: list[FileReport], timeout: float,
               output: IO[str] | None, quiet: bool = True,
               progress: Progress | None = None) -> tuple[str | None, dict[str, Any] | None, str]:
    """Run one child over ``request``; (None, ...) when it ended normally, else (why it died,
    the last stage it announced, the last line it printed)."""
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as log:
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "kerastf_xlate.verify_process", "--child", str(write_fd)],
                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, pass_fds=(write_fd,),
                env=_child_env(), close_fds=True,
            )
        except OSError as exc:
            os.close(read_fd)
            os.close(write_fd)
            return f"could not start a Python process ({exc.strerror or exc})", None, ""
        os.close(write_fd)
        stage: dict[str, Any] | None = None
        timed_out = False
        try:
            assert proc.stdin is not None
            try:
                proc.stdin.write(json.dumps(request).encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass
            buffer = b""
            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    proc.kill()
                    break
                ready, _, _ = select.select([read_fd], [], [], min(remaining, 1.0))
                if not ready:
                    continue
                chunk = os.read(read_fd, 65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    record = _decode(line)
                    if record is None:
                        continue
                    deadline = time.monotonic() + timeout
                    stage = _apply(record, reports, stage)
                    if record.get("t") in ("models", "model_done"):
                        _tell(progress, reports)
            rc = proc.wait()
        finally:
            os.close(read_fd)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        log.seek(0)
        text = log.read().decode("utf-8", errors="replace")
    text = tf_log_removed(text) if quiet else text
    if text and progress is not None:
        progress.close()  # the user's prints on lines of their own (a later update draws the bar again)
    _forward(text, output)
    if stage is not None and stage.get("what") == "finished":
        return None, None, ""
    if stage is not None and "internal" in stage:
        status = f"internal error of xlate verify: {stage.pop('internal')}"
    elif timed_out:
        status = f"process stopped after {timeout:g} s without progress (timeout)"
    elif rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        status = f"process killed by {name}" + (" (out of memory?)" if -rc == signal.SIGKILL else "")
    else:
        status = f"process exited with status {rc}"
    if stage is not None and "file" not in stage:
        stage = None
    return status, stage, _last_line(text)


def _decode(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _apply(record: dict[str, Any], reports: list[FileReport], stage: dict[str, Any] | None) -> dict[str, Any] | None:
    """Fold one record from the child into the reports; returns the current stage."""
    kind = record.get("t")
    if kind == "finished":
        return {"what": "finished"}
    if kind == "internal":  # the child's own bug: it exits at once
        return {**(stage or {}), "internal": str(record.get("message", ""))}
    try:
        report = reports[int(record["file"])]
    except (KeyError, ValueError, IndexError, TypeError):
        return stage
    if kind == "stage":
        return {"file": int(record["file"]), "model": record.get("model"), "what": str(record.get("what"))}
    if kind == "models":
        report.models = [str(n) for n in record.get("names", [])]
    elif kind == "result":
        report.outcomes.append(Outcome(str(record["name"]), str(record["mode"]), float(record["diff"]),
                                       bool(record["ok"]), str(record.get("detail", ""))))
    elif kind == "model_done":
        report.done.add(str(record["model"]))
        return {"file": int(record["file"]), "model": None, "what": f"finishing {record['model']}"}
    elif kind == "file_error":
        report.outcomes.append(Outcome(report.path, "error", float("inf"), False, str(record["message"])))
    elif kind == "file_done":
        report.finished = True
        report.note = str(record.get("note") or "")
    return stage


def _last_line(text: str) -> str:
    """The native error a dying process printed last (TensorFlow's ``Check failed: ...``,
    ``Fatal Python error``), if any; not the warnings printed before it."""
    for line in reversed([ln.strip() for ln in text.splitlines() if ln.strip()][-20:]):
        if any(k in line for k in ("Check failed", "Fatal", "FATAL", "Abort", "terminate called", "Segmentation")):
            return line[:300]
    return ""


# TensorFlow's own log lines (C++ absl/glog logging, which TF_CPP_MIN_LOG_LEVEL does not
# always reach, and Python absl logging): noise in a report, shown with `xlate verify -v`
_TF_LOG = re.compile(
    r"^(?:WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWEF]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] .*"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] [\w./-]+:\d+\] .*"
    r"|(?:INFO|WARNING|ERROR):absl:.*"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.)$")


def tf_log_removed(text: str) -> str:
    """``text`` without TensorFlow's log lines."""
    if not text:
        return text
    return "".join(line for line in text.splitlines(keepends=True) if not _TF_LOG.match(line.rstrip("\r\n")))


def _forward(text: str, output: IO[str] | None) -> None:
    if not text:
        return
    out = output if output is not None else sys.stderr
    try:
        out.write(text if text.endswith("\n") else text + "\n")
        out.flush()
    except (OSError, ValueError):
        pass


def prepare(path: str, to_keras: bool, input_shape: tuple[int, ...] | None) -> tuple[Job | None, str, int]:
    """Read and translate ``path`` here (static: no TensorFlow); (job, message, exit status)."""
    from kerastf_xlate.sources import NOTEBOOK_SUFFIX, SourceError, read_source

    if path.endswith(NOTEBOOK_SUFFIX):
        return None, f"error: {path}: `xlate verify` takes a Python file; export the notebook to a script first", 2
    try:
        source = read_source(path).text
        if to_keras:
            from kerastf_xlate.tokeras import translate

            translated, _ = translate(source, path)
        else:
            from kerastf_xlate.totf import translate as to_tf

            translated, _ = to_tf(source, path, input_shape=input_shape)
    except SourceError as err:
        return None, f"error: {err}", 2
    except RecursionError:
        return None, f"error: {path}: too deeply nested to translate", 2
    except Exception as exc:  # a bug in a translator: one line, not a traceback
        detail = " ".join(str(exc).split())[:200]
        return None, f"error: {path}: internal error while translating: {type(exc).__name__}: {detail}", 2
    if translated == source:
        return None, f"{path}: nothing was translated; nothing to compare", 1
    from kerastf_xlate.totf.program.keras2 import is_keras2_source

    keras2 = not to_keras and is_keras2_source(source)
    if keras2 and importlib.util.find_spec("tf_keras") is None:
        return None, (f"error: {path}: a Keras 2 program (it names Keras 2 paths or backend functions that Keras 3 "
                      "does not have): its original runs under Keras 2 only, and `xlate verify` runs it under "
                      "tf-keras, which is not installed (pip install tf-keras)"), 2
    return Job(path, source, to_keras, None if to_keras else translated, keras2), "", 0


def run_verify(path: str, to_keras: bool = False, atol: float = 1e-5, rtol: float = 1e-5,
               input_shape: tuple[int, ...] | None = None, seed: int = 0,
               echo: Callable[[str], None] = print, echo_err: Callable[[str], None] | None = None,
               fmt: str = "text", verbose: bool = False, progress: Progress | None = None) -> int:
    """The ``xlate verify`` command: one line per model and mode (``fmt="json"``: a JSON array
    of one record per model and mode on ``echo``, everything else on ``echo_err``); 0 when all
    pass, 1 when something fails or nothing is compared, 2 when the file cannot be read or
    translated. TensorFlow's log lines are left out unless ``verbose``."""
    err = echo_err or (lambda m: print(m, file=sys.stderr))
    say = echo if fmt == "text" else err
    job, message, status = prepare(path, to_keras, input_shape)
    if job is None:
        (err if status == 2 else say)(message)
        if fmt == "json":
            echo("[]")
        elif fmt in ("github", "sarif"):
            echo(machine_report(FileReport(path, [Outcome(path, "error", float("inf"), False, message)]), atol, rtol, fmt).rstrip("\n"))
        return status
    under = " under Keras 2 (tf-keras: a Keras 2 program)" if job.keras2 else ""
    say(f"xlate verify: executing {path}{under} and its translation in a child process "
        "(this runs your code and imports TensorFlow/Keras)")
    try:
        (report,) = verify_jobs([job], atol, rtol, input_shape, seed, quiet=not verbose, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    if fmt == "json":
        return print_json_report(report, atol, rtol, echo, err)
    if fmt in ("github", "sarif"):
        print_report(report, atol, rtol, err)  # the lines a person reads, beside the machine's
        out = machine_report(report, atol, rtol, fmt)
        if out:
            echo(out.rstrip("\n"))
        return 0 if report.outcomes and all(r.ok for r in report.outcomes) else 1
    return print_report(report, atol, rtol, echo)


def json_records(report: FileReport, atol: float, rtol: float) -> list[dict[str, Any]]:
    """One record per model and mode (docs/output.md): ``max_abs_diff`` is null when the
    model could not be run (``mode`` crashed or error)."""
    return [{"path": report.path, "name": r.name, "mode": r.mode,
             "max_abs_diff": r.max_abs_diff if r.max_abs_diff == r.max_abs_diff and abs(r.max_abs_diff) != float("inf") else None,
             "atol": atol, "rtol": rtol, "pass": bool(r.ok), "detail": r.detail} for r in report.outcomes]


def _failure_text(record: dict[str, Any]) -> str:
    diff = record["max_abs_diff"]
    said = f"max |diff| = {diff:.3g} > tolerance atol={record['atol']:g} rtol={record['rtol']:g}" if diff is not None else ""
    return "; ".join(t for t in (f"{record['name']} [{record['mode']}] differs from the original", said, record["detail"]) if t)


def machine_report(report: FileReport, atol: float, rtol: float, fmt: str, tool_version: str | None = None) -> str:
    """``github`` (an ``::error`` annotation on the file per failing model and mode) or
    ``sarif`` (a SARIF 2.1.0 run, one result per failing model and mode, rule ``verify``);
    passing records give nothing, as a clean lint run does (docs/output.md)."""
    failed = [r for r in json_records(report, atol, rtol) if not r["pass"]]
    if fmt == "github":
        esc = lambda t: t.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")  # noqa: E731
        return "".join(f"::error file={r['path']},title=xlate verify::{esc(_failure_text(r))}\n" for r in failed)
    if tool_version is None:
        from kerastf_xlate import __version__ as tool_version
    results = [{"ruleId": "verify", "level": "error", "message": {"text": _failure_text(r)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": r["path"]}}}],
                "properties": {k: r[k] for k in ("name", "mode", "max_abs_diff", "atol", "rtol")}} for r in failed]
    rule = {"id": "verify", "name": "translation-differs",
            "shortDescription": {"text": "the translation's outputs differ from the original's beyond the tolerance"}}
    doc = {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {"name": "kerastf-xlate", "version": tool_version,
                                         "informationUri": "https://github.com/kerastf-xlate/kerastf-xlate", "rules": [rule]}},
                     "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


def print_json_report(report: FileReport, atol: float, rtol: float, echo: Callable[[str], None],
                      err: Callable[[str], None]) -> int:
    records = json_records(report, atol, rtol)
    echo(json.dumps(records, indent=2))
    if not records:
        err(f"{report.path}: {report.note or 'no model found that exists in both versions'}")
        return 1
    return 0 if all(r["pass"] for r in records) else 1


def print_report(report: FileReport, atol: float, rtol: float, echo: Callable[[str], None] = print) -> int:
    if not report.outcomes:
        echo(f"{report.path}: {report.note or 'no model found that exists in both versions'}")
        return 1
    worst = 0.0
    for r in report.outcomes:
        worst = max(worst, r.max_abs_diff)
        status = "PASS" if r.ok else "FAIL"
        if r.mode in ("crashed", "error"):
            echo(f"{status} {r.name}: {r.detail}")
            continue
        extra = f" ({r.detail})" if r.detail else ""
        echo(f"{status} {r.name} [{r.mode}] max |diff| = {r.max_abs_diff:.3g}{extra}; tolerance atol={atol:g} rtol={rtol:g}")
    failed = [r for r in report.outcomes if not r.ok]
    echo(f"{len(report.outcomes) - len(failed)} passed, {len(failed)} failed; worst max |diff| = {worst:.3g}")
    return 1 if failed else 0


# ------------------------------------------------------------------------------ child


class _Channel:
    def __init__(self, fd: int) -> None:
        self.out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def send(self, **record: Any) -> None:
        self.out.write(json.dumps(record, default=str) + "\n")
        self.out.flush()


def _child(fd: int) -> int:
    channel = _Channel(fd)
    try:
        request = json.loads(sys.stdin.read())
        sys.stdin = open(os.devnull)  # the user's input() gets end of file
        shape = tuple(request["input_shape"]) if request.get("input_shape") else None
        if request.get("keras2"):  # `import keras` is tf-keras here, for the originals
            from kerastf_xlate.testing.keras2 import use_keras2

            use_keras2()
        for item in request["files"]:
            _child_file(channel, item, request["atol"], request["rtol"], shape, int(request["seed"]),
                        bool(request.get("keras2")))
        channel.send(t="finished")
        return 0
    except BaseException as exc:
        try:
            channel.send(t="internal", message=f"{type(exc).__name__}: {_one_line(exc)}")
        except Exception:
            pass
        return 3


def _child_file(channel: _Channel, item: dict[str, Any], atol: float, rtol: float,
                input_shape: tuple[int, ...] | None, seed: int, keras2: bool = False) -> None:
    index = int(item["index"])
    path = str(item["path"])
    skip = set(item.get("skip", []))

    def stage(model: str | None, what: str) -> None:
        channel.send(t="stage", file=index, model=model, what=what)

    try:
        stage(None, "importing TensorFlow and Keras")
        if item["to_keras"]:
            from kerastf_xlate.tokeras.verify import plan_to_keras

            plan = plan_to_keras(item["source"], path, atol, rtol, input_shape, seed, stage)
        else:
            from kerastf_xlate.verify import plan_to_tf

            plan = plan_to_tf(item["source"], item["translated"], path, atol, rtol, input_shape, seed, stage, keras2)
    except BaseException as exc:
        channel.send(t="file_error", file=index, message=f"executing it raised {type(exc).__name__}: {_one_line(exc)}")
        channel.send(t="file_done", file=index)
        return
    channel.send(t="models", file=index, names=list(plan.names))
    for name in plan.names:
        if name in skip:
            continue
        stage(name, "comparing")
        try:
            results = plan.run(name)
        except BaseException as exc:
            from kerastf_xlate.verify import Comparison

            results = [Comparison(name, "inference", float("inf"), False, f"error: {type(exc).__name__}: {_one_line(exc)}")]
        for r in results:
            channel.send(t="result", file=index, name=r.name, mode=r.mode, diff=r.max_abs_diff, ok=bool(r.ok),
                         detail=r.detail)
        channel.send(t="model_done", file=index, model=name)
    channel.send(t="file_done", file=index, note="" if plan.names else "no model found that exists in both versions")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        code = _child(int(sys.argv[2]))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # no interpreter teardown: TensorFlow's can hang or crash after the work is done
    print("kerastf_xlate.verify_process is started by `xlate verify`; run that instead", file=sys.stderr)
    sys.exit(2)
