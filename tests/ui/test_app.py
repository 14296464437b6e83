"""End-to-end: the classroom app (govsim/ui/app.py) in a real browser, offline.

One server for the module (``solara run govsim.ui.app``), driven with Playwright through the
harness of tests/ui/conftest.py. The charts report what they show in their ARIA label
(``.vega-embed[aria-label]``), set once the chart has drawn the data it describes.
"""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.ui

#: Charts of the main grid, by the first word of their label.
CHARTS = ("Network", "Opinions", "Consensus", "Participation", "Trust", "Needs", "Leadership")


@pytest.fixture(scope="module")
def solara_app() -> str:
    return "govsim.ui.app"


def chart(page, name: str):
    return page.locator(f'.vega-embed[aria-label^="{name}"]')


def expect_chart(page, name: str, pattern: str, timeout_ms: int = 10_000) -> str:
    """Wait until chart ``name`` describes ``pattern`` (a regex); return its label."""
    from playwright.sync_api import expect

    expect(chart(page, name)).to_have_attribute(
        "aria-label", re.compile(pattern), timeout=timeout_ms
    )
    return chart(page, name).get_attribute("aria-label")


def pick_scenario(page, title: str) -> None:
    page.get_by_role("button", name=re.compile("Scenario preset")).click()
    page.get_by_role("option", name=title, exact=True).click()


def set_lever(page, mesa_ui, lever: str, value: float) -> None:
    """Move a lever slider and wait until the server runs the model with it (text panel)."""
    from playwright.sync_api import expect

    mesa_ui.set_slider(page, f"{lever.capitalize()} leadership", value)
    expect(
        page.get_by_text(re.compile(rf"Levers set by hand .*{lever} {value:.2f}"))
    ).to_be_visible()


def step_and_wait_for_charts(page, mesa_ui) -> int:
    step = mesa_ui.click_step(page)
    for name in CHARTS:
        expect_chart(page, name, rf"week {step}\b")
    return step


def test_classroom_session(open_app, mesa_ui, solara_server, ui_artifacts_dir):
    from playwright.sync_api import expect

    started = time.monotonic()
    page = open_app()
    mesa_ui.assert_no_console_errors(page)
    assert mesa_ui.read_step(page) == 0
    for name in CHARTS:
        expect(chart(page, name)).to_be_visible()
    expect(page.get_by_role("heading", name="Weak baseline")).to_be_visible()
    description = page.locator(".scenario-description")
    expect(description).to_have_text(re.compile(r"^Weak leadership: the default community"))

    # Step advances the counter and every chart
    assert step_and_wait_for_charts(page, mesa_ui) == 1
    assert mesa_ui.click_step(page, times=2) == 3

    # Play advances, Pause stops
    mesa_ui.click_play(page)
    assert mesa_ui.wait_for_step_at_least(page, 6) >= 6
    paused_at = mesa_ui.click_pause(page)
    page.wait_for_timeout(400)
    assert mesa_ui.read_step(page) == paused_at

    # Reset goes back to week 0 (same scenario, same seed)
    mesa_ui.click_reset(page)
    assert mesa_ui.read_step(page) == 0
    expect_chart(page, "Leadership", r"week 0\b")

    # A lever moved mid-run acts from the next step: the smart lever and platform adoption
    assert mesa_ui.click_step(page, times=2) == 2
    label = expect_chart(page, "Leadership", r"week 2: .*smart 0\.00; platform adoption 0%")
    assert mesa_ui.read_slider(page, "Smart leadership") == 0
    set_lever(page, mesa_ui, "smart", 1.0)
    expect(page.get_by_text(re.compile(r"Levers set by hand since week 3"))).to_be_visible()
    assert chart(page, "Leadership").get_attribute("aria-label") == label  # week 2 as it was
    step_and_wait_for_charts(page, mesa_ui)
    expect_chart(page, "Leadership", r"week 3: .*smart 1\.00")
    mesa_ui.click_step(page, times=3)
    adoption = expect_chart(page, "Leadership", r"week 6: .*smart 1\.00; platform adoption")
    assert not adoption.endswith("platform adoption 0%"), adoption
    # ...and Reset keeps the teacher's levers (from week 0 now)
    mesa_ui.click_reset(page)
    mesa_ui.click_step(page)
    expect_chart(page, "Leadership", r"week 1: .*smart 1\.00")

    # Picking a preset changes the shown parameters and starts it at week 0
    assert mesa_ui.read_slider(page, "Homophily (block model)") == 0.7
    pick_scenario(page, "Fragmented")
    mesa_ui.wait_for_step(page, 0)
    expect(page.get_by_role("heading", name="Fragmented")).to_be_visible()
    expect(description).to_have_text(re.compile(r"^A fragmented community: two camps"))
    expect(mesa_ui.slider(page, "Homophily (block model)")).to_have_attribute(
        "aria-valuenow", "0.95"
    )
    assert mesa_ui.read_slider(page, "Tolerance ε (all groups)") < 0.2
    assert mesa_ui.read_slider(page, "Smart leadership") == 0  # the preset's levers again
    mesa_ui.click_step(page, times=2)
    expect_chart(page, "Leadership", r"week 2: .*smart 0\.00")

    # the network view's colour selector
    network = expect_chart(page, "Network", "coloured by opinion")
    page.get_by_role("button", name="group", exact=True).click()
    expect_chart(page, "Network", "coloured by group")
    assert "organizations" in network

    mesa_ui.click_step(page, times=3)
    page.wait_for_timeout(300)
    mesa_ui.screenshot(page, ui_artifacts_dir, "classroom-app")
    mesa_ui.assert_no_console_errors(page)
    assert solara_server.cdn_misses() == [], "asset cache incomplete"
    assert time.monotonic() - started < 90


def test_browser_sessions_have_independent_models(open_app, mesa_ui, solara_server):
    first = open_app()
    second = open_app()
    assert mesa_ui.click_step(first, times=2) == 2
    assert mesa_ui.read_step(second) == 0
    set_lever(second, mesa_ui, "organizational", 0.5)
    assert mesa_ui.click_step(second) == 1
    expect_chart(second, "Leadership", r"week 1: .*organizational 0\.50")
    assert mesa_ui.read_step(first) == 2
    assert mesa_ui.read_slider(first, "Organizational leadership") == 0
    pick_scenario(first, "Silos")
    mesa_ui.wait_for_step(first, 0)
    assert mesa_ui.read_step(second) == 1
    expect_chart(second, "Leadership", r"week 1: .*organizational 0\.50")
    for page in (first, second):
        mesa_ui.assert_no_console_errors(page)
    assert solara_server.cdn_misses() == []
