"""End to end: the playground in headless Chromium (Debian's), driven by Playwright.

The page runs under its own Content-Security-Policy (no eval), so the tests read the page
from Python (text, attributes, screenshots) instead of evaluating JavaScript in it.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import numpy as np
from PIL import Image  # Pillow comes with matplotlib (test extra)


def wait_until(
    page: Any, condition: Any, timeout: float = 30.0, what: str = "the condition"
) -> None:
    """Poll ``condition`` while Playwright delivers the page's events (time.sleep would not)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def number(page: Any, selector: str) -> float:
    text = page.text_content(selector)
    return float(text) if text and text != "–" else float("nan")


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    wait_until(
        page, lambda: number(page, "#train-loss") == number(page, "#train-loss"), what="a frame"
    )


def parse_numbers(text: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)])


def region(png: bytes, x: float, y: float, half: int = 6) -> np.ndarray:
    """The median colour of a small square of a screenshot, as (r, g, b)."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    h, w, _ = image.shape
    cx, cy = round(x * w), round(y * h)
    block = image[cy - half : cy + half, cx - half : cx + half].reshape(-1, 3)
    return np.median(block, axis=0)


def test_play_trains_step_shows_the_numbers_and_the_heat_map_forms(playground, page, tmp_path):
    open_page(page, playground.url)
    # controls: the squared features make the circle easy; a faster rate
    page.check("#features input[value='x1^2']")
    page.check("#features input[value='x2^2']")
    page.select_option("#learning_rate", "0.1")
    wait_until(
        page, lambda: "x1%5E2" in page.url and "learning_rate=0.1" in page.url, what="settings"
    )
    wait_until(page, lambda: playground.session.config.learning_rate == 0.1, what="the server")
    first_loss = number(page, "#train-loss")

    page.click("#play")
    wait_until(
        page,
        lambda: number(page, "#epoch") >= 20 and number(page, "#train-loss") < 0.8 * first_loss,
        what="the epoch counter to move and the loss to fall",
    )
    page.click("#play")  # pause
    page.wait_for_selector("#play[data-state=paused]")
    page.screenshot(path=str(tmp_path / "playground-trained.png"), full_page=True)

    # the heat-map: orange (class 1) in the middle of the circle, blue outside
    png = page.locator("#heatmap").screenshot()
    centre, corner = region(png, 0.5, 0.5), region(png, 0.06, 0.06)
    assert centre[0] > centre[2] + 40, centre  # more red than blue: orange
    assert corner[2] > corner[0] + 40, corner  # more blue than red

    page.locator("#heatmap").hover(position={"x": 150, "y": 150})
    readout = page.text_content("#heatmap-readout")
    p1 = float(re.search(r"P\(class 1\) ≈ ([0-9.]+)", readout).group(1))
    expected = playground.worker.call("call", lambda s: s.probabilities(np.zeros((1, 2))))
    assert readout.startswith("x1 = ") and abs(p1 - expected[0, 1]) < 0.03

    updates = number(page, "#updates")
    page.locator("#heatmap").click()  # focus off the controls; "s" is the step key
    page.keyboard.press("s")
    page.wait_for_selector("#step-details .step-layer")
    wait_until(page, lambda: number(page, "#updates") == updates + 1, what="one more update")
    record = playground.worker.call("call", lambda session: session.last_step)
    shown = parse_numbers(page.text_content(".step-layer[data-layer='1'] td[data-name='dW']"))
    expected = np.asarray(record["layers"][0]["dW"]).ravel()
    np.testing.assert_allclose(shown, expected, rtol=1e-2, atol=1e-4)
    shown = parse_numbers(page.text_content(".step-layer[data-layer='1'] td[data-name='W_new']"))
    np.testing.assert_allclose(shown, np.ravel(record["layers"][0]["W_new"]), rtol=1e-2, atol=1e-4)
    page.screenshot(path=str(tmp_path / "playground-step.png"), full_page=True)
    assert page.errors == []


def test_a_shared_link_sets_the_network_and_bad_uploads_are_explained(playground, page, tmp_path):
    open_page(page, playground.url + "#dataset=xor&hidden=3&activations=relu&learning_rate=0.3")
    wait_until(page, lambda: page.text_content("#layer-count") == "1", what="the linked network")
    assert playground.session.config.dataset == "xor"
    assert playground.session.config.hidden == (3,)
    assert page.get_attribute("#datasets button.selected", "data-dataset") == "xor"
    assert page.input_value(".layer-activation") == "relu"

    # edit the network with + and -
    page.click("#add-layer")
    wait_until(page, lambda: page.text_content("#layer-count") == "2", what="a second layer")
    assert playground.session.config.hidden == (3, 3)

    page.set_input_files(
        "#upload",
        files=[
            {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"1,2,0\n1,2,1\n3,x,0\n5,6,1\n"}
        ],
    )
    page.wait_for_selector("#message:not([hidden])")
    assert "Line 3: x2 must be a finite number" in page.text_content("#message")

    assert page.is_hidden("#flow-compare")  # no empty chart before there is a comparison
    page.click("#compare-activations")
    wait_until(
        page, lambda: "sigmoid" in (page.text_content("#flow-note") or ""), what="the comparison"
    )
    assert page.is_visible("#flow-compare")
    page.locator("#loss-chart").hover(position={"x": 270, "y": 60})
    wait_until(
        page,
        lambda: page.text_content("#loss-readout").startswith("epoch"),
        what="the loss readout",
    )
    page.screenshot(path=str(tmp_path / "playground-compare.png"), full_page=True)
    page.errors[:] = [e for e in page.errors if "400 (Bad Request)" not in e]  # the upload's own
    assert page.errors == []
