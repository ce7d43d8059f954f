"""A client that speaks Streamlit's websocket protocol, as one browser tab does.

``/_stcore/stream`` carries protobuf ``BackMsg`` (client to server) and ``ForwardMsg``
(server to client). The fault tests use it to misbehave on purpose; ``bench.load`` runs
many of them at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import websocket
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider

from tests.support.server import Server

FINISHED_OK = (
    ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
)


class ProtocolError(RuntimeError):
    """The server closed the connection or did not answer in time."""


@dataclass
class Rerun:
    """What one script run sent back."""

    seconds: float
    status: int
    widgets: dict[str, tuple[str, object]] = field(default_factory=dict)
    """User key -> (widget id, widget proto) of every keyed widget drawn."""
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Error panels (st.error) the page showed."""
    buttons: dict[str, object] = field(default_factory=dict)
    """Widget id -> proto of every button drawn (keyed or not), to press by label."""
    texts: list[str] = field(default_factory=list)
    """The Markdown, headings, code blocks and panels (st.success, st.info, ...) the
    page showed."""
    timers: dict[str, float] = field(default_factory=dict)
    """Fragment id -> seconds between reruns, of the timed fragments this run drew."""

    @property
    def ok(self) -> bool:
        return self.status in FINISHED_OK and not self.exceptions and not self.errors


