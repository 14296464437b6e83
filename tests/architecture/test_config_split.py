"""govsim/config.py is a façade over three modules of one job each (issue 13, item 5)."""

from __future__ import annotations

import ast
from pathlib import Path

import govsim.catalogue as catalogue
import govsim.compose as compose
import govsim.config as config
import govsim.schema as schema

REPO = Path(__file__).resolve().parents[2]


def test_config_defines_nothing_of_its_own() -> None:
    tree = ast.parse((REPO / "govsim" / "config.py").read_text(encoding="utf-8"))
    kinds = {type(n).__name__ for n in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Assign"}, kinds  # docstring, imports, __all__


def test_every_public_name_has_one_home() -> None:
    homes = {"schema": schema, "compose": compose, "catalogue": catalogue}
    for name in config.__all__:
        obj = getattr(config, name)
        owners = [m for m, mod in homes.items() if name in getattr(mod, "__all__", ())]
        assert len(owners) == 1, (name, owners)
        assert getattr(homes[owners[0]], name) is obj


def test_the_catalogue_sits_on_compose_not_the_other_way() -> None:
    tree = ast.parse((REPO / "govsim" / "compose.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "catalogue" not in imported and "govsim.catalogue" not in imported
    # the scenario caches are cleared with the option cache
    config.list_scenarios()
    assert catalogue._scenario.cache_info().currsize > 0
    config.clear_caches()
    assert catalogue._scenario.cache_info().currsize == 0
    assert compose._group_options.cache_info().currsize == 0
