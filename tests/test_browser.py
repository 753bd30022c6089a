"""The demo in a real browser: Debian's chromium driven by Playwright (pytest -m browser).

Needs `apt-get install -y chromium` and `pip install playwright` (no `playwright install`:
the system chromium is used). Saves screenshots to artifacts/demo.png (tiny networks) and
artifacts/demo_release.png (the released weights).
"""

import re
from pathlib import Path

import pytest

from tests.conftest import data_path
from tests.test_demo import free_port, load_app

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
PERCENT = re.compile(r"^(\w+)\n(\d+(?:\.\d+)?)%$", re.MULTILINE)  # a gr.Label row: "happy\n17%"


def serve(predictor, name):
    """Start the app on a free local port; returns (app, url)."""
    app = load_app(predictor, name)
    port = free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return app, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def served(predictor):
    """The app serving the tiny networks."""
    app, url = serve(predictor, "avmodel_demo_browser")
    yield url
    app.demo.close()


@pytest.fixture(scope="module")
def served_release(detector):
    """The app serving the released weights (avmodel/weights), as `make demo` does."""
    from avmodel.predict import Predictor

    predictor = Predictor(detector=detector)
    app, url = serve(predictor, "avmodel_demo_browser_release")
    yield url, predictor
    app.demo.close()


def upload_and_read(url, clip, screenshot, profile):
    """Upload ``clip`` in headless chromium; returns ({label: percent} of the fused answer, status text)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            headless=True, viewport={"width": 1280, "height": 1400})  # fmt: skip
        page = browser.new_page()
        page.goto(url, wait_until="networkidle")
        page.get_by_role("tab", name="Any file: clip, audio or image").click()
        page.locator("#upload input[type=file]").set_input_files(str(clip))
        page.get_by_text("Emotion (audio+visual)").wait_for(timeout=60_000)
        page.wait_for_timeout(1000)  # let the gallery and plot draw
        fused = page.locator("#fused").inner_text()
        status = page.locator("#status").inner_text()
        page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
        browser.close()
    return {label: float(value) for label, value in PERCENT.findall(fused)}, status


def test_upload_a_clip_and_read_the_probabilities(served, astronaut_clip, tmp_path):
    shown, status = upload_and_read(served, astronaut_clip, "demo.png", tmp_path / "profile")
    assert len(shown) == 7 and sum(shown.values()) == pytest.approx(100, abs=4)
    assert "astronaut.mp4" in status


def test_released_weights_in_the_page_match_the_command_line(served_release, tmp_path):
    url, predictor = served_release
    clip = data_path("crema-d", "1001_DFA_HAP_XX.flv")
    shown, status = upload_and_read(url, clip, "demo_release.png", tmp_path / "profile")
    expected = predictor.predict(clip)["probabilities"]
    assert len(shown) == 7
    for label, percent in shown.items():
        assert percent == pytest.approx(100 * expected[label], abs=1)  # the page rounds to whole percent
    assert "1001_DFA_HAP_XX.flv" in status
