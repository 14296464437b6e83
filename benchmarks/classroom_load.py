"""Load test of classroom mode: N team sessions in real browser pages on one server (127.0.0.1).

Starts ``solara run govsim.ui.classroom.app`` (offline asset cache, like ``govsim ui
--classroom``), opens the teacher's dashboard and ``--teams`` student pages (one headless
Chromium, one browser context per team: separate cookies, so separate Solara sessions), joins
every team through the join page, and plays ``--rounds`` rounds. In each round every team moves
one lever slider and submits; the last submission runs the round on the server. Figures:

* ``join``: from clicking Join to the team's page (per team);
* ``compute``: the server's time to run every team's community and the weak baseline for the
  round (the line ``govsim classroom: round N ... in X s`` of the server's output);
* ``status`` and ``redraw``: from the last team's Submit click until a team page's status line
  shows the next round (the server has run the round and re-rendered that session), and until
  it shows the round's summary and all five of its charts labelled with the round's last week
  (per team: median, 90th percentile, max); the same for the teacher's dashboard. The pages
  time themselves (a 50 ms timer in each page; the driver reads the marks once a second, so
  that polling does not load the machine being measured);
* the server's resident memory after the last round.

Prints the figures; no timed assertion (docs/performance.md and GUIDE: targets are read from
figures). Usage::

    python benchmarks/classroom_load.py                   # 30 teams, 2 rounds of 10 weeks
    python benchmarks/classroom_load.py --teams 5 --rounds 1 --residents 500
"""

from __future__ import annotations

import argparse
import os
import re
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

CODE = "PQRSTUVW"  # fixed for the benchmark: the server is on 127.0.0.1 and stops at the end
TEACHER = "load-test-teacher-token-0123456789"
CHROMIUM = os.environ.get("GOVSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
                 "--disable-backgrounding-occluded-windows"]  # fmt: skip
LEVER_LABELS = ("Ideological", "Political", "Organizational", "Smart")
TEAM_CHARTS = ("Participation", "Consensus", "Trust", "Needs", "Leadership")
TEACHER_CHARTS = ("Participation", "Consensus", "Trust", "Needs")
WATCH_JS = """([prefixes, week, heading, status]) => {
  // in the page, every 50 ms: note (Date.now) when the status line moved on, and when the
  // summary and every chart show the round's last week; read back by the driver afterwards
  window.__statusAt = null;
  window.__drawnAt = null;
  const timer = setInterval(() => {
    const s = document.querySelector('.room-status');
    if (window.__statusAt === null && s && s.innerText.startsWith(status)) {
      window.__statusAt = Date.now();
    }
    const labels = Array.from(document.querySelectorAll('.vega-embed'))
        .map(e => e.getAttribute('aria-label') || '');
    const drawn = prefixes.every(p => labels.some(l => l.startsWith(p + ', week ' + week + ':')));
    if (drawn && (heading === '' || document.body.innerText.includes(heading))) {
      window.__drawnAt = Date.now();
      clearInterval(timer);
    }
  }, 50);
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args: argparse.Namespace, port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        **solara_env(ensure_offline_assets(), block_cdn=True),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        "PYTHONUNBUFFERED": "1",
        "GOVSIM_CLASSROOM_CODE": CODE,
        "GOVSIM_CLASSROOM_TEACHER": TEACHER,
        "GOVSIM_CLASSROOM_WEEKS": str(args.weeks),
        "GOVSIM_UI_SCENARIO": args.scenario,
    }
    if args.residents:
        env["GOVSIM_CLASSROOM_RESIDENTS"] = str(args.residents)
    cmd = [sys.executable, "-m", "solara", "run", "govsim.ui.classroom.app", "--host",
           "127.0.0.1", "--port", str(port), "--production", "--no-open"]  # fmt: skip
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return proc
        except OSError:
            time.sleep(0.3)
    raise SystemExit("server not ready within 90 s")


def stop_server(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


def rss_mb(pid: int) -> float:
    """Resident memory of the server (the solara process)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def collect(pages: list, t0: float, timeout_s: float) -> tuple[list[float], list[float]]:
    """Seconds from ``t0`` (wall clock) to each page's status update and full redraw."""
    deadline = time.monotonic() + timeout_s
    while True:
        marks = [page.evaluate("() => [window.__statusAt, window.__drawnAt]") for page in pages]
        if all(m[1] is not None for m in marks):
            return [m[0] / 1000 - t0 for m in marks], [m[1] / 1000 - t0 for m in marks]
        if time.monotonic() > deadline:
            missing = sum(m[1] is None for m in marks)
            raise SystemExit(f"{missing} pages not redrawn within {timeout_s:.0f} s")
        time.sleep(1.0)  # rare checks: the driver must not load the machine it measures


