"""The demo in a real browser: Debian's chromium driven by Playwright (pytest -m browser).

Needs `apt-get install -y chromium` and `pip install playwright` (no `playwright install`:
the system chromium is used). Saves a screenshot to artifacts/demo.png.
"""

import re
from pathlib import Path

import pytest

from tests.test_demo import free_port, load_app

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
PERCENT = re.compile(r"^(\w+)\n(\d+(?:\.\d+)?)%$", re.MULTILINE)  # a gr.Label row: "happy\n17%"


@pytest.fixture(scope="module")
def served(predictor):
    """The app on a free local port, serving the tiny networks."""
    app = load_app(predictor, "avmodel_demo_browser")
    port = free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.demo.close()


def test_upload_a_clip_and_read_the_probabilities(served, astronaut_clip, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            headless=True, viewport={"width": 1280, "height": 1400})  # fmt: skip
        page = browser.new_page()
        page.goto(served, wait_until="networkidle")
        page.get_by_role("tab", name="Any file: clip, audio or image").click()
        page.locator("#upload input[type=file]").set_input_files(str(astronaut_clip))
        page.get_by_text("Emotion (audio+visual)").wait_for(timeout=60_000)
        page.wait_for_timeout(1000)  # let the gallery and plot draw
        fused = page.locator("#fused").inner_text()
        status = page.locator("#status").inner_text()
        page.screenshot(path=str(ARTIFACTS / "demo.png"), full_page=True)
        browser.close()
    shown = {label: float(value) for label, value in PERCENT.findall(fused)}
    assert len(shown) == 7 and sum(shown.values()) == pytest.approx(100, abs=4)
    assert "astronaut.mp4" in status