class StreamlitSession:
    """One browser tab, speaking Streamlit's websocket protocol.

    Like the browser, it remembers the value of every widget on the page and reports
    them all with each rerun (a widget the client does not report loses its value).
    """

    def __init__(self, server: Server, *, timeout: float = 60.0, page_name: str = "") -> None:
        url = f"ws://127.0.0.1:{server.port}/_stcore/stream"
        self.ws = websocket.create_connection(url, subprotocols=["streamlit"], timeout=timeout)
        self.page_script_hash = ""
        self.page_name = page_name
        """The page to run, as its address names it (e.g. ``Room``); "" the main one."""
        self.values: dict[str, tuple[str, object]] = {}
        """Widget id -> (WidgetState value field, value), as the browser holds them."""
        self.timers: dict[str, float] = {}
        """Fragment id -> seconds between its reruns (``st.fragment(run_every=...)``) of
        the page as last drawn: the browser runs each such fragment again on its own
        timer (:meth:`send_rerun` with ``fragment_id``) while the page shows it."""
        self.shown_page = ""
        """The hash of the page the last run drew (its ``navigation`` message): a fragment
        rerun names it, so that an ``st.rerun()`` from the fragment stays on that page."""
        self.query_string = ""
        """The address's query string as the page last set it (``st.query_params``)."""

    def close(self) -> None:
        self.ws.close()

    def send_rerun(
        self,
        *,
        query_string: str = "",
        moves: dict[str, object] | None = None,
        triggers: tuple[str, ...] | list[str] = (),
        fragment_id: str = "",
    ) -> float:
        """Ask for a rerun as the browser does after a widget moves; returns the time sent.

        ``moves``: widget id -> new value (in the widget's value field); ``triggers``:
        ids of buttons pressed; ``fragment_id``: rerun that fragment alone, as its timer
        in the browser does.
        """
        for widget_id, value in (moves or {}).items():
            self.values[widget_id] = (self.values[widget_id][0], value)
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = query_string
        if fragment_id:  # on the page that drew the fragment, as the server named it
            client.fragment_id = fragment_id
            client.is_auto_rerun = True
            client.page_script_hash = self.shown_page or self.page_script_hash
        elif self.page_name:  # the page by name, each run (a page's hash is the server's)
            client.page_name = self.page_name
        else:
            client.page_script_hash = self.page_script_hash
        for widget_id, (kind, value) in self.values.items():
            widget = client.widget_states.widgets.add()
            widget.id = widget_id
            if kind == "double_array_value":
                widget.double_array_value.data.extend(value)  # type: ignore[arg-type]
            else:
                setattr(widget, kind, value)
        for widget_id in triggers:
            pressed = client.widget_states.widgets.add()
            pressed.id = widget_id
            pressed.trigger_value = True
        started = time.perf_counter()
        self.ws.send_binary(msg.SerializeToString())
        return started

    def _receive(self) -> ForwardMsg:
        try:
            raw = self.ws.recv()
        except (websocket.WebSocketException, OSError) as exc:
            raise ProtocolError(f"connection lost: {exc}") from exc
        if not raw:
            raise ProtocolError("the server closed the connection")
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        return msg

    def wait_running(self) -> None:
        """Read ForwardMsgs until the script run asked for has drawn its first element:
        the server is now busy with this session's run."""
        while True:
            msg = self._receive()
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_script_hash = msg.new_session.page_script_hash
            elif kind == "delta":
                return
            elif kind == "script_finished":
                raise ProtocolError("the run finished before it drew anything")

    def wait_finished(self, started: float) -> Rerun:
        """Read ForwardMsgs until the script run ends; collect widgets and errors."""
        rerun = Rerun(seconds=0.0, status=-1)
        while True:
            msg = self._receive()
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_script_hash = msg.new_session.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                _collect(msg.delta.new_element, rerun)
            elif kind == "auto_rerun":
                rerun.timers[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for fragment in msg.stop_auto_rerun.fragment_ids:
                    self.timers.pop(fragment, None)
            elif kind == "navigation":
                self.shown_page = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "script_finished":
                rerun.status = msg.script_finished
                if msg.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN:
                    rerun = Rerun(seconds=0.0, status=-1)  # what the next run draws counts
                else:
                    rerun.seconds = time.perf_counter() - started
                    self._remember(rerun)
                    return rerun

    def _remember(self, rerun: Rerun) -> None:
        """Keep the values of the widgets on the page (new ones at their initial value);
        after a fragment's own run, the rest of the page keeps its widgets and timers."""
        fragment_run = (
            rerun.status == ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
        )
        self.timers = {**self.timers, **rerun.timers} if fragment_run else dict(rerun.timers)
        drawn = dict(self.values) if fragment_run else {}
        for widget_id, proto in rerun.widgets.values():
            known = self.values.get(widget_id)
            initial = _initial_value(proto)
            if initial is None:
                continue
            drawn[widget_id] = initial if known is None or proto.set_value else known
        self.values = drawn

    def rerun(self, *, query_string: str = "", moves: dict[str, object] | None = None) -> Rerun:
        return self.wait_finished(self.send_rerun(query_string=query_string, moves=moves))


def _initial_value(proto) -> tuple[str, object] | None:
    """The value the browser shows for a freshly drawn widget (kinds the app's levers use)."""
    name = proto.DESCRIPTOR.name
    if name == "Slider" and proto.type != Slider.Type.SELECT_SLIDER:
        return "double_array_value", list(proto.value if proto.set_value else proto.default)
    if name == "NumberInput":
        return "double_value", float(proto.value if proto.set_value else proto.default)
    if name == "Checkbox":
        return "bool_value", bool(proto.value if proto.set_value else proto.default)
    if name == "TextInput":
        return "string_value", proto.value if proto.set_value else proto.default
    return None


def _collect(element, rerun: Rerun) -> None:
    kind = element.WhichOneof("type")
    if kind == "exception":
        rerun.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        return
    if kind == "alert" and element.alert.format == Alert.Format.ERROR:
        rerun.errors.append(element.alert.body)
        return
    if kind == "alert":
        rerun.texts.append(element.alert.body)
    elif kind == "markdown":
        rerun.texts.append(element.markdown.body)
    elif kind == "heading":
        rerun.texts.append(element.heading.body)
    elif kind == "code":
        rerun.texts.append(element.code.code_text)
    proto = getattr(element, kind, None)
    widget_id = getattr(proto, "id", "")
    if kind == "button" and widget_id:
        rerun.buttons[widget_id] = proto
    if widget_id.startswith("$$ID-") and not widget_id.endswith("-None"):
        rerun.widgets[widget_id.split("-", 2)[2]] = (widget_id, proto)
