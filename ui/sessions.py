"""Gradio's sessions without their copy of the page's configuration, which nothing here reads,
kept in a store that pushes out sessions holding no state before visitors' readings.

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
import gradio.routes
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


class StatefulFirstHolder(state_holder.StateHolder):
    """Gradio's session store, which, when full, pushes out the oldest session that holds no
    state before any that does.

    Gradio makes a session for any session id a request names, even one a route then refuses
    (20 requests to ``/gradio_api/component_server`` with made-up ids and no such function: 20
    404s, 20 sessions), and pushed out the oldest when ``state_session_capacity`` was reached:
    a script could push every visitor's last reading out ("why", "wrong?") in 2,000 requests.
    """

    def update(self, session_id: str) -> None:
        with self.lock:
            if session_id in self.session_data:
                self.session_data.move_to_end(session_id)
            if len(self.session_data) > self.capacity:
                others = [other for other in self.session_data if other != session_id]  # oldest first
                stateless = (other for other in others if not self.session_data[other].state_data)
                self._drop(next(stateless, others[0]))

    def drop_if_empty(self, session_id: str) -> None:
        """Forget the session ``session_id`` now if it holds no state (an API call's, once done)."""
        with self.lock:
            session = self.session_data.get(session_id)
            if session is not None and not session.state_data:
                self._drop(session_id)

    def _drop(self, session_id: str) -> None:
        del self.session_data[session_id]
        self.time_last_used.pop(session_id, None)


def use_lean_sessions() -> None:
    """Have Gradio's session store make every new session a ``LeanSessionState``, and the app's
    store be a ``StatefulFirstHolder`` (set before ``launch`` makes it)."""
    state_holder.SessionState = LeanSessionState
    gradio.routes.StateHolder = StatefulFirstHolder
