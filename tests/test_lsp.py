"""`xlate lsp` end to end: a real LSP client (pytest-lsp) drives `python -m kerastf_xlate lsp`
over stdio. One server is shared by the module (started once); tests use their own
documents. Timeouts are generous: this must pass on a loaded 2-core machine.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402
from pygls.workspace import TextDocument  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

from kerastf_xlate.lsp.actions import replace_edit, suppress_edit  # noqa: E402
from kerastf_xlate.lsp.positions import Lines, split_lines  # noqa: E402

SERVER = [sys.executable, "-m", "kerastf_xlate", "lsp"]
WAIT = 60.0  # seconds: a ceiling, not an expectation
HREF = "https://github.com/kerastf-xlate/kerastf-xlate/blob/main/docs/codes.md#"
module_loop = pytest.mark.asyncio(loop_scope="module")

PYPROJECT = """\
[tool.xlate]
ignore = ["XL203"]

[tool.xlate.per-file-ignores]
"legacy_*.py" = ["XL101"]
"""

MODEL = """\
import keras
from keras import layers
from keras.layers import Dense
\x0c
s = "\U0001F600"; r = layers.FlaxLayer(8)
x = layers.Conv2D(8, 3, dtype="int8")
g = layers.JaxLayer(4)  # noqa: XL101
p = layers.Conv2D(8, 3, padding=pad, data_format="channels_first")
d = Dense(3, lora_rank=4)
"""


# --------------------------------------------------------------------------- client plumbing


class Client(LanguageClient):
    """pytest-lsp's client, also recording published versions and applied edits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.published: dict[str, list[tuple[int | None, list[types.Diagnostic]]]] = {}
        self.applied: list[types.ApplyWorkspaceEditParams] = []


def make_client() -> Client:
    from pygls.protocol import default_converter

    client = Client(converter_factory=default_converter)
    features = {k: v for k, v in DEFAULT_CLIENT_FEATURES.items() if k != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS}
    register_lsp_features(client, features)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(c: Client, params: types.PublishDiagnosticsParams) -> None:
        c.diagnostics[params.uri] = params.diagnostics
        c.published.setdefault(params.uri, []).append((params.version, list(params.diagnostics)))

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(c: Client, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        c.applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    return client


def capabilities(resolve: bool = True) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
        ),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=["", "quickfix", "refactor", "source"])
                ),
                resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]) if resolve else None,
                data_support=resolve,
            ),
        ),
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    (root / "pyproject.toml").write_text(PYPROJECT)
    return root


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def client(lsp_client: Client, project: Path):
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities(), root_uri=project.as_uri(),
                               workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="proj")])
    )
    yield
    await lsp_client.shutdown_session()


_versions: dict[str, int] = {}


def open_doc(client: Client, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.published.pop(uri, None)
    _versions[uri] = 1
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    return uri


def change_doc(client: Client, uri: str, text: str) -> int:
    _versions[uri] += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=_versions[uri]),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    return _versions[uri]


async def diagnostics(client: Client, uri: str, version: int = 1, timeout: float = WAIT) -> list[types.Diagnostic]:
    """The diagnostics published for ``version`` of ``uri`` (waits for them)."""
    deadline = time.monotonic() + timeout
    while True:
        for v, diags in reversed(client.published.get(uri, [])):
            if v == version:
                return diags
        if time.monotonic() > deadline:
            raise AssertionError(f"no diagnostics for {uri} v{version}: {client.published.get(uri)}")
        await asyncio.sleep(0.02)


def apply(text: str, edit: types.WorkspaceEdit, uri: str) -> str:
    """Apply a workspace edit with pygls's own (UTF-16 aware) incremental change code."""
    edits: list[types.TextEdit] = []
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri
        edits += change.edits  # type: ignore[arg-type]
    for u, es in (edit.changes or {}).items():
        assert u == uri
        edits += es
    doc = TextDocument(uri, text)
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        doc.apply_change(types.TextDocumentContentChangePartial(range=e.range, text=e.new_text))
    return doc.source


async def actions(client: Client, uri: str, line: int, character: int, diags=(), only=None,
                  trigger=types.CodeActionTriggerKind.Automatic) -> list[types.CodeAction]:
    pos = types.Position(line=line, character=character)
    result = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=pos, end=pos),
        context=types.CodeActionContext(diagnostics=list(diags), only=only, trigger_kind=trigger))), WAIT)
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def cli_lint(text: str, path: Path) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "kerastf_xlate", "lint", "--format", "json", "--stdin-filename", str(path), "-"],
                          input=text.encode(), capture_output=True, timeout=WAIT)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout or b"[]")


