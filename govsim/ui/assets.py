"""Offline front-end assets for the Solara (Mesa SolaraViz) UI.

Solara's page loads its JavaScript/CSS (the Vue/Vuetify app shell, requirejs,
font-awesome, and on demand vue-grid-layout, vega, katex, mermaid, ...) from a CDN.  The
solara server can act as a caching proxy for that CDN: a request for
``/_solara/cdn/<package>@<version>/<file>`` is answered from
``<proxy_cache_dir>/<package>@<version>/<file>`` when that file exists.  The CDN
path layout is exactly the layout of the npm package tarball (minus its
``package/`` top folder), so this module fills the cache with ``npm pack`` from
the npm registry, which is reachable where the CDN is not.

Usage::

    python -m govsim.ui.assets            # fill the cache (idempotent), print its path
    eval "$(python -m govsim.ui.assets --print-env)"   # export the SOLARA_* settings
    solara run govsim.ui.app --production

or from Python::

    from govsim.ui.assets import ensure_offline_assets, solara_env
    env = {**os.environ, **solara_env(ensure_offline_assets())}

The settings that make the solara server use the cache are plain environment
variables (read by ``solara.settings`` / ``solara.server.settings`` at import):

* ``SOLARA_ASSETS_PROXY=True`` -- serve ``/_solara/cdn`` through the proxy cache;
* ``SOLARA_ASSETS_PROXY_CACHE_DIR=<dir>`` -- where the cache lives;
* ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=False`` -- no telemetry calls;
* optionally ``SOLARA_ASSETS_CDN=http://127.0.0.1:9/npm/`` (``block_cdn=True``):
  a cache miss then fails at once on a closed loopback port instead of trying
  the internet, which makes a missing asset a deterministic error.

The default cache directory is ``$GOVSIM_SOLARA_PROXY_DIR`` if set, otherwise
``${XDG_CACHE_HOME:-~/.cache}/govsim/solara-proxy``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "AssetsError",
    "apply_solara_settings",
    "asset_specs",
    "default_cache_dir",
    "ensure_offline_assets",
    "solara_env",
]

#: Marker written into a package folder once it is completely unpacked.
MARKER = ".govsim-complete"

#: A closed port on loopback: used as the CDN when ``block_cdn`` is asked for.
BLOCKED_CDN = "http://127.0.0.1:9/npm/"

# npm packages the UI needs, with the version used when solara's own sources do
# not name one.  Versions are taken from the installed solara when found there,
# so a solara upgrade that bumps e.g. the app shell picks up the new version.
_WANTED: dict[str, tuple[str, str]] = {
    # name: (fallback version or range, why)
    "@widgetti/solara-vuetify-app": ("10.1.1", "page shell (Vue 2 / ipyvue<2)"),
    "requirejs": ("2.3.6", "module loader of the page"),
    "font-awesome": ("4.5.0", "icon font of the page"),
    "@widgetti/vue-grid-layout": ("2.3.13-alpha.2", "solara.GridDraggable (Mesa SolaraViz)"),
    "vega": ("5", "solara.FigureAltair (Mesa altair components)"),
    "vega-lite": ("5", "solara.FigureAltair"),
    "vega-embed": ("6", "solara.FigureAltair"),
    "katex": ("0.16.9", "solara.Markdown (loaded on every mount)"),
    "mermaid": ("10.8.0", "solara.Markdown (loaded on every mount)"),
}

# "{{cdn}}/name@ver/" in templates, "${this.getCdn()}/name@ver/" in .vue/.py files
_CDN_REF = re.compile(
    r"(?:\{\{\s*cdn\s*\}\}|getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+)@([0-9][\w.+-]*)/"
)
_FONTAWESOME = re.compile(r"fontawesome_path\s*:\s*str\s*=\s*[\"']/?(font-awesome)@([^/\"']+)/")


class AssetsError(RuntimeError):
    """Filling the asset cache failed; the message is one line meant for a human."""


def default_cache_dir() -> Path:
    """Where the proxy cache lives unless told otherwise."""
    env = os.environ.get("GOVSIM_SOLARA_PROXY_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "govsim" / "solara-proxy"


def _solara_source_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec("solara")  # does not import solara
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _discovered_versions() -> dict[str, set[str]]:
    """Versions of CDN packages named in the installed solara's sources."""
    root = _solara_source_dir()
    found: dict[str, set[str]] = {}
    if root is None:
        return found
    files = [root / "server" / "templates" / "solara.html.j2"]
    files += sorted((root / "widgets" / "vue").glob("*.vue"))
    files += [root / "components" / "markdown.py"]
    for path in files:
        with contextlib.suppress(OSError):
            for name, version in _CDN_REF.findall(path.read_text(encoding="utf-8")):
                found.setdefault(name, set()).add(version)
    with contextlib.suppress(OSError):
        text = (root / "server" / "settings.py").read_text(encoding="utf-8")
        for name, version in _FONTAWESOME.findall(text):
            found.setdefault(name, set()).add(version)
    return found


