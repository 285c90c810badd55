"""Gradio's sessions without their copy of the page's configuration, which nothing here reads.

Gradio makes every call a session (a plain HTTP call's is named after its event), and each new
session began by copying the configuration of every block on the page, then kept it up to date
with every value an event sent or returned: for this page's 28 blocks, 3.2 ms of the server's
event loop before a call could start (as much as reading the digit, decoding aside). That copy
is read by one route only, ``/gradio_api/deep_link``, which the app refuses (``ui/guard.py``).
``LeanSessionState`` keeps none; a session's state (the page's last reading) and its time to
live are Gradio's, unchanged. What it saves each request: README, "Latency".
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr
from gradio import state_holder


class LeanSessionState(state_holder.SessionState):
    """A ``SessionState`` whose ``config_values`` (the copy for deep links) stay empty."""

    def __init__(self, blocks: gr.Blocks) -> None:
        # Gradio's own set-up, shown no blocks to copy the configuration of.
        super().__init__(SimpleNamespace(default_config=blocks.default_config, blocks={}))

    def __setitem__(self, key: int, value: Any) -> None:
        """Gradio's (a state's value, or a block an event replaced), less the copy it makes."""
        super().__setitem__(key, value)
        self.config_values.pop(key, None)

    def _update_config(self, key: int) -> None:
        """Nothing to update: no copy is kept."""

    def _update_value_in_config(self, key: int, value: Any) -> None:
        """Nothing to update: no copy is kept."""


def use_lean_sessions() -> None:
    """Have Gradio's session store make every new session a ``LeanSessionState``."""
    state_holder.SessionState = LeanSessionState