# --------------------------------------------------------------------------- diagnostics


@module_loop
async def test_open_publishes_the_same_diagnostics_as_xlate_lint(client: Client, project: Path):
    path = project / "model.py"
    uri = open_doc(client, path, MODEL)
    got = await diagnostics(client, uri)
    want = cli_lint(MODEL, path)
    # JaxLayer silenced by noqa; `p` translated by to-tf's program form (its bundled Conv2D)
    assert [d["code"] for d in want] == ["XL101", "XL201", "XL202"]
    assert [(d.code, d.message) for d in got] == [(d["code"], d["message"]) for d in want]
    lines = split_lines(MODEL)  # (str.splitlines would also split at the form feed)
    for d, w in zip(got, want):
        assert d.source == "xlate"
        assert d.code_description is not None and d.code_description.href == HREF + w["code"].lower()
        assert d.severity == {"error": 1, "warning": 2, "info": 3}[w["severity"]]
        # 1-based lines and code-point columns -> 0-based lines and UTF-16 units
        line = lines[w["line"] - 1]
        assert d.range.start.line == w["line"] - 1
        assert d.range.start.character == len(line[: w["col"] - 1].encode("utf-16-le")) // 2
        assert d.range.end.line == w["end_line"] - 1
        end_line = lines[w["end_line"] - 1]
        assert d.range.end.character == len(end_line[: w["end_col"] - 1].encode("utf-16-le")) // 2
    lstm = got[0]
    assert lstm.range.start.line == 4
    assert lstm.range.start.character == lines[4].index("layers.FlaxLayer") + 1  # the emoji is 2 UTF-16 units
    assert lstm.range.end.character - lstm.range.start.character == len("layers.FlaxLayer")


@module_loop
async def test_kept_as_keras_reasons_are_published_like_xlate_lint(client: Client, project: Path):
    """XL3xx (why to-tf keeps a model as Keras) reach the editor as lint reports them: the
    same codes and messages, underlined to the end of the line (they have no end position)."""
    text = (Path(__file__).parent / "cases" / "lint" / "kept_builder_loop.py").read_text(encoding="utf-8")
    path = project / "builder.py"
    uri = open_doc(client, path, text)
    got = await diagnostics(client, uri)
    want = cli_lint(text, path)
    assert [d["code"] for d in want][:2] == ["XL305", "XL306"]
    assert [(d.code, d.message) for d in got] == [(d["code"], d["message"]) for d in want]
    first = got[0]  # the callback the translated training loop does not run
    line = split_lines(text)[15]
    assert (first.range.start.line, first.range.start.character) == (15, line.index("keras.callbacks"))
    assert (first.range.end.line, first.range.end.character) == (15, len(line))


@module_loop
async def test_per_file_ignores_follow_the_document_path(client: Client, project: Path):
    uri = open_doc(client, project / "legacy_model.py", MODEL)
    got = await diagnostics(client, uri)
    assert [d.code for d in got] == ["XL201", "XL202"]


@module_loop
async def test_a_broken_configuration_falls_back_to_the_defaults_and_says_so(client: Client, tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.xlate]\nselekt = ["XL1"]\n')
    client.messages.clear()
    uri = open_doc(client, tmp_path / "m.py", "from keras import layers\nl = layers.FlaxLayer(2)\n")
    assert [d.code for d in await diagnostics(client, uri)] == ["XL101"]
    deadline = time.monotonic() + WAIT
    while not client.messages and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert any("selekt" in m.message and m.type == types.MessageType.Warning for m in client.messages)


@module_loop
async def test_documents_in_other_languages_are_left_alone(client: Client, project: Path):
    uri = (project / "pyproject.toml").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="toml", version=1, text=PYPROJECT)))
    probe = open_doc(client, project / "probe.py", "x = 1\n")  # published after the toml would be
    assert await diagnostics(client, probe) == []
    assert uri not in client.published
    assert await hover_at(client, uri, 0, 1) is None


