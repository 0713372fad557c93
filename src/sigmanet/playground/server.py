"""The playground's local web server: the standard library's threaded HTTP server.

``GET /`` and ``GET /static/NAME`` serve the page (only files of the package's ``static``
folder); ``GET /events`` streams frames as server-sent events; ``POST /api/control`` and
``POST /api/upload`` take small JSON bodies; ``GET /api/...`` answer questions (data, options,
activation curves, exports).

It is meant for one person on one machine, so it defends against the web, not the user:

* it listens on the loopback interface only;
* every request must name this server in its ``Host`` header (``127.0.0.1:PORT`` or
  ``localhost:PORT``), which defeats DNS rebinding (a page of another site whose name is
  made to resolve to 127.0.0.1 still sends its own name);
* every POST must come from this server's own page: its ``Origin`` header must be this
  server's origin, and its body JSON (``Content-Type: application/json``, which an HTML form
  cannot send), so no other site can drive it;
* bodies are limited in size; malformed requests get a 4xx and change nothing.
"""

from __future__ import annotations

import json
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from sigmanet import activations as _activations
from sigmanet import initializers as _initializers
from sigmanet.playground import datasets, export
from sigmanet.playground.config import (
    LOSSES,
    MAX_LAYERS,
    MAX_UNITS,
    OPTIMIZERS,
    REGULARIZATIONS,
    SCHEDULES,
    Config,
    activation_choices,
)
from sigmanet.playground.session import Session
from sigmanet.playground.worker import FrameBoard, Worker

