"""Build hook: ship ``configs/`` inside the wheel as ``govsim/_configs``.

``configs/`` (the Hydra configuration) sits at the top of the source tree, beside the packages,
so an editable install (``pip install -e .``) reads it in place. A wheel or a plain
``pip install .`` has no source tree to read it from, so the build copies it into the
``govsim`` package, where :data:`govsim.config.CONFIG_DIR` finds it. Everything else about the
project is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CONFIGS = Path(__file__).resolve().parent / "configs"


class BuildPyWithConfigs(build_py):
    """``build_py`` that also copies ``configs/`` to ``govsim/_configs`` in the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False) or not CONFIGS.is_dir():
            return  # an editable install reads configs/ from the source tree
        target = Path(self.build_lib) / "govsim" / "_configs"
        shutil.copytree(
            CONFIGS, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
        )


setup(cmdclass={"build_py": BuildPyWithConfigs})
