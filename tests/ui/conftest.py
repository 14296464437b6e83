"""End-to-end browser test harness for the Mesa SolaraViz UI (offline).

Fixtures
--------
``solara_app``      (module)  what to serve: a module name (``"govsim.ui.app"``) or a
                              path; a test module overrides it with its own fixture.
``solara_server``   (module)  a ``solara run`` subprocess on 127.0.0.1 at a free port,
                              using the offline asset cache; ``.url``, ``.log_path``,
                              ``.cdn_misses()``.  Always terminated.
``browser``         (session) Playwright Chromium from Debian (``/usr/bin/chromium``).
``open_app``        (function) ``open_app(path="/") -> Page``: a *new browser context*
                              (= a new Solara session, so a new model) with console
                              error collection, external requests blocked, and the
                              page loaded until Mesa's controls are there.
``ui_artifacts_dir`` (session) where screenshots and server logs go
                              (``tests/ui/_artifacts``, git-ignored; or $GOVSIM_UI_ARTIFACTS).

Helpers for Mesa 3.3.1 SolaraViz controls, defined below and handed to tests as
the ``mesa_ui`` fixture (a conftest is not meant to be imported; ``tests`` is no
package): ``click_step``, ``read_step``, ``wait_for_step``, ``click_reset``,
``click_play``, ``click_pause``, ``wait_for_step_at_least``, ``is_playing``,
``slider``, ``read_slider``, ``set_slider``, ``console_errors``,
``assert_no_console_errors``, ``screenshot``.

Missing chromium / playwright / solara: the tests skip, except under ``CI=true``
where they fail, so a CI machine that lost its browser cannot go green by skipping.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if importlib.util.find_spec("govsim") is None:  # plain `pytest` without an install
    sys.path.insert(0, str(REPO_ROOT))

from govsim.ui.assets import AssetsError, ensure_offline_assets, solara_env  # noqa: E402

if TYPE_CHECKING:  # playwright is optional: never import it at module level
    from playwright.sync_api import Browser, Locator, Page

UI_TEST_DIR = Path(__file__).resolve().parent

CHROMIUM = os.environ.get("GOVSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 60.0
PAGE_LOAD_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 10_000
# After Step/Reset the helpers wait this long, a bit more than the 100 ms that
# solara debounces an altair chart redraw by, so charts are drawn (screenshots)
# and a following action does not hit the race in KNOWN_BROWSER_ERRORS.
SETTLE_MS = 150

# Solara statically checks the hooks of every @solara.component when it is
# defined and warns (UserWarning) about Mesa 3.3.1's own ComponentsView
# ("`use_state` found despite early return").  That fires when
# mesa.visualization is imported *in the test process*; it is Mesa's code, not
# ours.  Added to every test in tests/ui as a filterwarnings mark, which, unlike
# the ini option, also beats a command-line ``-W error``.
MESA_HOOK_WARNING_FILTER = (
    r"ignore:(?s).*mesa[/\\]visualization[/\\].*:UserWarning:solara\.validate_hooks"
)


# --------------------------------------------------------------------------- #
# availability: skip locally, fail under CI
# --------------------------------------------------------------------------- #
def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


SKIP_PREFIX = "browser tests skipped"


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"UI test prerequisites missing under CI: {reason}", pytrace=False)
    pytest.skip(
        f"{SKIP_PREFIX}: {reason} (CI installs and runs them; here: "
        "bash scripts/setup_ui_test_env.sh)"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Report every browser test skipped for a missing prerequisite at one place, so that
    ``-ra`` folds them into ONE line saying why, instead of one line per test."""
    outcome = yield
    report = outcome.get_result()
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and SKIP_PREFIX in str(longrepr[2]):
        report.longrepr = (__file__, _unavailable.__code__.co_firstlineno, longrepr[2])


def _missing_prerequisites() -> list[str]:
    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"chromium not found at {CHROMIUM}")
    for module in ("playwright", "solara", "ipyvuetify", "altair", "mesa"):
        if importlib.util.find_spec(module) is None:
            missing.append(f"python package {module!r} not installed")
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if UI_TEST_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.filterwarnings(MESA_HOOK_WARNING_FILTER))


