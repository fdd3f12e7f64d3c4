"""The LSP methods the server answers (registered on an :class:`XlateLanguageServer`)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from kerastf_xlate.lsp import actions as act
from kerastf_xlate.lsp import worker
from kerastf_xlate.lsp.analysis import SOURCE, Parsed, hover_text, layer_at
from kerastf_xlate.lsp.inline import application_at, inline_translation
from kerastf_xlate.lsp.positions import Lines, overlaps
from kerastf_xlate.lsp.server import (
    KIND_TO_KERAS,
    KIND_TO_TF,
    TITLE_INLINE,
    TITLE_TO_KERAS,
    TITLE_TO_TF,
    TRANSLATE_COMMAND,
    XlateLanguageServer,
    guarded,
)

_DIRECTIONS = {"tf": (TITLE_TO_TF, KIND_TO_TF), "keras": (TITLE_TO_KERAS, KIND_TO_KERAS)}


def _allowed(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


def register(ls: XlateLanguageServer) -> None:
    # ------------------------------------------------------------------ lifecycle

    @ls.feature(types.INITIALIZED)
    @guarded(ls)
    async def initialized(params: types.InitializedParams) -> None:
        def warm_up() -> None:  # load the rules and the translator before the first request
            from kerastf_xlate.rules import default_rules

            default_rules()
            import kerastf_xlate.totf.common  # noqa: F401

        await asyncio.gather(ls.in_thread(warm_up), ls.lint_workers.run(worker.warm_up))

    @ls.feature(types.SHUTDOWN)
    @guarded(ls)
    def shutdown(params: Any) -> None:
        for uri in list(ls.pending):
            ls.forget(uri)
        ls.lint_workers.shutdown()

    # ------------------------------------------------------------------ document sync

    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded(ls)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        ls.parsed.pop(params.text_document.uri, None)
        ls.schedule(params.text_document.uri, 0)

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(ls)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.debounce)

    @ls.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    @guarded(ls)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith("/pyproject.toml"):  # [tool.xlate] may have changed: relint everything
            for other in list(ls.workspace.text_documents):
                ls.schedule(other, 0)
            return
        ls.schedule(uri, 0)

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(ls)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.forget(uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # ------------------------------------------------------------------ hover

    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(ls)
    async def hover(params: types.HoverParams) -> types.Hover | None:
        _, parsed = await ls.parsed_document(params.text_document.uri)
        if parsed is None:
            return None
        ref = layer_at(parsed, params.position)
        if ref is None:
            return None
        formats = ls.client_supports("text_document", "hover", "content_format")
        markdown = not formats or types.MarkupKind.Markdown in formats
        kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
        return types.Hover(contents=types.MarkupContent(kind=kind, value=hover_text(ref, markdown)), range=ref.range)

    # ------------------------------------------------------------------ code actions

    kinds = [types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite, KIND_TO_TF, KIND_TO_KERAS]

    @ls.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=kinds, resolve_provider=True))
    @guarded(ls, lambda *a: [])
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        doc, parsed = await ls.parsed_document(uri)
        if doc is None:
            return []
        only = list(params.context.only or []) or None
        ours = [d for d in params.context.diagnostics if d.source == SOURCE and isinstance(d.code, str)]
        published = ls.published.get(uri)
        if not ours and published is not None and published.version == doc.version:
            ours = [d for d in published.diagnostics if overlaps(d.range, params.range)]
        version, text = doc.version, doc.source
        out: list[types.CodeAction] = await ls.in_thread(
            _line_actions, uri, version, text, parsed, ours, params.range, ls.encoding, only, ls
        )
        if parsed is not None:
            lazy = bool(ls.client_supports("text_document", "code_action", "resolve_support"))
            lazy = lazy and "edit" in (ls.client_supports("text_document", "code_action", "resolve_support", "properties") or [])
            offers = []
            if parsed.uses:
                offers.append("tf")
            if "tensorflow" in text and act.to_keras_available():
                offers.append("keras")
            invoked = params.context.trigger_kind == types.CodeActionTriggerKind.Invoked
            for direction in offers:
                title, kind = _DIRECTIONS[direction]
                if not _allowed(kind, only):
                    continue
                action = types.CodeAction(title=title, kind=kind)
                if lazy:  # the edit is computed by codeAction/resolve, when chosen
                    action.data = {"uri": uri, "direction": direction}
                elif invoked:  # asked for explicitly: worth translating now
                    edit = await _translate_file(ls, uri, direction, quiet=True)
                    if edit is None:
                        continue
                    action.edit = edit
                else:  # listed on every cursor move: the server applies the edit when chosen
                    action.command = types.Command(title=title, command=TRANSLATE_COMMAND, arguments=[uri, direction])
                out.append(action)
        return out

    @ls.feature(types.CODE_ACTION_RESOLVE)
    @guarded(ls, lambda action: action)
    async def resolve(action: types.CodeAction) -> types.CodeAction:
        data = action.data or {}
        edit = await _translate_file(ls, data["uri"], data["direction"])
        if edit is not None:
            action.edit = edit
        return action

    @ls.command(TRANSLATE_COMMAND)
    @guarded(ls)
    async def translate_file_command(*args: Any) -> Any:
        if len(args) < 2:
            raise ValueError(f"{TRANSLATE_COMMAND} takes [uri, 'tf' | 'keras'], got {list(args)!r}")
        uri, direction = str(args[0]), str(args[1])
        edit = await _translate_file(ls, uri, direction)
        if edit is None:
            return False
        title = _DIRECTIONS[direction][0]
        result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=title))
        return bool(getattr(result, "applied", False))


def _line_actions(uri: str, version: int | None, text: str, parsed: Parsed | None, diags: list[types.Diagnostic],
                  rng: types.Range, encoding: str, only: list[str] | None, ls: XlateLanguageServer) -> list[types.CodeAction]:
    """Suppressions for the diagnostics under the cursor, and the inline translation."""
    lines = parsed.lines if parsed is not None else Lines(text, encoding)
    out: list[types.CodeAction] = []
    if _allowed(types.CodeActionKind.QuickFix, only):
        seen: set[tuple[int, str]] = set()
        for d in diags:
            code = str(d.code)
            key = (d.range.start.line, code)
            if code == "XL001" or key in seen:
                continue  # a file that does not parse cannot be suppressed away
            seen.add(key)
            edit = act.suppress_edit(text, lines, d.range.start.line, code)
            if edit is None:
                continue
            out.append(types.CodeAction(
                title=f"Suppress {code} on this line",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[d],
                edit=ls.workspace_edit(uri, version, [edit]),
            ))
    if parsed is not None and parsed.uses and _allowed(types.CodeActionKind.RefactorRewrite, only):
        ref = layer_at(parsed, rng.start)
        use = ref.use if ref is not None else application_at(parsed, rng.start)
        if use is not None:
            inline = inline_translation(parsed, use)
            if inline is not None:
                out.append(types.CodeAction(
                    title=TITLE_INLINE,
                    kind=types.CodeActionKind.RefactorRewrite,
                    edit=ls.workspace_edit(uri, version, list(inline.edits)),
                ))
    return out


async def _translate_file(ls: XlateLanguageServer, uri: str, direction: str, quiet: bool = False) -> types.WorkspaceEdit | None:
    """The whole-file translation as a workspace edit of the changed lines (None if nothing)."""
    if direction not in _DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r} (expected 'tf' or 'keras')")
    doc = ls.document(uri)
    if doc is None:
        ls.show(f"xlate: {uri} is not open", types.MessageType.Warning)
        return None
    version, text = doc.version, doc.source
    path = to_fs_path(uri) or uri
    new, diags, error = await ls.in_thread(_translate_text, text, path, direction)
    title = _DIRECTIONS[direction][0]
    show = (lambda *a: None) if quiet else ls.show
    if not quiet:
        for d in diags:
            ls.log(f"{os.path.basename(path)}:{d.line}:{d.col + 1}: {d.code} {d.message}")
    if error is not None:
        show(f"xlate: {title} failed: {error}", types.MessageType.Error)
        return None
    current = ls.document(uri)
    if current is None or current.version != version:
        show(f"xlate: {title}: the document changed meanwhile; try again", types.MessageType.Warning)
        return None
    edit = act.replace_edit(text, new, ls.encoding)
    if edit is None:
        why = f" ({len(diags)} notes in the output log)" if diags else ""
        show(f"xlate: {title}: nothing to translate{why}")
        return None
    return ls.workspace_edit(uri, version, [edit])


def _translate_text(text: str, path: str, direction: str) -> tuple[str, list, str | None]:
    from kerastf_xlate.sources import SourceError

    transform = act.to_tf_transform() if direction == "tf" else act.to_keras_transform()
    if transform is None:
        return text, [], "the to-keras translator is not available in this installation"
    try:
        new, diags = act.translate_text(text, path, transform)
    except SourceError as err:
        return text, [], err.message if err.line is None else f"line {err.line}: {err.message}"
    return new, sorted(diags), None
