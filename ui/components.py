"""Three stock Gradio components, each changed in one small way the app needs.

- ``RawSketchpad`` and ``RawImage`` hand over the files as they arrived, undecoded: the core
  opens every image in one place (``digits.images``), checks its size from the header before
  decoding it, and says clearly what is wrong with a bad file. The sketchpad also hands over
  only the composite when there is one: it is all the app reads, and the browser sends the
  background and the ink layer beside it on every stroke.
- ``Verdict`` is a gr.Label that can say "uncertain" and still list all ten confidences.

Gradio writes a type stub (``components.pyi``) beside a module that subclasses its components;
it is ignored by git.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.components.label import LabelConfidence, LabelData


def _raw(file: Any) -> str | bytes | None:
    """A file as it arrived: its path on the server, the bytes the browser sent, or a
    ``data:`` URL (as MCP clients may send images)."""
    if file is None or isinstance(file, bytes):
        return file
    if file.url and file.url.startswith("data:"):
        return file.url
    return file.path


class RawSketchpad(gr.Sketchpad):
    def get_block_name(self) -> str:
        return "imageeditor"

    def preprocess(self, payload) -> dict[str, Any] | None:
        """``{background, layers, composite}`` as paths or bytes, not decoded; only the composite
        when there is one."""
        if payload is None:
            return None
        images = payload
        if payload.id is not None:  # the browser's editor sends its images as blobs
            images = self.blob_storage.pop(payload.id, None)
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
