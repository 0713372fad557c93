"""The ``sigmanet playground`` command."""

from __future__ import annotations

import http.client
import socket

import pytest

from sigmanet.cli import main
from sigmanet.playground import Playground


@pytest.fixture
def served(monkeypatch):
    """Replace serving forever by one request to the page; record what the browser was asked."""
    seen: dict[str, object] = {"opened": [], "status": None}

    def serve_once(self: Playground) -> None:
        self.start()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            connection.request("GET", "/")
            seen["status"] = connection.getresponse().status
            connection.close()
        finally:
            self.stop()

    monkeypatch.setattr(Playground, "serve_forever", serve_once)
    monkeypatch.setattr("webbrowser.open", lambda url: seen["opened"].append(url))
    return seen


def test_playground_prints_its_url_and_serves_the_page(served, capsys):
    assert main(["playground", "--no-browser"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sigmanet playground: http://127.0.0.1:")
    assert served["status"] == 200 and served["opened"] == []


def test_playground_opens_the_browser_unless_told_not_to(served, capsys):
    assert main(["playground"]) == 0
    url = capsys.readouterr().out.split()[2]
    assert served["opened"] == [url]


def test_playground_refuses_a_bad_port_or_host(capsys):
    assert main(["playground", "--port", "70000"]) == 2
    assert "0<=x<=65535" in capsys.readouterr().err
    assert main(["playground", "--host", "0.0.0.0"]) == 2
    assert "'0.0.0.0' is not one of" in capsys.readouterr().err


def test_playground_reports_a_port_in_use(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["playground", "--port", str(port), "--no-browser"]) == 1
    assert "sigmanet: error:" in capsys.readouterr().err


def test_help_lists_the_playground(capsys):
    assert main(["--help"]) == 0
    assert "playground" in capsys.readouterr().out
    assert main(["playground", "--help"]) == 0
    assert "--no-browser" in capsys.readouterr().out


def test_ctrl_c_stops_the_playground_cleanly(monkeypatch, capsys, leftover_threads):
    def interrupted(self: Playground) -> None:
        self.start()
        try:
            raise KeyboardInterrupt
        finally:
            self.stop()

    monkeypatch.setattr(Playground, "serve_forever", interrupted)
    assert main(["playground", "--no-browser"]) == 0
    assert capsys.readouterr().out.endswith("sigmanet playground: stopped\n")
    assert leftover_threads() == []