@module_loop
async def test_changes_are_debounced_and_only_the_latest_version_is_published(client: Client, project: Path):
    uri = open_doc(client, project / "typing.py", "from keras import layers\n")
    assert await diagnostics(client, uri) == []
    text = "from keras import layers\n"
    for i in range(6):  # a burst of keystrokes
        text += f"l{i} = layers.FlaxLayer({i})\n"
        last = change_doc(client, uri, text)
    got = await diagnostics(client, uri, last)
    assert [(d.code, d.range.start.line) for d in got] == [("XL101", i) for i in range(1, 7)]
    await asyncio.sleep(0.5)
    versions = [v for v, _ in client.published[uri]]
    assert versions[-1] == last
    assert len(versions) < 1 + 6  # the burst did not publish once per keystroke


@module_loop
async def test_save_relints_with_the_current_configuration(client: Client, project: Path):
    path = project / "saved.py"
    # a model on a base from another file stays Keras: to-tf's flat form judges `padding=pad`
    text = ("from keras import layers\nfrom base import Backbone\n\n\nclass Net(Backbone):\n"
            "    def __init__(self, pad):\n        inputs = layers.Input((8,))\n"
            "        super().__init__(inputs, layers.Conv2D(8, 3, padding=pad)(inputs))\n")
    uri = open_doc(client, path, text)
    assert [d.code for d in await diagnostics(client, uri)] == ["XL301"]  # XL203 is ignored by pyproject.toml
    (project / "pyproject.toml").write_text(PYPROJECT.replace('ignore = ["XL203"]', "ignore = []"))
    try:
        client.published[uri].clear()
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        got = await diagnostics(client, uri)
        assert [d.code for d in got] == ["XL301", "XL203"]
        assert got[1].severity == types.DiagnosticSeverity.Information
    finally:
        (project / "pyproject.toml").write_text(PYPROJECT)


@module_loop
async def test_syntax_error_gets_one_xl001_and_the_server_lives_on(client: Client, project: Path):
    uri = open_doc(client, project / "broken.py", "from keras import layers\ndef f(:\n    pass\n")
    got = await diagnostics(client, uri)
    assert len(got) == 1
    assert got[0].code == "XL001" and got[0].severity == types.DiagnosticSeverity.Error
    assert got[0].range.start.line == 1
    assert "syntax error" in got[0].message
    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=20))), WAIT)
    assert hover is None
    assert [a.title for a in await actions(client, uri, 1, 5, got)] == []  # nothing to suppress or translate
    v = change_doc(client, uri, "from keras import layers\nl = layers.FlaxLayer(2)\n")
    assert [d.code for d in await diagnostics(client, uri, v)] == ["XL101"]


# --------------------------------------------------------------------------- hover


async def hover_at(client: Client, uri: str, line: int, character: int) -> types.Hover | None:
    return await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character))), WAIT)


@module_loop
async def test_hover_shows_the_counterpart_or_why_there_is_none(client: Client, project: Path):
    from kerastf_xlate.rules import default_rules

    rules = default_rules()
    uri = open_doc(client, project / "hover.py", MODEL)
    await diagnostics(client, uri)
    lines = split_lines(MODEL)
    lstm = await hover_at(client, uri, 4, lines[4].index("FlaxLayer") + 2)
    assert lstm is not None and isinstance(lstm.contents, types.MarkupContent)
    assert lstm.contents.kind == types.MarkupKind.Markdown
    assert "no TensorFlow low-level counterpart" in lstm.contents.value
    assert rules.get("FlaxLayer").reason in lstm.contents.value and rules.get("FlaxLayer").instead in lstm.contents.value
    conv = await hover_at(client, uri, 5, lines[5].index("Conv2D"))
    assert conv is not None and rules.get("Conv2D").tf in conv.contents.value
    assert rules.get("Conv2D").summary in conv.contents.value
    assert conv.range is not None and conv.range.start == types.Position(line=5, character=4)
    imported = await hover_at(client, uri, 2, lines[2].index("Dense") + 1)
    assert imported is not None and rules.get("Dense").tf in imported.contents.value
    assert await hover_at(client, uri, 4, 0) is None  # `s` is not a layer


# --------------------------------------------------------------------------- code actions


@module_loop
async def test_suppress_action_appends_or_extends_noqa(client: Client, project: Path):
    text = "from keras import layers\na = layers.FlaxLayer(2)\nb = layers.JaxLayer(2)  # noqa: E501\n"
    uri = open_doc(client, project / "suppress.py", text)
    got = await diagnostics(client, uri)
    assert [d.range.start.line for d in got] == [1, 2]
    for d in got:
        found = [a for a in await actions(client, uri, d.range.start.line, d.range.start.character, [d])
                 if a.title == "Suppress XL101 on this line"]
        assert len(found) == 1 and found[0].kind == types.CodeActionKind.QuickFix and found[0].edit is not None
        text = apply(text, found[0].edit, uri)
    assert text.splitlines()[1:] == ["a = layers.FlaxLayer(2)  # noqa: XL101", "b = layers.JaxLayer(2)  # noqa: E501, XL101"]
    v = change_doc(client, uri, text)
    assert await diagnostics(client, uri, v) == []


