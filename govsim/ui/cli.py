"""``govsim ui``: serve the classroom app (Mesa SolaraViz, via ``solara run``).

Loaded by ``govsim.cli`` as a plugin (``PLUGINS``); registers the ``ui`` command.

Front-end assets: Solara's page loads its JavaScript from a CDN. ``govsim ui`` first fills the
offline asset cache (:mod:`govsim.ui.assets`; needs npm once, then nothing) and points the
server at it, so the app also works without internet; when that is not possible it says so
and leaves Solara on its CDN (needs internet in the browser's machine).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from govsim.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, command, say
from govsim.config import ConfigError

__all__ = ["serve_command", "ui"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = "govsim.ui.app"
CLASSROOM_APP = "govsim.ui.classroom.app"


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default: %(default)s, this machine only; "
        "0.0.0.0 lets other machines in the classroom connect)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on (default: %(default)s)"
    )
    parser.add_argument("--open", action="store_true", help="open the app in a web browser")
    parser.add_argument(
        "--online",
        action="store_true",
        help="do not use the offline asset cache: the browser loads Solara's front-end "
        "from its CDN (needs internet)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    room = parser.add_argument_group(
        "classroom mode (--classroom): teams lead their own copy of one community, round by round"
    )
    room.add_argument(
        "--classroom",
        action="store_true",
        help="start a classroom room: prints a join code and the links for students and for "
        "the teacher's dashboard (docs/ui.md, 'Classroom mode')",
    )
    room.add_argument(
        "--round-weeks",
        type=int,
        default=None,
        metavar="N",
        help="weeks per round (1-200; default 10; the teacher can change it between rounds)",
    )
    room.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="X",
        help="leadership budget per round, in the lever cost model's unit (sim.costs): "
        "staff-hours a week per 1,000 residents (default 20: one lever at full effort)",
    )
    room.add_argument(
        "--round-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="an open round runs by itself after this many seconds (default: only when every "
        "team has submitted or the teacher advances)",
    )
    room.add_argument(
        "--seed", type=int, default=None, help="the seed of every team's community (default 0)"
    )
    room.add_argument(
        "--residents",
        type=int,
        default=None,
        metavar="N",
        help="residents per community (default: the scenario's)",
    )


def _scenario(overrides: list[str]) -> str | None:
    """The ``scenario=NAME`` override (the only one ``govsim ui`` takes), validated."""
    from govsim.config import get_scenario

    name = None
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key.strip() != "scenario":
            raise ConfigError(
                f"{item!r}: govsim ui takes only scenario=NAME (the scenario a new browser "
                "session starts with); set other parameters in the app"
            )
        name = value.strip()
    if name is not None:
        get_scenario(name)  # one-line error with a suggestion for an unknown name
    return name


def _check_port(host: str, port: int) -> str:
    """Check that ``host:port`` can be listened on; returns the host as the server gets it.

    A host that means "every address" (``0``, ``0.0.0.0``, ``::``, ``0x0``, ...) comes back as
    ``0.0.0.0`` or ``::``, so that it is reported like ``--host 0.0.0.0``.
    """
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port}: must be between 0 and 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"--host {host!r}: cannot resolve it ({why})") from None
    family, _, _, _, address = infos[0]
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(address[0]).is_unspecified:
            host = "::" if family == socket.AF_INET6 else "0.0.0.0"
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port} ({exc.strerror}); is the app already running? "
                "choose another with --port"
            ) from None
    return host


def _asset_env(args: argparse.Namespace) -> dict[str, str]:
    """Environment that points solara at the offline asset cache (empty: use the CDN)."""
    if args.online:
        return {}
    from .assets import AssetsError, ensure_offline_assets, solara_env

    try:
        return solara_env(ensure_offline_assets())
    except AssetsError as exc:
        print(
            f"govsim ui: note: no offline asset cache ({exc}); the browser will load Solara's "
            "front-end from its CDN, which needs internet",
            file=sys.stderr,
        )
        return {}


#: Classroom options -> (environment variable read by the classroom app, its name on the CLI).
ROOM_OPTIONS = {
    "round_weeks": ("GOVSIM_CLASSROOM_WEEKS", "--round-weeks"),
    "budget": ("GOVSIM_CLASSROOM_BUDGET", "--budget"),
    "round_timeout": ("GOVSIM_CLASSROOM_TIMEOUT", "--round-timeout"),
    "seed": ("GOVSIM_CLASSROOM_SEED", "--seed"),
    "residents": ("GOVSIM_CLASSROOM_RESIDENTS", "--residents"),
}


def _room_env(args: argparse.Namespace, scenario: str | None) -> dict[str, str]:
    """Check the classroom options and return the environment of the classroom server.

    Creates the room's secrets here (join code, teacher token), so that the CLI can print the
    links; the server builds the room from them at start.
    """
    given = [flag for key, (_env, flag) in ROOM_OPTIONS.items() if getattr(args, key) is not None]
    if not args.classroom:
        if given:
            raise ConfigError(f"{given[0]}: only with --classroom (it sets up a classroom room)")
        return {}
    from .classroom import room as rooms

    checks = {
        "round_weeks": rooms.check_round_weeks,
        "budget": rooms.check_budget,
        "round_timeout": rooms.check_timeout,
        "seed": rooms.check_seed,
        "residents": rooms.check_residents,
    }
    for key, check in checks.items():  # the room's own checks, before starting a server
        value = getattr(args, key)
        if value is not None:
            try:
                check(value)
            except rooms.RoomError as exc:
                reason = str(exc).split(": ", 1)[-1]
                raise ConfigError(f"{ROOM_OPTIONS[key][1]} {value}: {reason}") from None
    import secrets

    env = {
        "GOVSIM_CLASSROOM_CODE": rooms.new_join_code(),
        "GOVSIM_CLASSROOM_TEACHER": secrets.token_urlsafe(24),
    }
    for key, (name, _flag) in ROOM_OPTIONS.items():
        if getattr(args, key) is not None:
            env[name] = str(getattr(args, key))
    return env


def serve_command(host: str, port: int, *, open_browser: bool = False, app: str = APP) -> list[str]:
    """The ``solara run`` command line that serves the app (or ``app``)."""
    return [
        sys.executable, "-m", "solara", "run", app,
        "--host", host, "--port", str(port), "--production",
        "--open" if open_browser else "--no-open",
    ]  # fmt: skip


def _announce_room(args: argparse.Namespace, url: str, student_url: str, room: dict) -> None:
    """Print the join code, the students' link, the teacher's link and who can connect."""
    from .classroom.room import format_code

    code = room["GOVSIM_CLASSROOM_CODE"]
    say(args, f"govsim ui: classroom room open, join code {format_code(code)} (Ctrl+C ends it)")
    say(args, f"govsim ui: students open {student_url}?code={code} and enter a team name")
    say(
        args,
        f"govsim ui: teacher's dashboard (keep this link to yourself): "
        f"{url}?teacher={room['GOVSIM_CLASSROOM_TEACHER']}",
    )
    if args.host in ("127.0.0.1", "localhost", "::1"):
        say(
            args,
            f"govsim ui: listening on {args.host} only: students' devices cannot connect; "
            "start with --host 0.0.0.0 to let the classroom network in",
        )
    else:
        say(args, f"govsim ui: listening on {args.host}: other machines can connect")


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


@command(
    "ui",
    help="serve the classroom app in a web browser (Mesa SolaraViz)",
    description=(
        "Serve the classroom app: pick a scenario, step or play the simulation, move the "
        "four leadership levers while it runs, and watch the resident network, "
        "participation, consensus, trust and needs. Every browser that connects gets its "
        "own simulation. Stop it with Ctrl+C. Documentation: docs/ui.md.\n\n"
        "The only key=value it takes is scenario=NAME, the scenario a new session starts "
        "with (default: weak_baseline).\n\n"
        "With --classroom it starts a room instead: teams join with a code, each leads its own "
        "copy of the same community, and the teacher runs rounds from a dashboard."
    ),
    examples="""
        govsim ui
        govsim ui --open
        govsim ui scenario=fragmented
        govsim ui --host 0.0.0.0 --port 8800      # students connect to http://<this machine>:8800/
        govsim ui --classroom --host 0.0.0.0 scenario=fragmented --round-weeks 10 --budget 1
    """,
    configure=_options,
)
def ui(args: argparse.Namespace) -> int:
    """Serve the classroom app until Ctrl+C."""
    if importlib.util.find_spec("solara") is None or importlib.util.find_spec("ipyvuetify") is None:
        print(
            "govsim ui: error: the app needs the ui extra: pip install 'govsim[ui]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    scenario = _scenario(list(args.overrides))
    room = _room_env(args, scenario)
    args.host = _check_port(args.host, args.port)
    env = {**os.environ, **_asset_env(args), **room}
    if scenario:
        env["GOVSIM_UI_SCENARIO"] = scenario
    root = str(Path(__file__).resolve().parents[2])  # so the server imports this govsim
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    url = _url(args.host, args.port)
    everywhere = args.host in ("0.0.0.0", "::")
    outside = f"http://{socket.gethostname()}:{args.port}/"
    if room:
        _announce_room(args, url, outside if everywhere else url, room)
        env["GOVSIM_CLASSROOM_URL"] = outside if everywhere else url
    else:
        say(args, f"govsim ui: serving the classroom app at {url} (Ctrl+C to stop)")
        if everywhere:
            say(args, f"govsim ui: other machines connect to {outside}")
    proc = subprocess.Popen(
        serve_command(
            args.host, args.port, open_browser=args.open, app=CLASSROOM_APP if room else APP
        ),
        env=env,
        stdout=subprocess.DEVNULL if args.quiet else None,
    )
    try:
        code = proc.wait()
        if code != 0:
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            print(f"govsim ui: error: the app server stopped ({how})", file=sys.stderr)
            code = EXIT_ERROR
    except KeyboardInterrupt:
        code = EXIT_OK
        say(args, "govsim ui: stopped")
    except SystemExit as exc:  # SIGTERM (govsim.cli turns it into SystemExit(143))
        code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
        how = "terminated" if code == 128 + signal.SIGTERM else f"exit {code}"
        print(f"govsim ui: stopped ({how}); the app server was shut down", file=sys.stderr)
    finally:
        if proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return code
