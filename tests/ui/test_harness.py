"""End-to-end check of the offline browser harness against tests/ui/demo_app.py."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def solara_app() -> str:
    return "tests/ui/demo_app.py"


def counter_text(page):
    return page.get_by_text(re.compile(r"^\s*Counter: \d+")).inner_text()


def test_page_loads_steps_and_resets(open_app, mesa_ui, solara_server, ui_artifacts_dir):
    from playwright.sync_api import expect

    page = open_app()
    mesa_ui.assert_no_console_errors(page)
    assert mesa_ui.read_step(page) == 0
    assert page.get_by_role("tab", name=re.compile("Page 0", re.I)).is_visible()
    # the altair component rendered with the cached vega bundles
    expect(page.locator(".vega-embed svg, .vega-embed canvas").first).to_be_visible()

    assert mesa_ui.click_step(page) == 1
    assert mesa_ui.click_step(page, times=2) == 3
    expect(page.get_by_text(re.compile(r"^\s*Counter: 3\b"))).to_be_visible()

    mesa_ui.click_reset(page)
    assert mesa_ui.read_step(page) == 0
    expect(page.get_by_text(re.compile(r"^\s*Counter: 0\b"))).to_be_visible()

    # a model parameter slider feeds the model on Reset
    assert mesa_ui.read_slider(page, "Increment") == 1
    mesa_ui.set_slider(page, "Increment", 3)
    assert mesa_ui.read_slider(page, "Increment") == 3
    mesa_ui.click_reset(page)
    mesa_ui.click_step(page)
    expect(page.get_by_text(re.compile(r"^\s*Counter: 3 \(increment 3\)"))).to_be_visible()

    # play / pause (default play interval: 100 ms per step)
    mesa_ui.click_play(page)
    assert mesa_ui.wait_for_step_at_least(page, 3) >= 3
    paused_at = mesa_ui.click_pause(page)
    page.wait_for_timeout(300)
    assert mesa_ui.read_step(page) == paused_at, "model kept stepping after pause"

    mesa_ui.screenshot(page, ui_artifacts_dir, "harness-demo")
    mesa_ui.assert_no_console_errors(page)
    assert solara_server.cdn_misses() == [], "asset cache incomplete"


def test_sessions_have_independent_models(open_app, mesa_ui, solara_server):
    first = open_app()
    second = open_app()
    assert mesa_ui.click_step(first, times=2) == 2
    assert mesa_ui.read_step(second) == 0
    assert mesa_ui.click_step(second) == 1
    assert mesa_ui.read_step(first) == 2
    mesa_ui.click_reset(first)
    assert mesa_ui.read_step(second) == 1
    for page in (first, second):
        mesa_ui.assert_no_console_errors(page)
    assert solara_server.cdn_misses() == []