# --------------------------------------------------------------------------- #
# artifacts, assets, server
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="session")
def ui_artifacts_dir() -> Path:
    """Screenshots and server logs; ``tests/ui/_artifacts`` (git-ignored) by default."""
    path = Path(os.environ.get("GOVSIM_UI_ARTIFACTS") or UI_TEST_DIR / "_artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def ui_prerequisites() -> None:
    missing = _missing_prerequisites()
    if missing:
        _unavailable("; ".join(missing))


@pytest.fixture(scope="session")
def offline_assets_dir(ui_prerequisites: None) -> Path:
    """Solara's CDN proxy cache, filled from the npm registry if needed."""
    try:
        return ensure_offline_assets()
    except AssetsError as exc:
        _unavailable(str(exc))
        raise  # unreachable


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SolaraServer:
    """A ``solara run`` subprocess; use :meth:`start` / :meth:`stop` or the fixture."""

    def __init__(self, app: str, assets_dir: Path, log_path: Path) -> None:
        self.app = app
        self.assets_dir = assets_dir
        self.log_path = log_path
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def cdn_misses(self) -> list[str]:
        """Lines where the server had to go to the (blocked) CDN: an incomplete cache."""
        return [ln for ln in self.log_text().splitlines() if "Could not load URL" in ln]

    def _tail(self, n: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def start(self, timeout: float = SERVER_START_TIMEOUT_S) -> None:
        env = {
            **os.environ,
            **solara_env(self.assets_dir, block_cdn=True),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        deadline = time.monotonic() + timeout
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = _free_port()
            cmd = [
                sys.executable, "-m", "solara", "run", self.app,
                "--host", "127.0.0.1", "--port", str(self.port),
                "--production", "--no-open",
            ]  # fmt: skip
            with open(self.log_path, "wb") as log:
                log.write(("$ " + " ".join(cmd) + "\n").encode())
                log.flush()
                self.proc = subprocess.Popen(
                    cmd,
                    cwd=REPO_ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # own process group: stop() ends all of it
                )
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(self.url + "/", timeout=5) as resp:
                        if resp.status == 200:
                            return
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                time.sleep(0.2)
            else:
                self.stop()
                raise RuntimeError(
                    f"solara server for {self.app} not ready within {timeout:.0f} s; "
                    f"log {self.log_path}:\n{self._tail()}"
                )
            if "address already in use" not in self.log_text().lower():
                break
        code = self.proc.returncode if self.proc else None
        self.stop()
        raise RuntimeError(
            f"solara server for {self.app} exited with code {code}; "
            f"log {self.log_path}:\n{self._tail()}"
        )

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)  # the group this fixture started
            try:
                proc.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture(scope="module")
def solara_app() -> str:
    """Override in a test module: ``return "govsim.ui.app"`` (module or file path)."""
    pytest.fail("define a module-level `solara_app` fixture returning the app to serve")


@pytest.fixture(scope="module")
def solara_server(
    solara_app: str, offline_assets_dir: Path, ui_artifacts_dir: Path
) -> Iterator[SolaraServer]:
    name = re.sub(r"[^\w.-]+", "_", solara_app)
    server = SolaraServer(solara_app, offline_assets_dir, ui_artifacts_dir / f"server-{name}.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- #
# browser
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="session")
def browser(ui_prerequisites: None) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# Browser errors that are known, understood and harmless; every entry says why.
# Keep this list short: an entry hides that error in every UI test.
KNOWN_BROWSER_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"^pageerror: Cannot read properties of undefined \(reading 'usermeta'\)\n"
            r"(?s:.*)vega-embed(?s:.*)VUE_TEMPLATE_SCRIPT"
        ),
        # solara/widgets/vue/vegalite.vue (solara 1.64) draws an altair chart from a
        # 100 ms debounced callback that is not cancelled when the widget is
        # destroyed.  When Mesa replaces the chart within that window (Reset, or a
        # new model right after a Step) the callback runs with
        # this.$refs.plotElement === undefined, so vegaEmbed(undefined, spec) takes
        # its "container" overload and reads spec-as-options.usermeta.  The new
        # chart is drawn correctly; only the dead widget's callback throws.
        # Reproduced by Step+Reset with no pause between them (~1 in 2 tries).
        "solara vegalite.vue: debounced redraw of an already destroyed altair chart",
    ),
]

# id(page) -> messages; filled by the listeners that open_app attaches
_CONSOLE_ERRORS: dict[int, list[str]] = {}