@module_loop
async def test_translate_inline_layer_call(client: Client, project: Path):
    text = textwrap.dedent("""\
        import keras
        from keras import layers


        class Block(keras.layers.Layer):
            def call(self, x):
                y = layers.ReLU(max_value=6.0)(x)
                return layers.Activation("gelu")(y + 1)
        """)
    uri = open_doc(client, project / "inline.py", text)
    await diagnostics(client, uri)
    line = text.splitlines()[6]
    found = [a for a in await actions(client, uri, 6, line.index("ReLU")) if a.title == "Translate to TensorFlow"]
    assert len(found) == 1 and found[0].kind == types.CodeActionKind.RefactorRewrite
    text = apply(text, found[0].edit, uri)
    assert "import tensorflow as tf\n" in text and "        y = tf.nn.relu6(x)\n" in text
    v = change_doc(client, uri, text)
    await diagnostics(client, uri, v)
    line = text.splitlines()[8]
    found = [a for a in await actions(client, uri, 8, line.index("Activation")) if a.title == "Translate to TensorFlow"]
    text = apply(text, found[0].edit, uri)
    assert "        return tf.nn.gelu(y + 1, approximate=False)\n" in text
    assert text.count("import tensorflow as tf") == 1
    compile(text, "inline.py", "exec")


@module_loop
async def test_no_inline_translation_while_building_a_functional_model(client: Client, project: Path):
    text = "import keras\nfrom keras import layers\ninp = keras.Input((4,))\nout = layers.ReLU()(inp)\nm = keras.Model(inp, out)\n"
    uri = open_doc(client, project / "functional.py", text)
    await diagnostics(client, uri)
    titles = [a.title for a in await actions(client, uri, 3, 15)]
    assert "Translate to TensorFlow" not in titles  # tf ops fail on symbolic KerasTensors
    assert "Translate file to TensorFlow" in titles


FILE_MODEL = textwrap.dedent("""\
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input(shape=(8,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(4),
    ])
    """)


@module_loop
async def test_translate_file_to_tensorflow_through_resolve(client: Client, project: Path):
    from kerastf_xlate.totf import translate

    path = project / "whole.py"
    uri = open_doc(client, path, FILE_MODEL)
    await diagnostics(client, uri)
    found = [a for a in await actions(client, uri, 0, 0) if a.title == "Translate file to TensorFlow"]
    assert len(found) == 1 and found[0].kind == "source.xlate.toTensorFlow"
    assert found[0].edit is None  # computed lazily, in codeAction/resolve
    resolved = await asyncio.wait_for(client.code_action_resolve_async(found[0]), WAIT)
    assert resolved.edit is not None
    assert apply(FILE_MODEL, resolved.edit, uri) == translate(FILE_MODEL, str(path))[0]
    only = await actions(client, uri, 0, 0, only=[types.CodeActionKind.QuickFix])
    assert [a.title for a in only] == []


@module_loop
async def test_translate_file_to_keras_is_offered_only_when_available(client: Client, project: Path):
    uri = open_doc(client, project / "tfcode.py", "import tensorflow as tf\nfrom keras import layers\nx = layers.ReLU()\n")
    await diagnostics(client, uri)
    titles = [a.title for a in await actions(client, uri, 0, 0)]
    available = importlib.util.find_spec("kerastf_xlate.tokeras") is not None
    assert ("Translate file to Keras" in titles) == available


@module_loop
async def test_translate_file_to_keras_through_resolve(client: Client, project: Path):
    if importlib.util.find_spec("kerastf_xlate.tokeras") is None:
        pytest.skip("xlate to-keras is not installed")
    from kerastf_xlate.lsp.actions import to_keras_transform, translate_text

    text = (Path(__file__).resolve().parent.parent / "examples" / "tf_mlp.py").read_text(encoding="utf-8")
    path = project / "tf_mlp.py"
    uri = open_doc(client, path, text)
    await diagnostics(client, uri)
    found = await actions(client, uri, 0, 0, only=["source.xlate.toKeras"])
    assert [a.title for a in found] == ["Translate file to Keras"]
    resolved = await asyncio.wait_for(client.code_action_resolve_async(found[0]), WAIT)
    expected = translate_text(text, str(path), to_keras_transform())[0]
    assert expected != text
    assert resolved.edit is not None and apply(text, resolved.edit, uri) == expected


