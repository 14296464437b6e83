"""The experiment layer's error: light on purpose (the command line imports it for ``--help``)."""

from __future__ import annotations

__all__ = ["ExperimentConfigError"]


class ExperimentConfigError(ValueError):
    """A bad experiment configuration (reported in one line, exit status 2, before any run)."""