def is_known_browser_error(message: str) -> bool:
    return any(pattern.search(message) for pattern, _why in KNOWN_BROWSER_ERRORS)


def console_errors(page: Page, *, include_known: bool = False) -> list[str]:
    """Console ``error`` messages, uncaught page errors (with stack), failed or
    4xx/5xx requests and blocked external requests seen by ``page`` so far;
    without the :data:`KNOWN_BROWSER_ERRORS` unless ``include_known``."""
    errors = _CONSOLE_ERRORS.setdefault(id(page), [])
    return list(errors) if include_known else [e for e in errors if not is_known_browser_error(e)]


def assert_no_console_errors(page: Page) -> None:
    errors = console_errors(page)
    assert not errors, "browser reported errors:\n" + "\n".join(errors)


def _watch(page: Page, local_prefix: str) -> None:
    errors = _CONSOLE_ERRORS.setdefault(id(page), [])

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            errors.append(f"console.error: {msg.text} ({loc.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}\n{exc.stack}"))
    page.on(
        "requestfailed",
        lambda req: errors.append(f"request failed: {req.url} ({req.failure})"),
    )
    page.on(
        "response",
        lambda resp: (
            errors.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 400 else None
        ),
    )

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(local_prefix) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            errors.append(f"blocked external request: {url}")
            route.abort("blockedbyclient")

    page.context.route("**/*", route)


@pytest.fixture
def open_app(browser: Browser, solara_server: SolaraServer) -> Iterator[Any]:
    """``open_app(path="/") -> Page`` in a fresh browser context (fresh Solara session)."""
    contexts = []

    def _open(path: str = "/", *, wait_for_controls: bool = True) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        _watch(page, solara_server.url + "/")
        page.goto(solara_server.url + path, timeout=PAGE_LOAD_TIMEOUT_MS)
        if wait_for_controls:
            step_button(page).wait_for(state="visible", timeout=PAGE_LOAD_TIMEOUT_MS)
            # lazily loaded front-end modules (vega, katex, mermaid, grid layout)
            page.wait_for_load_state("networkidle", timeout=PAGE_LOAD_TIMEOUT_MS)
        return page

    try:
        yield _open
    finally:
        for context in contexts:
            for page in context.pages:
                _CONSOLE_ERRORS.pop(id(page), None)
            with contextlib.suppress(Exception):
                context.close()


def screenshot(page: Page, directory: Path, name: str) -> Path:
    safe = re.sub(r"[^\w.-]+", "_", name)
    path = directory / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --------------------------------------------------------------------------- #
# Mesa 3.3.1 SolaraViz selectors and actions
# --------------------------------------------------------------------------- #
# Layout (mesa/visualization/solara_viz.py): sidebar cards "Controls" (sliders
# "Play Interval (ms)", "Render Interval (steps)", checkbox "Use Threads", then
# buttons "Reset", "▶"/"❚❚", "Step"), "Model Parameters" (one widget per user
# param, labelled with its "label"), "Information" (text "Step: N" =
# model.steps).  Components are in a tab "Page 0" of a draggable grid.
# Vuetify 2 renders buttons as <button class="v-btn"><span>Label</span>; the CSS
# upper-cases the text on screen, but the accessible name keeps the case.
_STEP_TEXT = re.compile(r"^\s*Step: (-?\d+)\s*$")
PLAY_LABEL = "▶"
PAUSE_LABEL = "❚❚"


def card(page: Page, title: str) -> Locator:
    """A sidebar ``solara.Card`` by its title ("Controls", "Model Parameters", ...)."""
    return page.locator(".v-card").filter(
        has=page.locator(".v-card__title", has_text=re.compile(rf"^\s*{re.escape(title)}\s*$"))
    )


def step_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Step", exact=True)


def reset_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Reset", exact=True)


def play_pause_button(page: Page) -> Locator:
    return page.get_by_role("button", name=re.compile(rf"^\s*({PLAY_LABEL}|{PAUSE_LABEL})\s*$"))


def step_display(page: Page) -> Locator:
    """The "Step: N" text in the Information card."""
    return card(page, "Information").get_by_text(_STEP_TEXT)


def read_step(page: Page) -> int:
    text = step_display(page).inner_text()
    match = _STEP_TEXT.match(text)
    assert match, f"unexpected step display {text!r}"
    return int(match.group(1))


