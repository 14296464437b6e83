#!/usr/bin/env bash
# Prepare a machine for the end-to-end UI tests (tests/ui, `pytest -m ui`).
#
# Idempotent and non-interactive; meant for a fresh Debian 12 machine running
# as root (CI's .ci/run), fine to re-run on a prepared one (it then only checks).
#   1. Debian's chromium (apt) -- Playwright drives /usr/bin/chromium; we never run
#      `playwright install`, which downloads a browser build from outside.
#   2. the `ui` extra of pyproject.toml + playwright (pip, into $PYTHON: the active virtual
#      environment's python, as in CI's fresh venv, else python3).
#   3. npm (apt) if missing, then Solara's front-end assets into the offline
#      proxy cache (python -m govsim.ui.assets).
#
# Env: PYTHON (default: $VIRTUAL_ENV/bin/python, else python3, else python),
#      GOVSIM_SOLARA_PROXY_DIR (cache dir).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -z "${PYTHON:-}" ] && [ -n "${VIRTUAL_ENV:-}" ]; then PYTHON="$VIRTUAL_ENV/bin/python"; fi
PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[setup_ui_test_env] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
fi

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        $SUDO apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install $*"
    $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. chromium ---------------------------------------------------------------
if [ -x /usr/bin/chromium ]; then
    log "chromium present"
else
    apt_install chromium
fi
# the Debian wrapper script prints a harmless shell warning on some machines
/usr/bin/chromium --version 2>/dev/null || true

# 2. python packages ----------------------------------------------------------
mapfile -t UI_REQS < <("$PYTHON" - <<'EOF'
import tomllib
with open("pyproject.toml", "rb") as fh:
    extras = tomllib.load(fh)["project"]["optional-dependencies"]
for req in extras["ui"]:
    print(req)
print("playwright>=1.40")
EOF
)
log "pip install ${UI_REQS[*]}"
PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --disable-pip-version-check "${UI_REQS[@]}"

# 3. npm + offline front-end assets -------------------------------------------
if ! command -v npm >/dev/null 2>&1; then
    apt_install npm
fi
log "filling Solara's offline asset cache"
cache_dir="$("$PYTHON" -m govsim.ui.assets)"
log "asset cache: $cache_dir"

"$PYTHON" - <<'EOF'
from importlib.metadata import version
print("[setup_ui_test_env] versions:", ", ".join(
    f"{p} {version(p)}" for p in ("solara", "ipyvuetify", "ipyvue", "mesa", "altair", "playwright")
))
EOF
log "done"
