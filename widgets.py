"""Three stock Gradio components, each changed in one small way the app needs.

- GuardedSketchpad and GuardedImage check an upload's size from its header before Gradio
  decodes it, and turn a corrupt file into a clear message instead of a stack trace.
- Verdict is a gr.Label that can say "uncertain" and still list all ten confidences.
"""

from __future__ import annotations

import warnings
from typing import Any

import gradio as gr
from gradio.components.label import LabelConfidence, LabelData
from PIL import Image

from digits.preprocess import MAX_PIXELS


def _describe(error: Exception) -> str:
    """What went wrong, without the server's temporary paths that PIL puts in its messages."""
    if isinstance(error, Image.UnidentifiedImageError):
        return "not an image format Pillow recognises"
    text = str(error).rstrip(".")
    return text if text and "/" not in text else type(error).__name__


def _check(files: list[Any]) -> None:
    """Raise gr.Error unless every uploaded file is a readable image of sane size."""
    for file in files:
        path = getattr(file, "path", None)
        if path is None:
            continue
        try:
            with warnings.catch_warnings():  # the size is checked here, against our own limit
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path) as image:
                    width, height = image.size
        except Image.DecompressionBombError as error:
            raise gr.Error(f"That image has far more than {MAX_PIXELS:,} pixels: too large.") from error
        except (OSError, SyntaxError) as error:
            raise gr.Error(f"That file is not a readable image: {_describe(error)}.") from error
        if width * height > MAX_PIXELS:
            raise gr.Error(f"That image is {width}x{height}: more than {MAX_PIXELS:,} pixels is too large.")


def _decode(preprocess, payload: Any) -> Any:
    try:
        return preprocess(payload)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise gr.Error(f"That image could not be decoded: {_describe(error)}.") from error


class GuardedSketchpad(gr.Sketchpad):
    def get_block_name(self) -> str:
        return "imageeditor"

    def preprocess(self, payload):
        if payload is not None:
            _check([payload.background, payload.composite, *(payload.layers or [])])
        return _decode(super().preprocess, payload)


class GuardedImage(gr.Image):
    """With ``image_mode=None`` and ``type="filepath"`` Gradio reads only the header; the app
    decodes the file itself (digits.preprocess.open_image) and reports what is wrong."""

    is_template = True  # rendered by the stock Image frontend

    def preprocess(self, payload):
        if payload is not None:
            _check([payload])
        return _decode(super().preprocess, payload)


class Verdict(gr.Label):
    is_template = True  # rendered by the stock Label frontend

    @staticmethod
    def with_label(label: str, confidences: dict[str, float]) -> LabelData:
        ordered = sorted(confidences.items(), key=lambda item: item[1], reverse=True)
        return LabelData(label=label, confidences=[LabelConfidence(label=k, confidence=v) for k, v in ordered])

    def postprocess(self, value):
        return value if isinstance(value, LabelData) else super().postprocess(value)
