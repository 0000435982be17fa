"""The service map as a person uses it: Debian's headless chromium, driven by Playwright,
against a real server on loopback (started and stopped here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_api_support import LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TAIPEI = (25.0330, 121.5654)
KYIV = (50.4501, 30.5234)


def _skip_reasons() -> str | None:
    from skygate.api.app import BUILD_HINT, static_ready

    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return "Debian's chromium is not installed (make system installs it)"
    if not static_ready():
        return BUILD_HINT
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    reason = _skip_reasons()
    if reason:
        pytest.skip(reason)
    live = LiveServer(tmp_path_factory.mktemp("web_home")).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        exe = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(server.url) and not r.url.startswith("data:") else None)
    page.goto(server.url + "/")
    page.wait_for_selector("body[data-ready='true']", timeout=30_000)
    yield page
    assert errors == [], errors  # no console errors, ever
    assert outside == [], outside  # fully offline: nothing but our own server
    context.close()


def _click_at(page, lat: float, lon: float, zoom: int = 7) -> None:
    """Centre the map on a place and click the map's centre, as a person would."""
    page.evaluate(f"void map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("[data-testid=decision-status]", timeout=15_000)


def _non_background_share(png: bytes) -> float:
    """Fraction of map pixels that are not the plain sea background."""
    import io

    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    sea = np.array([0xCF, 0xE3, 0xF3])
    return float((np.abs(img - sea).sum(axis=2) > 30).mean())


def test_page_loads_and_draws_the_map(page, tmp_path):
    png = page.screenshot(path=str(tmp_path / "map.png"))
    shutil.copy(tmp_path / "map.png", "/tmp/helperE_map.png") if Path("/tmp").is_dir() else None
    assert _non_background_share(png) > 0.2  # countries drawn over the sea
    legend = page.locator("#legend-items").inner_text().lower()
    for status in ("available", "waitlist", "coming soon", "not authorized", "restricted"):
        assert status in legend


def test_click_taipei_shows_coming_soon_with_the_reason(page):
    _click_at(page, *TAIPEI)
    assert page.locator("[data-testid=decision-status]").inner_text() == "coming soon"
    reasons = page.locator("[data-testid=decision-reasons]").inner_text()
    assert "49%" in reasons and "foreign ownership" in reasons
    assert page.locator(".entries a").count() >= 1  # the ledger entry behind it, linked


def test_click_kyiv_shows_available(page):
    _click_at(page, *KYIV)
    assert page.locator("[data-testid=decision-status]").inner_text() == "available"
    # At zoom 7 the res-5 cells are drawn from /api/v1/cells.
    page.wait_for_function("document.getElementById('map-status').textContent.endsWith('cells')")


def test_date_control_changes_the_map(page):
    page.evaluate("void map.setView([48, 10], 4, {animate: false})")  # Europe
    page.wait_for_timeout(300)
    before = page.locator("#map").screenshot()
    page.fill("[data-testid=date]", "2024-01-01")
    page.dispatch_event("[data-testid=date]", "change")
    page.wait_for_selector("body[data-map-at='2024-01-01T23:59:59Z']")
    page.wait_for_timeout(300)
    after = page.locator("#map").screenshot()
    assert before != after
    # Before the preset took effect (2024-10-25) Europe had no authorization on record.
    _click_at(page, 48.8566, 2.3522, zoom=5)  # Paris
    assert page.locator("[data-testid=decision-status]").inner_text() == "not authorized"


def test_restrictions_panel_lists_public_entries(page, server):
    text = page.locator("#restriction-items").inner_text()
    # The preset's only restriction is not public: the panel says one exists, not its details.
    assert "not public" in text or "none in force" in text
    assert "Isaacson" not in text