def wait_for_step(page: Page, step: int, timeout_ms: int = ACTION_TIMEOUT_MS) -> None:
    from playwright.sync_api import expect

    expect(step_display(page)).to_have_text(
        re.compile(rf"^\s*Step: {step}\s*$"), timeout=timeout_ms
    )


def click_step(page: Page, times: int = 1) -> int:
    """Click Step ``times`` times, each time waiting for the display to change.

    One click advances the model by the "Render Interval (steps)" slider (1 by
    default).  Returns the step shown afterwards.
    """
    from playwright.sync_api import expect

    for _ in range(times):
        before = step_display(page).inner_text()
        step_button(page).click()
        expect(step_display(page)).not_to_have_text(before)
        page.wait_for_timeout(SETTLE_MS)
    return read_step(page)


def click_reset(page: Page) -> None:
    """Click Reset (re-creates the model from the current Model Parameters)."""
    reset_button(page).click()
    wait_for_step(page, 0)
    page.wait_for_timeout(SETTLE_MS)


def is_playing(page: Page) -> bool:
    return play_pause_button(page).inner_text().strip() == PAUSE_LABEL


def click_play(page: Page) -> None:
    from playwright.sync_api import expect

    assert not is_playing(page), "already playing"
    play_pause_button(page).click()
    expect(play_pause_button(page)).to_have_text(PAUSE_LABEL)


def click_pause(page: Page, settle_ms: int = 400) -> int:
    """Click Pause; return the step once the display has stopped changing.

    Mesa's play loop may finish the step it was sleeping before, so the display
    can advance once more after the button turned back to "▶".
    """
    from playwright.sync_api import expect

    assert is_playing(page), "not playing"
    play_pause_button(page).click()
    expect(play_pause_button(page)).to_have_text(PLAY_LABEL)
    last = read_step(page)
    for _ in range(20):
        page.wait_for_timeout(settle_ms)
        now = read_step(page)
        if now == last:
            return now
        last = now
    raise AssertionError("model kept stepping after pause")


def wait_for_step_at_least(page: Page, step: int, timeout_ms: int = ACTION_TIMEOUT_MS) -> int:
    """Wait (e.g. while playing) until the display shows ``step`` or more; return it."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        now = read_step(page)
        if now >= step:
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"step stayed at {now}, expected >= {step}")
        page.wait_for_timeout(50)


def slider(page: Page, label: str) -> Locator:
    """A ``solara.SliderInt/SliderFloat`` by its label: the ``role=slider`` thumb."""
    return page.get_by_role("slider", name=label, exact=True)


def read_slider(page: Page, label: str) -> float:
    value = slider(page, label).get_attribute("aria-valuenow")
    assert value is not None, f"slider {label!r} has no aria-valuenow"
    return float(value)


def set_slider(page: Page, label: str, value: float, max_presses: int = 500) -> None:
    """Move a slider with the keyboard (one step per arrow key) until it shows ``value``.

    ``value`` must lie on the slider's grid (``min + k * step``).  The value
    reaches the server like a drag does; a Mesa model parameter takes effect on
    the next Reset (Mesa re-creates the model from the parameters then).
    """
    thumb = slider(page, label)
    thumb.focus()
    start = read_slider(page, label)
    for _ in range(max_presses):
        now = read_slider(page, label)
        if abs(now - value) < 1e-9:
            return
        if (now - value) * (start - value) < 0:
            raise AssertionError(f"slider {label!r} stepped over {value} (at {now}): off its grid")
        thumb.press("ArrowRight" if now < value else "ArrowLeft")
    raise AssertionError(f"slider {label!r} did not reach {value} (at {read_slider(page, label)})")


@pytest.fixture
def mesa_ui() -> types.SimpleNamespace:
    """The helpers above as one object, for test modules (conftest is not importable)."""
    return types.SimpleNamespace(
        card=card,
        step_button=step_button,
        reset_button=reset_button,
        play_pause_button=play_pause_button,
        step_display=step_display,
        read_step=read_step,
        wait_for_step=wait_for_step,
        click_step=click_step,
        click_reset=click_reset,
        is_playing=is_playing,
        click_play=click_play,
        click_pause=click_pause,
        wait_for_step_at_least=wait_for_step_at_least,
        slider=slider,
        read_slider=read_slider,
        set_slider=set_slider,
        console_errors=console_errors,
        assert_no_console_errors=assert_no_console_errors,
        screenshot=screenshot,
    )