def fmt(xs: list[float]) -> str:
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, round(0.9 * (len(xs) - 1)))]
    return f"median {statistics.median(xs):.2f} s, p90 {p90:.2f} s, max {xs[-1]:.2f} s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--teams", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--weeks", type=int, default=10)
    ap.add_argument("--residents", type=int, default=None, help="default: the scenario's")
    ap.add_argument("--scenario", default="weak_baseline")
    ap.add_argument("--log", type=Path, default=Path("/tmp/govsim-classroom-load.log"))
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    port = free_port()
    proc = start_server(args, port, args.log)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            teacher = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            teacher.set_default_timeout(60_000)
            teacher.goto(f"{url}/?teacher={TEACHER}")
            teacher.get_by_text("join code").first.wait_for()
            pages, joins = [], []
            for i in range(args.teams):
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.set_default_timeout(60_000)
                page.goto(f"{url}/?code={CODE}")
                page.get_by_label("Team name").fill(f"Team {i + 1:02d}")
                t0 = time.perf_counter()
                page.get_by_role("button", name="Join").click()
                page.get_by_role("heading", name=f"Team Team {i + 1:02d}").wait_for()
                joins.append(time.perf_counter() - t0)
                pages.append(page)
            print(f"{args.teams} teams joined; join: {fmt(joins)}")
            server_lines = 0
            for rnd in range(1, args.rounds + 1):
                for i, page in enumerate(pages):  # one lever each, 0.05 .. 1.0
                    thumb = page.get_by_role("slider", name=f"{LEVER_LABELS[i % 4]} leadership")
                    thumb.focus()
                    for _ in range(1 + (i + rnd) % 20):
                        thumb.press("ArrowRight")
                    button = page.get_by_role("button", name=f"Submit round {rnd}")
                    if i < len(pages) - 1:
                        button.click()
                        page.locator(".submitted-note").wait_for()
                week = rnd * args.weeks
                status = f"Round {rnd + 1}:"
                for page in pages:
                    page.evaluate(
                        WATCH_JS, [list(TEAM_CHARTS), week, f"What happened in round {rnd}", status]
                    )
                teacher.evaluate(WATCH_JS, [list(TEACHER_CHARTS), week, "", status])
                t0 = time.time()
                button.click()  # the last team: the round runs now
                team_status, team_s = collect(pages, t0, 900)
                (teacher_status,), (teacher_s,) = collect([teacher], t0, 300)
                lines = [ln for ln in args.log.read_text().splitlines()
                         if ln.startswith("govsim classroom: round")]  # fmt: skip
                compute = lines[server_lines:] if len(lines) > server_lines else ["(no line)"]
                server_lines = len(lines)
                m = re.search(r"in ([\d.]+) s \(slowest team ([\d.]+) s\)", compute[-1])
                print(f"round {rnd} (weeks {week - args.weeks + 1}-{week}):")
                if m:
                    per_week = float(m.group(1)) / ((args.teams + 1) * args.weeks) * 1000
                    print(f"  compute on the server: {m.group(1)} s for {args.teams} teams + "
                          f"baseline x {args.weeks} weeks ({per_week:.1f} ms per community-week; "
                          f"slowest team {m.group(2)} s)")  # fmt: skip
                print(
                    f"  last submit -> team page's status shows round {rnd + 1}: {fmt(team_status)}"
                )
                print(f"  last submit -> team page redrawn (summary + 5 charts): {fmt(team_s)}")
                print(
                    f"  last submit -> teacher's dashboard: status {teacher_status:.2f} s, "
                    f"4 charts redrawn {teacher_s:.2f} s"
                )
            print(f"server resident memory after the last round: {rss_mb(proc.pid):.0f} MB")
            browser.close()
    finally:
        stop_server(proc)
    print(f"load average at end: {os.getloadavg()[0]:.2f}; server log: {args.log}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
