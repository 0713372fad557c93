"""The playground's HTTP server on a free port: pages, events, controls, exports, defences."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

import numpy as np
import pytest

import sigmanet
from sigmanet.playground import Playground
from sigmanet.playground.server import MAX_CONTROL_BYTES, MAX_UPLOAD_BYTES


def request(
    playground: Playground,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    host: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request with exactly the given headers (Host included); status, headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", playground.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host if host is not None else f"127.0.0.1:{playground.port}")
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None and "Content-Length" not in (headers or {}):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def post(
    playground: Playground, path: str, value: Any, **headers: str
) -> tuple[int, dict[str, Any]]:
    base = {"Origin": f"http://127.0.0.1:{playground.port}", "Content-Type": "application/json"}
    status, _, body = request(
        playground, "POST", path, json.dumps(value).encode(), {**base, **headers}
    )
    return status, json.loads(body)


def get_json(playground: Playground, path: str) -> Any:
    status, _, body = request(playground, "GET", path)
    assert status == 200, body
    return json.loads(body)


class Events:
    """A reader of the /events stream."""

    def __init__(self, playground: Playground) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", playground.port, timeout=10)
        self.connection.request("GET", "/events")
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type").startswith("text/event-stream")

    def frame(self) -> dict[str, Any]:
        """The next frame (comments and retry lines are skipped)."""
        event = None
        while True:
            line = self.response.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: ") and event == "frame":
                return json.loads(line[len("data: ") :])

    def until(self, predicate: Any, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.frame()
            if predicate(frame):
                return frame
        raise AssertionError("no frame met the condition in time")

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def events(playground):
    reader = Events(playground)
    yield reader
    reader.close()


# -- pages ----------------------------------------------------------------------------------


def test_the_page_and_its_assets_are_served_with_a_strict_policy(playground):
    status, headers, body = request(playground, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"sigmanet playground" in body and b"/static/app.js" in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    for name, kind in [("app.js", "text/javascript"), ("style.css", "text/css")]:
        status, headers, body = request(playground, "GET", f"/static/{name}")
        assert status == 200 and headers["Content-Type"].startswith(kind) and body


def test_localhost_is_accepted_as_the_host(playground):
    status, _, _ = request(playground, "GET", "/", host=f"localhost:{playground.port}")
    assert status == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1",
        "127.0.0.1:1",
        "localhost.evil:{port}",
        "",
    ],
)
def test_any_other_host_header_is_refused(playground, host):
    status, _, body = request(playground, "GET", "/", host=host.format(port=playground.port))
    assert status == 403 and b"not this playground" in body


@pytest.mark.parametrize(
    "path",
    [
        "/static/../server.py",
        "/static/%2e%2e/server.py",
        "/static/..%2fserver.py",
        "/static/../../../../etc/passwd",
        "/static//etc/passwd",
        "/static/.hidden.js",
        "/static/server.py",
        "/static/missing.js",
        "/../pyproject.toml",
        "/nothing",
    ],
)
def test_nothing_outside_the_static_folder_is_served(playground, path):
    status, _, body = request(playground, "GET", path)
    assert status == 404, body


def test_an_oversized_request_line_or_header_is_refused(playground):
    status, _, _ = request(playground, "GET", "/" + "a" * 70_000)
    assert status == 414
    status, _, _ = request(playground, "GET", "/", headers={"X-Big": "b" * 70_000})
    assert status in (400, 431)


def test_a_stopped_worker_or_a_bug_is_a_5xx_not_a_dropped_connection(playground, monkeypatch):
    status, _, _ = request(playground, "GET", "/api/activation?a=1&b=2&c=3&d=4&e=5&f=6")
    assert status == 400

    def broken() -> None:
        raise KeyError("oops")

    monkeypatch.setattr("sigmanet.playground.server.options", broken)
    status, _, body = request(playground, "GET", "/api/options")
    assert status == 500 and b"KeyError" in body
    playground.worker.stop()
    status, answer = post(playground, "/api/control", {"action": "play"})
    assert status == 503 and "shutting down" in answer["error"]


def test_other_methods_are_refused(playground):
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        status, _, _ = request(playground, method, "/api/control")
        assert status == 405


# -- controls ---------------------------------------------------------------------------------


def test_a_post_needs_this_servers_origin(playground):
    body = json.dumps({"action": "play"}).encode()
    for origin in (None, "http://evil.example", f"http://127.0.0.1:{playground.port + 1}", "null"):
        headers = {"Content-Type": "application/json"}
        if origin is not None:
            headers["Origin"] = origin
        status, _, _ = request(playground, "POST", "/api/control", body, headers)
        assert status == 403
    assert playground.session.playing is False
    status, _ = post(playground, "/api/control", {"action": "pause"})
    assert status == 200
    status, _ = post(
        playground,
        "/api/control",
        {"action": "pause"},
        Origin=f"http://localhost:{playground.port}",
    )
    assert status == 200


def test_malformed_posts_get_a_4xx_and_change_nothing(playground):
    origin = {"Origin": f"http://127.0.0.1:{playground.port}"}
    json_headers = {**origin, "Content-Type": "application/json"}
    before = playground.worker.call("call", lambda s: s.config)
    cases = [
        (b'{"action": "play"}', {**origin, "Content-Type": "text/plain"}, 415),
        (b"{not json", json_headers, 400),
        (b'"play"', json_headers, 400),
        (b'{"action": "dance"}', json_headers, 400),
        (b'{"action": "configure"}', json_headers, 400),
        (b'{"action": "configure", "settings": {"learning_rate": "x"}}', json_headers, 400),
        (b'{"action": "configure", "settings": {"hidden": [99]}}', json_headers, 400),
        (b"\xff\xfe", json_headers, 400),
        (b"[" * 5000 + b"]" * 5000, json_headers, 400),
    ]
    for body, headers, expected in cases:
        status, _, answer = request(playground, "POST", "/api/control", body, headers)
        assert status == expected, (body[:40], answer)
        assert "error" in json.loads(answer)
    assert playground.worker.call("call", lambda s: s.config) == before
    assert playground.session.playing is False


def test_a_post_without_length_or_too_long_is_refused_unread(playground):
    headers = {"Origin": f"http://127.0.0.1:{playground.port}", "Content-Type": "application/json"}
    status, _, _ = request(playground, "POST", "/api/control", None, headers)
    assert status == 411
    too_long = {**headers, "Content-Length": str(MAX_CONTROL_BYTES + 1)}
    status, _, _ = request(playground, "POST", "/api/control", b"", too_long)
    assert status == 413
    too_long = {**headers, "Content-Length": str(MAX_UPLOAD_BYTES + 1)}
    status, _, _ = request(playground, "POST", "/api/upload", b"", too_long)
    assert status == 413
    status, _, _ = request(playground, "POST", "/api/nowhere", b"{}", headers)
    assert status == 404


def test_an_invalid_setting_is_reported_by_name(playground):
    status, answer = post(
        playground, "/api/control", {"action": "configure", "settings": {"noise": 3}}
    )
    assert status == 400 and "noise must be between 0.0 and 0.5" in answer["error"]


# -- the stream of frames ---------------------------------------------------------------------


def test_frames_stream_play_pause_and_step(playground, events):
    first = events.frame()
    assert first["state"] == "paused" and first["epoch"] == 0
    assert post(playground, "/api/control", {"action": "play"})[0] == 200
    playing = events.until(lambda f: f["state"] == "playing" and f["epoch"] >= 3)
    assert playing["loss"]["train"][-1] is not None
    assert post(playground, "/api/control", {"action": "pause"})[0] == 200
    paused = events.until(lambda f: f["state"] == "paused")
    # paused: no frame arrives until the next control, and then the epoch has not moved
    assert post(playground, "/api/control", {"action": "step"})[0] == 200
    stepped = events.until(lambda f: f["step"] is not None)
    assert stepped["updates"] == paused["updates"] + 1
    assert stepped["epoch"] == paused["epoch"]
    assert stepped["step"]["layers"][0]["dW"] is not None


def test_settings_change_the_frames(playground, events):
    events.frame()
    status, _ = post(
        playground,
        "/api/control",
        {"action": "configure", "settings": {"dataset": "three_class", "hidden": [3]}},
    )
    assert status == 200
    frame = events.until(lambda f: f["config"]["dataset"] == "three_class")
    assert frame["n_classes"] == 3 and frame["config"]["hidden"] == [3]
    assert frame["config"]["activations"] == ["tanh"]
    data = get_json(playground, "/api/data")
    assert data["data_version"] == frame["data_version"] and set(data["y"]) == {0, 1, 2}


def test_a_divergence_arrives_as_a_message(playground, events):
    settings = {
        "features": ["x1^2", "x2^2", "x1x2"],
        "hidden": [8, 8, 8],
        "activations": ["identity"] * 3,
        "learning_rate": 10,
        "speed": 5,
    }
    post(playground, "/api/control", {"action": "configure", "settings": settings})
    post(playground, "/api/control", {"action": "play"})
    frame = events.until(lambda f: f["message"] is not None)
    assert "diverged" in frame["message"] and frame["state"] == "paused"


# -- questions, uploads and exports -----------------------------------------------------------


def test_options_and_activation_curves(playground):
    options = get_json(playground, "/api/options")
    assert "sigmoid" in options["activations"] and options["defaults"]["hidden"] == [4, 2]
    curves = get_json(playground, "/api/activation?name=sigmoid")
    x = np.array(curves["x"])
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(curves["f"], s, atol=1e-6)
    np.testing.assert_allclose(curves["f1"], s * (1 - s), atol=1e-6)
    np.testing.assert_allclose(curves["f2"], s * (1 - s) * (1 - 2 * s), atol=1e-6)
    for query in ("name=softmax", "name=", "", "name=a&name=b"):
        status, _, _ = request(playground, "GET", f"/api/activation?{query}")
        assert status == 400


def test_previews_show_every_data_set(playground):
    previews = get_json(playground, "/api/previews")
    assert set(previews) == {"circle", "xor", "gauss", "spiral", "moons", "three_class"}
    assert all(len(p["x"]) == len(p["y"]) == 150 for p in previews.values())


def test_upload_replaces_the_data_or_says_what_is_wrong(playground):
    rows = "\n".join(f"{i % 5 - 2},{i % 3 - 1},{i % 2}" for i in range(30))
    status, _ = post(playground, "/api/upload", {"csv": "x1,x2,label\n" + rows})
    assert status == 200
    data = get_json(playground, "/api/data")
    assert len(data["y"]) == 30 and data["x"][1] == [-1.0, 0.0]
    status, answer = post(playground, "/api/upload", {"csv": "1,2,0\n1,2,1\n3,4,0\n5,60,1\n"})
    assert status == 400 and answer["error"].startswith("Line 4: x2 = 60.0 lies outside")
    status, answer = post(playground, "/api/upload", {"text": "1,2,0"})
    assert status == 400 and "csv" in answer["error"]
    assert len(get_json(playground, "/api/data")["y"]) == 30  # the failed uploads changed nothing


def test_exports_data_script_and_model(playground, tmp_path):
    post(playground, "/api/control", {"action": "step"})
    status, headers, body = request(playground, "GET", "/api/export/data.csv")
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    lines = body.decode().splitlines()
    assert lines[0] == "x1,x2,label,split" and len(lines) == 401
    status, _, script = request(playground, "GET", "/api/export/run.py")
    assert status == 200
    compile(script, "playground_run.py", "exec")
    status, _, model = request(playground, "GET", "/api/export/model.safetensors")
    assert status == 200
    path = tmp_path / "playground.safetensors"
    path.write_bytes(model)
    classifier = sigmanet.load(path)
    points = np.array([[0.0, 0.0], [4.0, -4.0], [-1.5, 2.0]])
    expected = playground.worker.call("call", lambda s: s.probabilities(points))
    np.testing.assert_allclose(classifier.predict_proba(points), expected, rtol=1e-12)
    status, _ = post(
        playground, "/api/control", {"action": "configure", "settings": {"loss": "squared_error"}}
    )
    assert status == 200
    status, _, body = request(playground, "GET", "/api/export/model.safetensors")
    assert status == 409 and b"log loss" in body


def test_stop_ends_every_thread_even_with_a_stream_open(leftover_threads):
    server = Playground().start()
    reader = Events(server)
    reader.frame()
    server.stop(timeout=5)
    reader.close()
    deadline = time.monotonic() + 5
    while leftover_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert leftover_threads() == []


def test_only_loopback_hosts_are_served():
    with pytest.raises(ValueError, match="serves this machine only"):
        Playground(host="0.0.0.0")
