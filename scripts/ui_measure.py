"""Measure the classroom app's step + redraw time in a real browser, and take its screenshot.

Starts ``solara run govsim.ui.app`` (offline asset cache), opens it in headless Chromium
(``/usr/bin/chromium``, see docs/ui-testing.md) and, for each population size asked for, clicks
Step repeatedly, timing in the page from the click to

* ``step``: the step counter showing the new week (server step + render + transfer), and
* ``redraw``: every chart labelled with the new week (each chart sets its label once it has
  drawn the new data).

Usage::

    python scripts/ui_measure.py                          # 1,000 and 2,000 residents
    python scripts/ui_measure.py --residents 1000 --steps 30
    python scripts/ui_measure.py --screenshot docs/img/app.png --scenario fragmented --weeks 40
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from govsim.ui.assets import ensure_offline_assets, solara_env  # noqa: E402

CHARTS = 7
STEP_JS = """async ([n, CHARTS]) => {
  const button = Array.from(document.querySelectorAll('button'))
      .find(b => b.textContent.trim() === 'Step');
  const counter = () => Array.from(document.querySelectorAll('span'))
      .find(s => /^\\s*Step: \\d+\\s*$/.test(s.textContent));
  const week = new RegExp('week ' + n + '\\\\b');
  const t0 = performance.now();
  button.click();
  let step = null;
  while (performance.now() - t0 < 10000) {
    await new Promise(r => setTimeout(r, 2));
    const c = counter();
    if (step === null && c && c.textContent.trim() === 'Step: ' + n) step = performance.now() - t0;
    const labels = Array.from(document.querySelectorAll('.vega-embed'))
        .map(e => e.getAttribute('aria-label') || '');
    if (step !== null && labels.length === CHARTS && labels.every(l => week.test(l))) {
      return [step, performance.now() - t0];
    }
  }
  return [step, null];
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        **solara_env(ensure_offline_assets(), block_cdn=True),
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-m", "solara", "run", "govsim.ui.app", "--host", "127.0.0.1",
           "--port", str(port), "--production", "--no-open"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return proc
        except OSError:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit(f"server did not start; see {log}")


def read_step(page) -> int:
    import re

    text = page.get_by_text(re.compile(r"^\s*Step: \d+\s*$")).inner_text()
    return int(text.split()[-1])


def set_slider(page, label: str, value: float) -> None:
    thumb = page.get_by_role("slider", name=label, exact=True)
    thumb.focus()
    for _ in range(500):
        now = float(thumb.get_attribute("aria-valuenow"))
        if abs(now - value) < 1e-9:
            return
        thumb.press("ArrowRight" if now < value else "ArrowLeft")
    raise SystemExit(f"slider {label!r} did not reach {value}")


def reset(page) -> None:
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_timeout(1500)


def pick_scenario(page, name: str) -> None:
    from govsim.ui.text import scenario_title

    page.get_by_role("button", name=__import__("re").compile("Scenario preset")).click()
    page.get_by_role("option", name=scenario_title(name), exact=True).click()
    page.wait_for_timeout(2000)


def measure(page, residents: int, steps: int) -> dict[str, list[float]]:
    set_slider(page, "Residents", residents)
    page.wait_for_timeout(300)
    reset(page)
    for _ in range(3):  # warm up (first steps compile the engine's kernels)
        page.evaluate(STEP_JS, [read_step(page) + 1, CHARTS])
    out: dict[str, list[float]] = {"step": [], "redraw": []}
    for _ in range(steps):
        t_step, t_redraw = page.evaluate(STEP_JS, [read_step(page) + 1, CHARTS])
        out["step"].append(t_step)
        out["redraw"].append(t_redraw if t_redraw is not None else float("inf"))
        page.wait_for_timeout(100)
    return out


def summary(values: list[float]) -> str:
    v = sorted(values)
    p95 = v[min(len(v) - 1, round(0.95 * (len(v) - 1)))]
    return f"median {statistics.median(v):5.0f} ms  p95 {p95:5.0f} ms  max {v[-1]:5.0f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--residents", type=int, nargs="*", default=[1000, 2000])
    ap.add_argument("--steps", type=int, default=20, help="measured steps per size")
    ap.add_argument("--screenshot", type=Path, help="save a screenshot of the app here")
    ap.add_argument("--scenario", default="integrated", help="scenario of the screenshot")
    ap.add_argument("--weeks", type=int, default=30, help="weeks run before the screenshot")
    ap.add_argument("--color-by", default="group", help="network colouring in the screenshot")
    ap.add_argument("--size", default="1440x1000", help="browser viewport WxH")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    width, height = (int(x) for x in args.size.split("x"))
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "govsim-ui-measure.log"
    t0 = time.monotonic()
    server = start_server(port, log)
    print(f"server ready in {time.monotonic() - t0:.1f} s (log: {log})")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=os.environ.get("GOVSIM_CHROMIUM", "/usr/bin/chromium"),
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": width, "height": height})
            t0 = time.monotonic()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("button", name="Step", exact=True).wait_for(timeout=60_000)
            page.wait_for_load_state("networkidle")
            print(f"page loaded in {time.monotonic() - t0:.1f} s")
            for n in args.residents:
                result = measure(page, n, args.steps)
                print(f"{n:6d} residents  step shown:  {summary(result['step'])}")
                print(f"{'':17s}all charts:  {summary(result['redraw'])}")
            if args.screenshot:
                pick_scenario(page, args.scenario)
                page.get_by_role("button", name=args.color_by, exact=True).click()
                for _ in range(args.weeks):
                    page.evaluate(STEP_JS, [read_step(page) + 1, CHARTS])
                page.wait_for_timeout(800)
                args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.screenshot))
                print(f"screenshot: {args.screenshot}")
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