@module_loop
async def test_translate_file_command_applies_the_edit(client: Client, project: Path):
    from kerastf_xlate.totf import translate

    path = project / "command.py"
    uri = open_doc(client, path, FILE_MODEL)
    await diagnostics(client, uri)
    client.applied.clear()
    await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="xlate.translateFile", arguments=[uri, "tf"])), WAIT)
    assert len(client.applied) == 1
    assert apply(FILE_MODEL, client.applied[0].edit, uri) == translate(FILE_MODEL, str(path))[0]


# --------------------------------------------------------------------------- robustness


@module_loop
async def test_failing_requests_are_answered_and_the_server_survives(client: Client, project: Path):
    missing = (project / "never-opened.py").as_uri()
    assert await hover_at(client, missing, 0, 0) is None
    assert await actions(client, missing, 0, 0) == []
    bogus = types.CodeAction(title="Translate file to TensorFlow", data={"no": "uri"})
    resolved = await asyncio.wait_for(client.code_action_resolve_async(bogus), WAIT)
    assert resolved.title == bogus.title and resolved.edit is None
    await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="xlate.translateFile", arguments=[missing, "sideways"])), WAIT)
    uri = open_doc(client, project / "after.py", "from keras import layers\nl = layers.FlaxLayer(1)\n")
    assert [d.code for d in await diagnostics(client, uri)] == ["XL101"]
    assert await hover_at(client, uri, 500, 500) is None  # past the end of the document
    assert any("internal error" in m.message for m in client.log_messages)


def big_source(n_lines: int = 5000) -> str:
    head = "import keras\nfrom keras import layers\n\n"
    block = textwrap.dedent("""
        def block_{i}(x, units=16):
            x = layers.Conv2D(8, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.Dense(units, activation="relu")(x)
            x = layers.Dropout(0.1)(x)
            if units > 8:
                x = layers.FlaxLayer(units)(x){noqa}
            return layers.add([x, x])
        """)
    out, i = [head], 0
    while sum(s.count("\n") for s in out) < n_lines:
        out.append(block.format(i=i, noqa="  # noqa: XL101" if i % 2 else ""))
        i += 1
    return "".join(out)


@module_loop
async def test_large_file_stays_responsive(client: Client, project: Path):
    text = big_source()
    assert text.count("\n") >= 5000
    start = time.monotonic()
    uri = open_doc(client, project / "big.py", text)
    conv = next(i for i, line in enumerate(text.splitlines()) if "Conv2D" in line)
    hover = await hover_at(client, uri, conv, text.splitlines()[conv].index("Conv2D"))  # while the lint runs
    got = await diagnostics(client, uri)
    took = time.monotonic() - start
    assert hover is not None and "Conv2D" in hover.contents.value
    assert len(got) == text.count("layers.FlaxLayer(units)(x)\n")  # the un-suppressed half
    assert took < WAIT
    text2 = text.replace("FlaxLayer", "JaxLayer", 1)
    start = time.monotonic()
    v = change_doc(client, uri, text2)
    await diagnostics(client, uri, v)
    print(f"\n5,000-line file: open -> diagnostics {took:.2f}s, change -> diagnostics {time.monotonic() - start:.2f}s (0.3s debounce)")


async def own_server(resolve: bool) -> Client:
    client = await ClientServerConfig(server_command=SERVER, client_factory=make_client).start()
    client.init_result = await asyncio.wait_for(  # type: ignore[attr-defined]
        client.initialize_session(types.InitializeParams(capabilities=capabilities(resolve=resolve))), WAIT)
    return client


async def close(client: Client) -> None:
    server = client._server  # pygls's handle on the server process
    try:
        await asyncio.wait_for(client.shutdown_session(), WAIT)
    finally:
        if server is not None and server.returncode is None:
            server.kill()  # never leave a server behind, even when a test failed
        await client.stop()


