"""The classroom UI's explanations: the current scenario and what each lever does.

The levers are described in the source text's own terms (the commentary on Party-building-led
urban community governance, ``docs/source.md``), then in the model's (docs/odd.md,
section 7). Scenario descriptions and claims come from ``configs/scenario/*.yaml`` through
:mod:`govsim.config`; nothing about a scenario is written here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sim.strategies import LEVERS

if TYPE_CHECKING:
    from govsim.config import Scenario

    from .model import ClassroomModel

__all__ = ["LEVER_TEXT", "about_markdown", "command_line", "leadership_status", "scenario_title"]

#: lever -> (Chinese term, what the source says, what the model does)
LEVER_TEXT: dict[str, tuple[str, str, str]] = {
    "ideological": (
        "思想引领",
        "guide residents to hold and practise shared core values and *build consensus of "
        "ideas*; Party members act as *vanguard exemplars*, stimulating residents' enthusiasm "
        "to participate.",
        "value-guidance activities pull those who attend toward the shared agenda, in "
        "proportion to their trust; Party members persuade more.",
    ),
    "political": (
        "政治引领",
        "give grassroots Party organizations *the resources and the ability to serve the "
        "masses*; *start from residents' real needs* (the mass line) and use *ways of working "
        "residents like*.",
        "the leading organization gains capacity and resources, takes on the most common "
        "needs of the backlog, and taking part costs residents less.",
    ),
    "organizational": (
        "组织引领",
        "*organizations building together, information connected, residents acting together*; "
        "integrate resources and *break the silos between units*; *coordinate and resolve "
        "contradictions and conflicts*.",
        "co-building links between organizations (the dark lines on the outer ring), needs "
        "routed to whoever can handle them, unused resources pooled, disputes mediated.",
    ),
    "smart": (
        "智慧引领",
        "*Internet + community governance*: turn *data into governance inputs*, with "
        "*information built and shared together* on a community platform.",
        "the platform spreads by digital literacy (a digital divide); adopters report needs "
        "at once, see community-wide participation and take part at lower cost; shared data "
        "reveals unreported needs.",
    ),
}
assert tuple(LEVER_TEXT) == LEVERS


def scenario_title(name: str) -> str:
    """A readable title for a scenario name (``campaign_week50`` -> ``Campaign from week 50``)."""
    special = {"deffuant": "Deffuant–Weisbuch model", "threshold": "Threshold model"}
    if name in special:
        return special[name]
    text = re.sub(r"week(\d+)", r"from week \1", name).replace("_", " ")
    return text[:1].upper() + text[1:]


def leadership_status(model: ClassroomModel) -> str:
    """One sentence: who sets the levers now."""
    s = model.params.strategy
    if model.manual_since is not None:
        levels = ", ".join(f"{lever} {getattr(s, lever):.2f}" for lever in LEVERS)
        since = model.manual_since
        when = "from week 0" if since == 0 else f"since week {since}"
        return f"Levers set by hand {when}: {levels}."
    if s.name == "none":
        return "Weak leadership: all four levers at zero (the scenario's strategy)."
    window = ""
    if s.start_step > 0:
        window += f", switched on in week {s.start_step}"
    if s.end_step >= 0:
        window += f", off from week {s.end_step}"
    return (
        f"The scenario's strategy `{s.name}`{window}; this week: "
        + ", ".join(f"{lever} {getattr(model.effort, lever):.2f}" for lever in LEVERS)
        + "."
    )


def command_line(model: ClassroomModel) -> str:
    """How to reproduce this run with ``govsim run`` (when one command can)."""
    if model.manual_since:
        return (
            f"The levers were changed by hand in week {model.manual_since}: no single "
            "`govsim run` reproduces this run."
        )
    words = [f"scenario={model.scenario}", f"seed={model.seed}"]
    words += [f"{k}={v}" for k, v in model.overrides.items()]
    return "Same run from the command line: `govsim run " + " ".join(words) + "`."


def about_markdown(model: ClassroomModel, scenario: Scenario) -> str:
    """The text panel: the scenario, what to look at, who leads now, and the four levers."""
    lines = [
        f"### {scenario_title(scenario.name)}",
        scenario.description,
        "",
        f"**What to show.** {scenario.claim}",
        "",
        f"**Leadership now (week {model.steps}).** {leadership_status(model)}",
        "",
        f"Suggested length: {scenario.steps} weeks (one step = one week). {command_line(model)}",
        "",
        "#### The four kinds of leadership",
    ]
    for lever in LEVERS:
        zh, source, model_text = LEVER_TEXT[lever]
        lines.append(
            f"- **{lever.capitalize()}** ({zh}) — the text: {source} In the model: {model_text}"
        )
    lines += [
        "",
        "Moving a lever slider acts from the **next step**: the teacher takes over the levers "
        "(the scenario's own timing stops). The other parameters act on **Reset**.",
    ]
    return "\n".join(lines)