__all__ = ["LOOPBACK_HOSTS", "MAX_CONTROL_BYTES", "MAX_UPLOAD_BYTES", "Playground"]

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
MAX_CONTROL_BYTES = 16 * 1024
MAX_UPLOAD_BYTES = 512 * 1024
#: Most event streams open at once (each holds a thread).
MAX_STREAMS = 8
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(html|js|css|svg|png)$")
_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class _RequestError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread: nothing leaks
    block_on_close = True
    playground: Playground


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "sigmanet-playground"
    sys_version = ""
    timeout = 10  # seconds a client may take to send its request

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the URL, not every request."""

    # -- dispatch ----------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch(self._get)

    def do_POST(self) -> None:
        self._dispatch(self._post)

    def do_HEAD(self) -> None:
        self._dispatch(lambda: self._send_error(HTTPStatus.METHOD_NOT_ALLOWED, "Use GET."))

    def _other(self) -> None:
        self._dispatch(
            lambda: self._send_error(HTTPStatus.METHOD_NOT_ALLOWED, "Only GET and POST are served.")
        )

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _other

    def _dispatch(self, handler: Any) -> None:
        try:
            self._check_host()
            handler()
        except _RequestError as error:
            self._send_error(error.status, str(error))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as error:  # a bug: say so instead of dropping the connection
            self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(error).__name__}: {error}")

    def _call(self, action: str, payload: Any) -> Any:
        """Run a control on the worker thread and wait for it; busy or stopping is a 503."""
        try:
            return self.server.playground.worker.call(action, payload, timeout=60)
        except TimeoutError:
            raise _RequestError(
                HTTPStatus.SERVICE_UNAVAILABLE, "The playground is busy; try again."
            ) from None
        except RuntimeError as error:  # shutting down
            raise _RequestError(HTTPStatus.SERVICE_UNAVAILABLE, str(error)) from None

    def _check_host(self) -> None:
        host = self.headers.get("Host", "")
        if host not in self.server.playground.allowed_hosts:
            raise _RequestError(
                HTTPStatus.FORBIDDEN,
                f"Host {host!r} is not this playground; open {self.server.playground.url}.",
            )

    # -- responses ---------------------------------------------------------------------------
    def _send(self, status: HTTPStatus, body: bytes, content_type: str, **extra: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**_SECURITY_HEADERS, **extra}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, value: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(value, allow_nan=False).encode()
        self._send(status, body, "application/json")

    def _send_error(self, status: HTTPStatus, message: str) -> None:
        self._send_json({"error": message}, status)

    # -- GET ---------------------------------------------------------------------------------
    def _get(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        try:
            query = parse_qs(parts.query, max_num_fields=4)
        except ValueError:
            raise _RequestError(HTTPStatus.BAD_REQUEST, "Too many query parameters.") from None
        if path in ("/", "/index.html"):
            self._static("index.html")
        elif path.startswith("/static/"):
            self._static(path[len("/static/") :])
        elif path == "/events":
            self._stream()
        elif path == "/api/options":
            self._send_json(options())
        elif path == "/api/previews":
            self._send_json(previews())
        elif path == "/api/data":
            self._send_json(self._call("call", Session.data))
        elif path == "/api/activation":
            self._send_json(activation_curves(_one(query, "name")))
        elif path == "/api/export/data.csv":
            text = self._call("call", export.data_csv)
            self._send(
                HTTPStatus.OK,
                text.encode(),
                "text/csv; charset=utf-8",
                **{"Content-Disposition": 'attachment; filename="playground-data.csv"'},
            )
        elif path == "/api/export/run.py":
            text = self._call("call", export.python_snippet)
            self._send(
                HTTPStatus.OK,
                text.encode(),
                "text/x-python; charset=utf-8",
                **{"Content-Disposition": 'attachment; filename="playground_run.py"'},
            )
        elif path == "/api/export/model.safetensors":
            try:
                body = self._call("call", export.model_bytes)
            except ValueError as error:
                raise _RequestError(HTTPStatus.CONFLICT, str(error)) from None
            self._send(
                HTTPStatus.OK,
                body,
                "application/octet-stream",
                **{"Content-Disposition": 'attachment; filename="playground.safetensors"'},
            )
        else:
            raise _RequestError(HTTPStatus.NOT_FOUND, f"Nothing at {path!r}.")

    def _static(self, name: str) -> None:
        if not _STATIC_NAME.match(name):
            raise _RequestError(HTTPStatus.NOT_FOUND, "No such file.")
        file = (STATIC / name).resolve()
        if file.parent != STATIC or not file.is_file():
            raise _RequestError(HTTPStatus.NOT_FOUND, "No such file.")
        self._send(HTTPStatus.OK, file.read_bytes(), _TYPES[name.rsplit(".", 1)[1]])

    def _stream(self) -> None:
        playground = self.server.playground
        if not playground.streams.acquire(blocking=False):
            raise _RequestError(HTTPStatus.SERVICE_UNAVAILABLE, "Too many open event streams.")
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            for name, value in _SECURITY_HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            number = 0
            board = playground.board
            while not board.closed:
                number, frame = board.wait(number, timeout=1.0)
                if board.closed:
                    break
                if frame is None:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    self.wfile.write(b"event: frame\ndata: " + frame.encode() + b"\n\n")
                self.wfile.flush()
        finally:
            playground.streams.release()
            self.close_connection = True

    # -- POST --------------------------------------------------------------------------------
    def _post(self) -> None:
        playground = self.server.playground
        origin = self.headers.get("Origin")
        if origin not in playground.allowed_origins:
            raise _RequestError(
                HTTPStatus.FORBIDDEN, f"Origin {origin!r} may not control this playground."
            )
        path = urlsplit(self.path).path
        limit = {"/api/control": MAX_CONTROL_BYTES, "/api/upload": MAX_UPLOAD_BYTES}.get(path)
        if limit is None:
            raise _RequestError(HTTPStatus.NOT_FOUND, f"Nothing to post to at {path!r}.")
        body = self._read_json(limit)
        if path == "/api/control":
            action, payload = _control(body)
        else:
            text = body.get("csv") if isinstance(body, dict) else None
            if not isinstance(text, str):
                raise _RequestError(
                    HTTPStatus.BAD_REQUEST, 'The upload must be {"csv": "<file contents>"}.'
                )
            try:
                points = datasets.parse_csv(text)
            except ValueError as error:
                raise _RequestError(HTTPStatus.BAD_REQUEST, str(error)) from None
            action, payload = "upload", points
        try:
            self._call(action, payload)
        except ValueError as error:
            raise _RequestError(HTTPStatus.BAD_REQUEST, str(error)) from None
        self._send_json({"ok": True})

    def _read_json(self, limit: int) -> Any:
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _RequestError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "POST bodies must be application/json."
            )
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise _RequestError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required.")
        if not length_text.isdigit():
            raise _RequestError(HTTPStatus.BAD_REQUEST, "Content-Length must be a number.")
        length = int(length_text)
        if length > limit:
            raise _RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"The body may have at most {limit} bytes."
            )
        raw = self.rfile.read(length)
        if len(raw) != length:
            raise _RequestError(HTTPStatus.BAD_REQUEST, "The body is shorter than announced.")
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise _RequestError(HTTPStatus.BAD_REQUEST, "The body is not valid JSON.") from None


_ACTIONS = (
    "play",
    "pause",
    "step",
    "reset",
    "regenerate",
    "configure",
    "compare_activations",
    "compare_descent",
)


def _control(body: Any) -> tuple[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        raise _RequestError(HTTPStatus.BAD_REQUEST, 'A control is {"action": "<name>", ...}.')
    action = body["action"]
    if action not in _ACTIONS:
        raise _RequestError(
            HTTPStatus.BAD_REQUEST, f"Unknown action {action!r}; one of {', '.join(_ACTIONS)}."
        )
    if action == "configure":
        settings = body.get("settings")
        if not isinstance(settings, dict):
            raise _RequestError(HTTPStatus.BAD_REQUEST, "configure needs a settings object.")
        return action, settings
    return action, None


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    if not values or len(values) != 1:
        raise _RequestError(HTTPStatus.BAD_REQUEST, f"Give exactly one {name}= parameter.")
    return values[0]


def options() -> dict[str, Any]:
    """The choices the page offers, and the default settings."""
    return {
        "datasets": list(datasets.DATASETS),
        "features": list(datasets.FEATURES),
        "activations": activation_choices(),
        "initializers": _initializers.names(),
        "optimizers": list(OPTIMIZERS),
        "schedules": list(SCHEDULES),
        "losses": list(LOSSES),
        "regularizations": list(REGULARIZATIONS),
        "max_layers": MAX_LAYERS,
        "max_units": MAX_UNITS,
        "domain": datasets.DOMAIN,
        "defaults": Config().to_dict(),
    }


def previews() -> dict[str, Any]:
    """A small noiseless sample of every data set, for the buttons that choose one."""
    result = {}
    for name in datasets.DATASETS:
        X, y = datasets.make_dataset(name, 150, 0.0, seed=0)
        result[name] = {"x": np.round(X, 2).tolist(), "y": y.tolist()}
    return result


def activation_curves(name: str) -> dict[str, Any]:
    """f, f' and f'' of a registered activation on [-8, 8] (for the activation panel)."""
    if name not in activation_choices():
        raise _RequestError(HTTPStatus.BAD_REQUEST, f"Unknown activation {name!r}.")
    activation = _activations.get(name)
    x = np.linspace(-8.0, 8.0, 161)
    curves = {
        "f": activation(x),
        "f1": activation.derivative(x),
        "f2": activation.second_derivative(x),
    }
    return {
        "name": name,
        "x": x.round(4).tolist(),
        **{
            key: np.round(np.asarray(value, dtype=np.float64), 6).tolist()
            for key, value in curves.items()
        },
    }


