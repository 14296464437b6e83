"""``govsim ui``: options, one-line errors, and a real start that serves the app."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from govsim.cli import build_parser, main
from govsim.ui.cli import serve_command

REPO = Path(__file__).resolve().parents[2]


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_ui_is_a_registered_command(capsys):
    assert main(["ui", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--open", "--online", "scenario=fragmented"):
        assert option in out
    assert "ui" in build_parser().format_help()


def test_default_address_is_loopback():
    cmd = serve_command("127.0.0.1", 8765)
    assert cmd[1:5] == ["-m", "solara", "run", "govsim.ui.app"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert "--production" in cmd and "--no-open" in cmd


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ui", "scenario=fragmentd"], "did you mean 'fragmented'"),
        (["ui", "opinions.mu=0.2"], "takes only scenario=NAME"),
        (["ui", "--port", "70000"], "between 0 and 65535"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_port_in_use_is_reported(capsys):
    with _listening_socket() as sock:
        port = sock.getsockname()[1]
        assert main(["ui", "--port", str(port)]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["0", "0.0.0.0", "0x0"])
def test_host_0_means_every_address(host):
    from govsim.ui.cli import _check_port

    with _listening_socket() as sock:
        port = sock.getsockname()[1]
    assert _check_port(host, port) == "0.0.0.0"


class _FakeServer:
    """Stands in for the solara process: ``wait`` gets the signal the CLI turned into exit."""

    def __init__(self, *args, **kwargs):
        self.stopped = False

    def wait(self, timeout=None):
        if not self.stopped:
            raise SystemExit(128 + signal.SIGTERM)
        return 0

    def poll(self):
        return 0 if self.stopped else None

    def terminate(self):
        self.stopped = True

    def kill(self):  # pragma: no cover - terminate suffices
        self.stopped = True


def test_sigterm_and_host_0_messages_fit_a_server(monkeypatch, capsys):
    import govsim.ui.cli as ui_cli

    monkeypatch.setattr(ui_cli.subprocess, "Popen", _FakeServer)
    monkeypatch.setattr(ui_cli, "_asset_env", lambda args: {})
    with _listening_socket() as sock:
        port = sock.getsockname()[1]
    assert main(["ui", "--host", "0", "--port", str(port)]) == 128 + signal.SIGTERM
    out, err = capsys.readouterr()
    assert "other machines connect to http://" in out  # the same notice as --host 0.0.0.0
    assert f"serving the classroom app at http://127.0.0.1:{port}/" in out
    assert err.strip() == "govsim ui: stopped (terminated); the app server was shut down"
    assert "no incomplete run" not in err


@pytest.mark.ui
def test_govsim_ui_serves_the_app_and_stops(offline_assets_dir, tmp_path):
    with _listening_socket() as sock:  # a free port (closed again before the app binds it)
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "GOVSIM_SOLARA_PROXY_DIR": str(offline_assets_dir),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    }
    log = tmp_path / "govsim-ui.log"
    with log.open("wb") as out:
        # as the `govsim` console script runs it (`python -m govsim.cli` would run a second
        # copy of govsim.cli as __main__, whose registry the plugins do not fill)
        cmd = [sys.executable, "-c", "import sys; from govsim.cli import main; sys.exit(main())"]
        proc = subprocess.Popen(
            [*cmd, "ui", "--port", str(port), "scenario=silos"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        html = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    html = resp.read().decode("utf-8", "replace")
                    break
            except OSError:
                time.sleep(0.3)
        text = log.read_text(errors="replace")
        assert html, f"govsim ui did not serve (exit {proc.poll()}):\n{text[-2000:]}"
        assert "solara" in html.lower()
        assert re.search(rf"serving the classroom app at http://127\.0\.0\.1:{port}/", text)
        assert "note: no offline asset cache" not in text
        # the page load above made Solara warn about its session cookie, and the server start
        # about Mesa's hooks: both are filtered by their source in govsim/ui/app.py
        assert "Warning" not in text, text[-3000:]
        proc.send_signal(signal.SIGTERM)  # what a service manager does; Ctrl+C is SIGINT
        proc.wait(timeout=20)
        assert "govsim ui: stopped (terminated)" in log.read_text(errors="replace")
        assert "no incomplete run" not in log.read_text(errors="replace")
        time.sleep(0.5)
        with socket.socket() as probe:  # the solara server went down with it
            assert probe.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---------------------------------------------------------------------------- classroom mode


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ui", "--budget", "2"], "--budget: only with --classroom"),
        (["ui", "--round-weeks", "5"], "--round-weeks: only with --classroom"),
        (
            ["ui", "--classroom", "--budget", "2e4"],
            "--budget 20000.0: must be more than 0 and at most",
        ),
        (["ui", "--classroom", "--budget", "0"], "--budget 0.0: must be more than 0"),
        (["ui", "--classroom", "--round-weeks", "0"], "--round-weeks 0: must be a whole number"),
        (["ui", "--classroom", "--round-timeout", "1"], "--round-timeout 1.0: must be 5 s"),
        (["ui", "--classroom", "--seed", "-1"], "--seed -1: must be a whole number, 0 or more"),
        (["ui", "--classroom", "--residents", "5"], "--residents 5: must be a whole number"),
    ],
)
def test_classroom_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_classroom_prints_code_and_links_and_says_it_binds_loopback(monkeypatch, capsys):
    import govsim.ui.cli as ui_cli

    started = {}

    class Server(_FakeServer):
        def __init__(self, cmd, env=None, **kwargs):
            super().__init__()
            started.update(cmd=cmd, env=env)

    monkeypatch.setattr(ui_cli.subprocess, "Popen", Server)
    monkeypatch.setattr(ui_cli, "_asset_env", lambda args: {})
    with _listening_socket() as sock:
        port = sock.getsockname()[1]
    argv = ["ui", "--classroom", "--port", str(port), "--round-weeks", "5", "scenario=silos"]
    assert main(argv) == 128 + signal.SIGTERM
    out = capsys.readouterr().out
    env = started["env"]
    code, token = env["GOVSIM_CLASSROOM_CODE"], env["GOVSIM_CLASSROOM_TEACHER"]
    assert started["cmd"][1:5] == ["-m", "solara", "run", "govsim.ui.classroom.app"]
    assert started["cmd"][started["cmd"].index("--host") + 1] == "127.0.0.1"
    assert env["GOVSIM_CLASSROOM_WEEKS"] == "5" and env["GOVSIM_UI_SCENARIO"] == "silos"
    assert "GOVSIM_CLASSROOM_BUDGET" not in env  # not given: the room's default
    assert f"join code {code[:4]}-{code[4:]}" in out
    assert f"students open http://127.0.0.1:{port}/?code={code}" in out
    assert (
        f"teacher's dashboard (keep this link to yourself): http://127.0.0.1:{port}/?teacher={token}"
        in out
    )
    assert "listening on 127.0.0.1 only: students' devices cannot connect" in out
    assert len(code) == 8 and len(token) >= 32


def test_classroom_on_every_address_says_so(monkeypatch, capsys):
    import govsim.ui.cli as ui_cli

    monkeypatch.setattr(ui_cli.subprocess, "Popen", _FakeServer)
    monkeypatch.setattr(ui_cli, "_asset_env", lambda args: {})
    with _listening_socket() as sock:
        port = sock.getsockname()[1]
    assert main(["ui", "--classroom", "--host", "0.0.0.0", "--port", str(port)]) == 143
    out = capsys.readouterr().out
    assert "listening on 0.0.0.0: other machines can connect" in out
    assert f"students open http://{socket.gethostname()}:{port}/?code=" in out