def asset_specs() -> list[str]:
    """The ``name@version`` specs to pack, i.e. the folder names under the cache.

    ``SOLARA_ASSETS_FONTAWESOME_PATH`` is honoured when it names another version.
    """
    found = _discovered_versions()
    fa_path = os.environ.get("SOLARA_ASSETS_FONTAWESOME_PATH")
    if fa_path:
        m = re.match(r"/?(font-awesome)@([^/]+)/", fa_path)
        if m:
            found["font-awesome"] = {m.group(2)}
    specs = []
    for name, (fallback, _why) in _WANTED.items():
        for version in sorted(found.get(name) or {fallback}):
            specs.append(f"{name}@{version}")
    return specs


def _is_complete(cache_dir: Path, spec: str) -> bool:
    return (cache_dir / spec / MARKER).is_file()


@contextlib.contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    """Serialise concurrent fills (e.g. pytest-xdist workers) on one cache dir."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux
        yield
        return
    with open(cache_dir / ".govsim-lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _one_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    errs = [ln for ln in lines if "ERR" in ln] or lines
    return errs[-1] if errs else "(no output)"


def _pack_one(npm: str, spec: str, cache_dir: Path) -> None:
    with tempfile.TemporaryDirectory(prefix=".govsim-pack-", dir=cache_dir) as tmp:
        tmp_path = Path(tmp)
        try:
            proc = subprocess.run(
                [npm, "pack", spec, "--pack-destination", str(tmp_path), "--silent"],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
                cwd=tmp_path,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssetsError(f"npm pack {spec} timed out after {exc.timeout:.0f} s") from None
        tarballs = list(tmp_path.glob("*.tgz"))
        if proc.returncode != 0 or len(tarballs) != 1:
            raise AssetsError(
                f"npm pack {spec} failed (exit {proc.returncode}): "
                f"{_one_line(proc.stderr or proc.stdout)}"
            )
        unpack = tmp_path / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(unpack, filter="data")
            else:  # pragma: no cover - Python < 3.11.4
                tar.extractall(unpack)
        tops = [p for p in unpack.iterdir() if p.is_dir()]
        if len(tops) != 1:
            raise AssetsError(f"npm pack {spec}: unexpected tarball layout {sorted(tops)}")
        (tops[0] / MARKER).write_text(spec + "\n", encoding="utf-8")
        target = cache_dir / spec
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # a partial earlier attempt, or solara's own fetches
            shutil.rmtree(target)
        os.replace(tops[0], target)


def ensure_offline_assets(cache_dir: Path | None = None) -> Path:
    """Fill Solara's CDN proxy cache from the npm registry; return the cache dir.

    Idempotent: packages already unpacked (marker file present) are skipped, and
    when all are present npm is not needed at all.  Raises :class:`AssetsError`
    with a one-line message when npm is missing or a pack fails.
    """
    cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    cache_dir = cache_dir.resolve()
    specs = asset_specs()
    if all(_is_complete(cache_dir, s) for s in specs):
        return cache_dir
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError(
            "npm not found on PATH: it is needed once to fetch Solara's front-end "
            "assets from the npm registry (Debian: apt-get install -y npm)"
        )
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssetsError(f"cannot create asset cache dir {cache_dir}: {exc}") from None
    with _locked(cache_dir):
        for spec in specs:
            if not _is_complete(cache_dir, spec):
                _pack_one(npm, spec, cache_dir)
    return cache_dir


def solara_env(cache_dir: Path | None = None, *, block_cdn: bool = False) -> dict[str, str]:
    """Environment variables that make a ``solara run`` server use the cache."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    env = {
        "SOLARA_ASSETS_PROXY": "True",
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(cache_dir),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    }
    if block_cdn:
        env["SOLARA_ASSETS_CDN"] = BLOCKED_CDN
    return env


def apply_solara_settings(cache_dir: Path | None = None, *, block_cdn: bool = False) -> None:
    """Apply :func:`solara_env` to ``os.environ`` and to solara's settings objects.

    For a server started in this process (tests, notebooks).  Environment
    variables only take effect if solara is imported afterwards, so the already
    created settings objects are patched too when solara is loaded.
    """
    env = solara_env(cache_dir, block_cdn=block_cdn)
    os.environ.update(env)
    if "solara.settings" in sys.modules:
        import solara.settings

        solara.settings.assets.proxy = True
        if block_cdn:
            solara.settings.assets.cdn = BLOCKED_CDN
    if "solara.server.settings" in sys.modules:
        import solara.server.settings as server_settings

        server_settings.assets.proxy_cache_dir = Path(env["SOLARA_ASSETS_PROXY_CACHE_DIR"])
        server_settings.telemetry.mixpanel_enable = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m govsim.ui.assets",
        description="Fill Solara's CDN proxy cache from the npm registry (offline UI).",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: %(default)s")
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="print 'export SOLARA_...=...' lines instead of the directory",
    )
    parser.add_argument(
        "--block-cdn",
        action="store_true",
        help="with --print-env: also point SOLARA_ASSETS_CDN at a closed loopback port",
    )
    parser.add_argument("--list", action="store_true", help="print the package specs and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(asset_specs()))
        return 0
    try:
        cache_dir = ensure_offline_assets(args.cache_dir)
    except AssetsError as exc:
        print(f"govsim.ui.assets: error: {exc}", file=sys.stderr)
        return 1
    if args.print_env:
        for key, value in solara_env(cache_dir, block_cdn=args.block_cdn).items():
            print(f"export {key}={shlex.quote(value)}")
    else:
        print(cache_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
