"""Three stock Gradio components, each changed in one small way the app needs.

- GuardedSketchpad and GuardedImage check an upload's size from its header before Gradio
  decodes it, and turn a corrupt file into a clear message instead of a stack trace. The
  sketchpad also decodes only the composite when there is one: it is all the app reads, and
  the browser sends the background and the ink layer beside it on every stroke.
- Verdict is a gr.Label that can say "uncertain" and still list all ten confidences.
"""

from __future__ import annotations

import io
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
    """Raise gr.Error unless every upload (a file, or bytes from the browser's editor) is a
    readable image of sane size."""
    for file in files:
        source = io.BytesIO(file) if isinstance(file, bytes) else getattr(file, "path", None)
        if source is None:
            continue
        try:
            with warnings.catch_warnings():  # the size is checked here, against our own limit
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(source) as image:
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
        """As gr.Sketchpad's, but checked first, and without decoding what the app ignores."""
        if payload is None:
            return None
        images = payload
        if payload.id is not None:  # the browser's editor sends its images as blobs
            images = self.blob_storage.pop(payload.id, None)
            if images is None:
                return None
        background, layers, composite = images.background, list(images.layers or []), images.composite
        _check([background, *layers, composite])
        if composite is not None:
            background, layers = None, []
        return _decode(
            lambda _: {
                "background": self.convert_and_format_image(background, flatten_on_white=True),
                "layers": [image for image in map(self.convert_and_format_image, layers) if image is not None],
                "composite": self.convert_and_format_image(composite, flatten_on_white=True),
            },
            payload,
        )


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
