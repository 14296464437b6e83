"""Silence two server warnings that are not ours to act on (imported before solara and mesa).

* Solara checks the hooks of every component when it is defined and warns about Mesa
  3.3.1's own ComponentsView (mesa/visualization/solara_viz.py: `use_state` after an early
  return), once per server start;
* Solara's page handler warns on every page load over plain http from an address other than
  "localhost" (127.0.0.1, a classroom machine's IP) that a samesite=none session cookie needs
  https, and falls back to samesite=lax: the right cookie for an app that is never embedded
  in a third-party iframe.

Both are silenced by their exact source, so any other warning, ours included, still shows.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings(
    "ignore",
    message=r"(?s).*mesa[/\\]visualization[/\\]",
    category=UserWarning,
    module=r"solara\.validate_hooks",
)
warnings.filterwarnings(
    "ignore",
    message=r"Cookies with samesite=none require https",
    category=UserWarning,
    module=r"solara\.server\.starlette",
)