class Playground:
    """The server, the worker and the session, started and stopped together.

    Parameters
    ----------
    host : {"127.0.0.1", "localhost"}
        The loopback interface; nothing else is accepted (the playground has no login).
    port : int
        0 (default) for a free port chosen by the system.
    config : Config, optional
        Starting settings.

    Examples
    --------
    >>> with Playground() as playground:    # serves until the block ends
    ...     playground.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, config: Config | None = None):
        if host not in LOOPBACK_HOSTS:
            raise ValueError(
                f"host must be one of {', '.join(LOOPBACK_HOSTS)}; got {host!r}. The "
                "playground has no login, so it serves this machine only."
            )
        if not (isinstance(port, int) and 0 <= port <= 65535):
            raise ValueError(f"port must be an integer from 0 to 65535; got {port!r}.")
        self.session = Session(config)
        self.board = FrameBoard()
        self.worker = Worker(self.session, self.board)
        self.streams = threading.BoundedSemaphore(MAX_STREAMS)
        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.httpd.playground = self
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self.allowed_hosts = {f"{name}:{self.port}" for name in LOOPBACK_HOSTS}
        self.allowed_origins = {f"http://{name}:{self.port}" for name in LOOPBACK_HOSTS}
        self._thread: threading.Thread | None = None

    def start(self) -> Playground:
        """Start the worker and the server threads; return ``self``."""
        self.worker.start()
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sigmanet-playground-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the event streams, end every thread (each within ``timeout``)."""
        self.board.close()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout)
        self.httpd.server_close()  # joins the handler threads
        self.worker.stop(timeout)

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C), then stop cleanly."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> Playground:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
