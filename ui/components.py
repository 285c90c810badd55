"""Three stock Gradio components, each changed in one small way the app needs.

- ``RawSketchpad`` and ``RawImage`` hand over the files as they arrived, undecoded: the core
  opens every image in one place (``digits.images``), checks its size from the header before
  decoding it, and says clearly what is wrong with a bad file. The sketchpad also hands over
  only the composite when there is one: it is all the app reads, and the browser sends the
  background and the ink layer beside it on every stroke.
- ``RawSketchpad`` also bounds what its ``accept_blobs`` endpoint keeps (anyone can call it,
  and the stock one keeps every blob for good, in a list as long as any index it is sent): one
  ink layer, the page's, and at most MAX_BLOB_DRAWINGS drawings and MAX_BLOB_BYTES bytes
  waiting to be read, the oldest dropped first.
- ``RawSketchpad`` describes its value with a schema that needs no ``$defs``, so that MCP
  clients can call the tools that take a sketch.
- ``Verdict`` is a gr.Label that can say "uncertain" and still list all ten confidences.

Gradio writes a type stub (``components.pyi``) beside a module that subclasses its components;
it is ignored by git.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import gradio as gr
from fastapi import HTTPException
from gradio.components.base import server
from gradio.components.image_editor import AcceptBlobs, EditorDataBlobs
from gradio.components.label import LabelConfidence, LabelData

MAX_BLOB_DRAWINGS = 128  # drawings posted as blobs and not yet read, across all visitors
MAX_BLOB_BYTES = 48 * 1024 * 1024
BLOB_KINDS = ("background", "layer", "composite")


def _raw(file: Any) -> str | bytes | None:
    """A file as it arrived: its path on the server, the bytes the browser sent, or a
    ``data:`` URL (as MCP clients may send images)."""
    if file is None or isinstance(file, bytes):
        return file
    if file.url and file.url.startswith("data:"):
        return file.url
    return file.path


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with each ``{"$ref": "#/$defs/Name"}`` replaced by the definition itself, and
    each ``{"anyOf": [X, {"type": "null"}]}`` by X."""
    definitions = schema.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        options = node.get("anyOf", [])
        if len(options) == 2 and {"type": "null"} in options:  # a FileData or null: a FileData
            rest = {key: value for key, value in node.items() if key != "anyOf"}
            return inline({**next(option for option in options if option != {"type": "null"}), **rest})
        reference = node.get("$ref", "")
        if reference.startswith("#/$defs/"):
            rest = {key: value for key, value in node.items() if key != "$ref"}
            return inline({**definitions[reference.removeprefix("#/$defs/")], **rest})
        return {key: inline(value) for key, value in node.items() if key != "$defs"}

    return inline(schema)


class BlobStore(OrderedDict):
    """Drawings posted as blobs, oldest first, within MAX_BLOB_DRAWINGS and MAX_BLOB_BYTES."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def put(self, drawing_id: str, kind: str, data: bytes) -> None:
        with self.lock:
            blobs = self.pop(drawing_id, None) or EditorDataBlobs(background=None, layers=[], composite=None)
            if kind == "layer":
                blobs.layers = [data]
            else:
                setattr(blobs, kind, data)
            self[drawing_id] = blobs
            while len(self) > MAX_BLOB_DRAWINGS or sum(map(_size, self.values())) > MAX_BLOB_BYTES:
                self.popitem(last=False)

    def take(self, drawing_id: str) -> EditorDataBlobs | None:
        with self.lock:
            return self.pop(drawing_id, None)


def _size(blobs: EditorDataBlobs) -> int:
    return sum(len(data) for data in (blobs.background, blobs.composite, *blobs.layers) if data)


class RawSketchpad(gr.Sketchpad):
    # No __init__ of its own: Gradio builds the component's properties from __init__'s signature.

    @property
    def blobs(self) -> BlobStore:
        """The drawings posted as blobs (in place of the stock, unbounded ``blob_storage``)."""
        return self.__dict__.setdefault("_blobs", BlobStore())

    def get_block_name(self) -> str:
        return "imageeditor"

    def api_info(self) -> dict[str, Any]:
        """The stock schema with its ``$defs`` written out where they are used, and each image
        a file rather than "a file or null". Gradio's MCP server moves this schema into a tool's
        and keeps the ``$ref``s but not what they point to (every call failed its schema check),
        and finds no file inside an ``anyOf`` (a data URL for the composite was not decoded)."""
        return _inlined(super().api_info())

    @server
    def accept_blobs(self, data: AcceptBlobs):
        """One of the page's images for a drawing: its background, its one ink layer, or the
        composite. Anything else is refused with 400."""
        kind, index = data.data.get("type"), str(data.data.get("index"))
        if kind not in BLOB_KINDS or (kind == "layer" and index != "0") or len(data.files) != 1:
            raise HTTPException(status_code=400, detail="The sketchpad takes a background, one layer and a composite.")
        if len(data.data.get("id") or "") > 64:
            raise HTTPException(status_code=400, detail="That drawing id is too long.")
        self.blobs.put(data.data["id"], kind, data.files[0][1])

    def preprocess(self, payload) -> dict[str, Any] | None:
        """``{background, layers, composite}`` as paths or bytes, not decoded; only the composite
        when there is one."""
        if payload is None:
            return None
        images = payload
        if payload.id is not None:  # the browser's editor sends its images as blobs
            images = self.blobs.take(payload.id)
            if images is None:
                return None
        if images.composite is not None:
            return {"background": None, "layers": [], "composite": _raw(images.composite)}
        return {"background": _raw(images.background), "layers": [_raw(layer) for layer in images.layers or []],
                "composite": None}  # fmt: skip


class RawImage(gr.Image):
    """The uploaded file's path (or a ``data:`` URL's bytes), not decoded."""

    is_template = True  # rendered by the stock Image frontend

    def preprocess(self, payload) -> str | bytes | None:
        return _raw(payload)


class Verdict(gr.Label):
    is_template = True  # rendered by the stock Label frontend

    @staticmethod
    def with_label(label: str, confidences: dict[str, float]) -> LabelData:
        ordered = sorted(confidences.items(), key=lambda item: item[1], reverse=True)
        return LabelData(label=label, confidences=[LabelConfidence(label=k, confidence=v) for k, v in ordered])

    def postprocess(self, value):
        return value if isinstance(value, LabelData) else super().postprocess(value)