@pytest.mark.asyncio
async def test_a_client_without_resolve_support_then_shutdown_and_exit(tmp_path: Path):
    """A second server: capabilities, eager file actions when invoked, a clean exit."""
    from kerastf_xlate.totf import translate

    client = await own_server(resolve=False)
    try:
        result = client.init_result  # type: ignore[attr-defined]
        assert result.server_info is not None and result.server_info.name == "xlate"
        caps = result.capabilities
        assert caps.hover_provider and caps.code_action_provider
        assert caps.execute_command_provider is not None and "xlate.translateFile" in caps.execute_command_provider.commands
        path = tmp_path / "m.py"
        uri = open_doc(client, path, FILE_MODEL)
        await diagnostics(client, uri)
        found = [a for a in await actions(client, uri, 0, 0, trigger=types.CodeActionTriggerKind.Invoked)
                 if a.title == "Translate file to TensorFlow"]
        assert len(found) == 1 and found[0].edit is not None  # no resolve: computed when asked for
        assert apply(FILE_MODEL, found[0].edit, uri) == translate(FILE_MODEL, str(path))[0]
    finally:
        await close(client)
    assert client._server is not None and client._server.returncode == 0  # shutdown + exit -> status 0


def lint_workers(server_pid: int) -> list[int]:
    """The server's lint worker processes (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == server_pid and b"spawn_main" in cmd:
            out.append(int(entry.name))
    return out


async def eventually(predicate, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.asyncio
async def test_a_crashed_lint_worker_costs_one_check_and_workers_die_with_the_server(tmp_path: Path):
    import signal

    client = await own_server(resolve=True)
    server = client._server
    try:
        uri = open_doc(client, tmp_path / "m.py", "from keras import layers\nl = layers.FlaxLayer(2)\n")
        await diagnostics(client, uri)
        workers = lint_workers(server.pid)
        assert len(workers) == 1
        os.kill(workers[0], signal.SIGKILL)  # as a segfault would
        change_doc(client, uri, "from keras import layers\nl = layers.JaxLayer(2)\n")
        await eventually(lambda: any("checker crashed" in m.message for m in client.log_messages))
        v = change_doc(client, uri, "from keras import layers\nl = layers.JaxLayer(2)\n")
        got = await diagnostics(client, uri, v)
        assert [d.code for d in got] == ["XL101"] and "JaxLayer" in got[0].message
        fresh = lint_workers(server.pid)
        assert fresh and fresh != workers
        server.kill()  # no shutdown: the workers notice on their own
        await server.wait()
        await eventually(lambda: not any(Path(f"/proc/{pid}").exists() for pid in fresh), timeout=15)
    finally:
        if server.returncode is None:
            server.kill()
        await client.stop()


# --------------------------------------------------------------------------- the pieces, in process


def test_lines_follow_lsp_line_breaks_and_utf16_units():
    assert split_lines("a\r\nb\rc\x0cd\ne") == ["a", "b", "c\x0cd", "e"]  # a form feed is not a line break
    lines = Lines("x = '\U0001F600é'; y\n")
    assert lines.position(0, 8).character == 9  # the emoji counts twice in UTF-16
    assert Lines("é\U0001F600z", "utf-8").position(0, 2).character == 6
    assert lines.codepoints(types.Position(line=0, character=9)) == (0, 8)
    assert lines.position(99, 0) == types.Position(line=1, character=0)  # clamped to the end


@pytest.mark.parametrize("line, code, want", [
    ("a = layers.FlaxLayer(2)", "XL101", "a = layers.FlaxLayer(2)  # noqa: XL101"),
    ("a = layers.FlaxLayer(2)   ", "XL101", "a = layers.FlaxLayer(2)  # noqa: XL101"),
    ("a = f()  # noqa: XL201", "XL101", "a = f()  # noqa: XL201, XL101"),
    ("a = f()  # xlate: ignore[XL201]", "XL101", "a = f()  # xlate: ignore[XL201, XL101]"),
    ("a = f()  # why  # noqa:E501,W1", "XL101", "a = f()  # why  # noqa:E501,W1, XL101"),
    ("a = f()  # noqa: XL101", "XL101", None),  # already suppressed
    ("a = f(1, \\", "XL101", None),  # a comment would break the continuation
    ('a = f("""abc', "XL101", None),  # the line ends inside a string
])
def test_suppress_edit(line, code, want):
    text = line + "\n" + ('def"""\n' if '"""' in line else ")\n")
    edit = suppress_edit(text, Lines(text), 0, code)
    if want is None:
        assert edit is None
        return
    doc = TextDocument("file:///t.py", text)
    doc.apply_change(types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
    assert doc.lines[0].rstrip("\n") == want


@pytest.mark.parametrize("old, new", [
    ("a\nb\nc\n", "a\nX\nc\n"), ("a\nb", "a\nb\nc"), ("a\nb\n", "a\nb\nc\n"), ("", "x\n"),
    ("x\ny", "y"), ("p\r\nq\r\n", "p\r\nz\r\nq\r\n"), ("é\U0001F600", "é\U0001F600!"),
])
def test_replace_edit_spans_only_the_changed_lines(old, new):
    edit = replace_edit(old, new)
    doc = TextDocument("file:///t.py", old)
    doc.apply_change(types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
    assert doc.source == new
    assert replace_edit(new, new) is None


def test_the_server_never_imports_tensorflow_or_keras(tmp_path: Path):
    """Lint, hover, inline and whole-file translation, with every attempt to import a heavy
    package recorded (even one a try/except would hide)."""
    script = textwrap.dedent("""
        import sys
        HEAVY = ("tensorflow", "keras", "tf_keras", "keras_core", "jax", "torch")
        attempts = []
        class Recorder:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in HEAVY:
                    attempts.append(name)
                return None
        sys.meta_path.insert(0, Recorder())
        from lsprotocol import types
        from kerastf_xlate.lsp import create_server
        from kerastf_xlate.lsp.server import diagnostics_for
        from kerastf_xlate.lsp.worker import lint
        from kerastf_xlate.lsp.analysis import hover_text, layer_at, parse_document
        from kerastf_xlate.lsp.actions import to_keras_transform, to_tf_transform, translate_text
        from kerastf_xlate.lsp.inline import inline_translation
        create_server()
        text = open(sys.argv[1]).read()
        found, _ = lint(text, sys.argv[1], "file:///m.py", None)
        diags = diagnostics_for(found, text, "utf-16")
        parsed = parse_document(text, sys.argv[1], "utf-16")
        hover_text(layer_at(parsed, types.Position(line=2, character=12)))
        assert inline_translation(parsed, layer_at(parsed, types.Position(line=5, character=12)).use) is not None
        translate_text(text, sys.argv[1], to_tf_transform())
        to_keras_transform()
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
        assert diags and not attempts and not loaded, (attempts, loaded)
    """)
    src = tmp_path / "m.py"
    src.write_text("import keras\nfrom keras import layers\nl = layers.FlaxLayer(2)\n\ndef f(x):\n    return layers.ReLU()(x)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(src)], capture_output=True, text=True, timeout=WAIT)
    assert proc.returncode == 0, proc.stderr


def test_without_pygls_xlate_lsp_prints_how_to_install():
    script = "import sys; sys.modules['pygls'] = None; from kerastf_xlate.cli import main; main(['lsp'])"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=WAIT)
    assert proc.returncode == 2
    assert "pip install 'kerastf-xlate[lsp]'" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_xlate_lsp_entry_point_help():
    script = Path(sys.executable).with_name("xlate")  # the console script, when installed beside python
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "kerastf_xlate"]
    proc = subprocess.run(cmd + ["lsp", "--help"], capture_output=True, text=True, timeout=WAIT)
    assert proc.returncode == 0 and "language server" in proc.stdout


def inline(call: str, prelude: str = "", header: str = "import keras\nfrom keras import layers\n") -> str | None:
    """The inline translation of ``call`` inside ``def f(x, y)`` (None when not offered)."""
    from kerastf_xlate.lsp.analysis import layer_at, parse_document
    from kerastf_xlate.lsp.inline import inline_translation

    text = f"{header}{prelude}\ndef f(x, y):\n    return {call}\n"
    line = text.count("\n") - 1
    parsed = parse_document(text, "t.py", "utf-16")
    ref = layer_at(parsed, types.Position(line=line, character=len("    return ") + call.index(".") + 2))
    assert ref is not None and ref.use is not None, call
    found = inline_translation(parsed, ref.use)
    if found is None:
        return None
    new = apply(text, types.WorkspaceEdit(changes={"file:///t.py": list(found.edits)}), "file:///t.py")
    compile(new, "t.py", "exec")
    return new.splitlines()[-1][len("    return "):]


@pytest.mark.parametrize("call, want", [
    ("layers.ReLU()(x)", "tf.nn.relu(x)"),
    ("layers.Softmax(axis=1)(x)", "tf.nn.softmax(x, axis=1)"),
    ("layers.Rescaling(1 / 255.0, offset=a + b)(x)", "x * (1 / 255.0) + (a + b)"),  # arguments keep their meaning
    ("layers.Rescaling(2.0)(x) ** 2", "(x * 2.0 + 0.0) ** 2"),  # parenthesized only where needed
    ("layers.Activation('relu')(x + y)", "tf.nn.relu(x + y)"),
    ("layers.Identity()(x)", "x"),
    ("layers.Concatenate(axis=1)([x, y])", "tf.concat([x, y], axis=1)"),
    ("layers.ELU(alpha=0.5)(g(x))", None),  # the translation reads its input thrice: g(x) must not run thrice
    ("layers.ELU()(g(x))", "tf.nn.elu(g(x))"),  # alpha == 1: the fused op reads it once
    ("layers.Dense(3)(x)", None),  # has weights
    ("layers.Dropout(0.5)(x)", None),  # needs the training flag
    ("layers.ReLU()(x, training=True)", None),
    ("layers.Conv2D(8, 3, data_format='channels_first')(x)", None),  # the inline ops cannot write it
    ("layers.FlaxLayer(4)(x)", None),  # no counterpart
])
def test_inline_translation(call, want):
    assert inline(call) == want


def test_inline_translation_adds_the_tensorflow_import_once_and_only_when_safe():
    assert inline("layers.ReLU()(x)", header="import tensorflow as tf\nfrom keras import layers\n") == "tf.nn.relu(x)"
    assert inline("layers.ReLU()(x)", prelude="tf = None\n") is None  # `tf` means something else here
    assert inline("layers.ReLU()(x)", header="import tensorflow as tsf\nfrom keras import layers\n") == "tf.nn.relu(x)"
    text = "from keras import layers"  # the import block ends the file, without a line break
    from kerastf_xlate.lsp.analysis import parse_document
    from kerastf_xlate.lsp.inline import _import_edit

    parsed = parse_document(text, "t.py", "utf-16")
    edit = _import_edit(parsed.tree, parsed.lines)
    doc = TextDocument("file:///t.py", text)
    doc.apply_change(types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
    assert doc.source == "from keras import layers\nimport tensorflow as tf"


@pytest.mark.tf
def test_inline_translations_compute_what_the_keras_layers_compute():
    """Run each Keras layer call and its inline translation on the same input (TF backend)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    np = pytest.importorskip("numpy")
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("needs the TensorFlow backend")
    rng = np.random.default_rng(0)
    env = {"layers": keras.layers, "tf": tf, "a": 0.5, "b": 0.25,
           "x": tf.constant(rng.normal(size=(2, 3, 4)).astype("float32")),
           "y": tf.constant(rng.normal(size=(2, 3, 4)).astype("float32"))}
    calls = ["layers.ReLU(max_value=1.5)(x)", "layers.ReLU(negative_slope=0.1, threshold=0.5)(x)",
             "layers.ReLU(max_value=1.0, negative_slope=0.2)(x)", "layers.LeakyReLU(negative_slope=0.3)(x)",
             "layers.ELU(alpha=0.5)(x)", "layers.Softmax(axis=1)(x)", "layers.Rescaling(1 / 255.0, offset=a + b)(x)",
             "layers.Flatten()(x)", "layers.Activation('gelu')(x + 1)", "layers.Activation('hard_swish')(x)",
             "layers.concatenate([x, y], axis=1)", "layers.Permute((2, 1))(x)", "layers.UnitNormalization()(x)",
             "layers.Reshape((4, 3))(x)"]
    for call in calls:
        translated = inline(call)
        assert translated is not None, call
        want, got = np.asarray(eval(call, dict(env))), np.asarray(eval(translated, dict(env)))
        assert want.shape == got.shape and np.allclose(want, got, atol=1e-6), (call, translated)


def test_inline_translation_is_found_anywhere_on_the_call():
    from kerastf_xlate.lsp.analysis import parse_document
    from kerastf_xlate.lsp.inline import application_at

    text = "from keras import layers\n\ndef f(x):\n    return layers.Softmax(axis=1)(layers.ReLU()(x))\n"
    parsed = parse_document(text, "t.py", "utf-16")
    line = text.splitlines()[3]
    assert application_at(parsed, types.Position(line=3, character=line.index("(x)") + 1)).layer == "ReLU"
    assert application_at(parsed, types.Position(line=3, character=line.index("axis"))).layer == "Softmax"
    assert application_at(parsed, types.Position(line=3, character=2)) is None
