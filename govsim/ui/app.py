"""The classroom app: Mesa SolaraViz for demonstrating govsim scenarios in a browser.

Start it with ``govsim ui`` (or ``solara run govsim.ui.app``). See docs/ui.md.

Layout (Mesa's SolaraViz, plus a scenario card at the top of its sidebar):

* sidebar — **Scenario** (preset picker and its description), Mesa's **Controls** (Reset, ▶/❚❚,
  Step, play and render intervals), **Model Parameters** (the four lever sliders, then the
  community parameters and the seed; ranges and defaults from the schema), **Information**
  (the step = the week);
* main grid — the resident network (colour by opinion, participation, group or platform use),
  the scenario and lever explanations, and charts of opinions, consensus, participation,
  trust, needs and the leadership effort.

Sessions: each browser session gets its own :class:`Session` and its own model, created
inside :func:`Page` (Mesa's stock pattern of a module-level model would share one simulation
among every browser connected to the server).

How the pieces talk:

* Mesa's parameter widgets are bound to the session's reactive values (a solara widget given a
  ``solara.Reactive`` as its value shows and sets that variable), so picking a scenario moves
  the sliders. Mesa's Reset calls ``type(model)(**model_params)`` (the class
  :func:`govsim.ui.model.classroom_model` picked for the scenario's engine); the fixed parameter
  ``settings`` (the session) supplies the current values.
* A lever slider change goes to :func:`govsim.ui.model.set_levers` on the running model: it
  acts from the next step.
* Picking a scenario sets every control to the scenario's values and starts a new model.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from govsim.ui import quiet  # noqa: F401  (warning filters before solara and mesa)

# isort: split
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from govsim.config import DEFAULT_SCENARIO, list_scenarios, scenario_params
from sim.strategies import LEVERS

from .controls import CONTROLS, LEVER_CONTROLS, active_values, control_values
from .model import ClassroomModel, classroom_model, lever_preview, set_levers
from .text import about_markdown, scenario_title
from .vega import ChartView
from .views import (
    COLOR_MODES,
    consensus_spec,
    effort_spec,
    needs_spec,
    network_spec,
    opinions_spec,
    participation_spec,
    trust_spec,
)

__all__ = ["SCENARIOS", "Page", "Session"]

#: Every scenario preset (composed with Hydra once, when the server imports the app).
SCENARIOS = {s.name: s for s in list_scenarios()}
#: Scenario titles as the picker shows them -> names.
TITLES = {scenario_title(name): name for name in SCENARIOS}
#: The scenario a new session starts with (``govsim ui scenario=NAME`` sets it).
INITIAL_SCENARIO = os.environ.get("GOVSIM_UI_SCENARIO") or DEFAULT_SCENARIO
if INITIAL_SCENARIO not in SCENARIOS:  # pragma: no cover - checked by the CLI
    raise ValueError(
        f"GOVSIM_UI_SCENARIO={INITIAL_SCENARIO!r}: unknown; allowed: {', '.join(SCENARIOS)}"
    )


def lever_values(model: ClassroomModel) -> dict[str, float]:
    """What the lever sliders show for a model running its scenario's strategy."""
    efforts = lever_preview(model.params, model)
    return {c.key: c.snap(getattr(efforts, c.key)) for c in LEVER_CONTROLS}


def scenario_values(name: str, seed: int = 0) -> dict[str, Any]:
    """What every control shows for scenario ``name`` (levers: the scenario's efforts)."""
    return {
        **lever_values(classroom_model(name, seed=seed)),
        **control_values(scenario_params(name)),
        "seed": seed,
    }


INITIAL_VALUES = scenario_values(INITIAL_SCENARIO)


class Session:
    """One browser session's state: the scenario, the control values, who sets the levers.

    Attributes:
        scenario: The scenario's name (reactive).
        values: Control key -> reactive value, bound to Mesa's parameter widgets.
        manual: Whether the teacher has moved a lever since the scenario was picked (then the
            levers run at the slider values, also after Reset).
        loading: True while a scenario is being applied (lever changes then come from the
            scenario, not from the teacher).
    """

    def __init__(self, scenario: solara.Reactive[str], values: dict[str, solara.Reactive]):
        self.scenario = scenario
        self.values = values
        self.manual = False
        self.loading = False

    def levers(self) -> dict[str, float]:
        """The lever sliders' values."""
        return {lever: float(self.values[lever].value) for lever in LEVERS}

    def model_kwargs(self) -> dict[str, Any]:
        """The arguments of a new :class:`ClassroomModel` (what the sidebar shows)."""
        community = {
            key: r.value for key, r in self.values.items() if key not in LEVERS and key != "seed"
        }
        community = active_values(scenario_params(self.scenario.value), community)
        return {
            "scenario": self.scenario.value,
            "seed": int(self.values["seed"].value),
            "levers": self.levers() if self.manual else None,
            **community,
        }

    def model_params(self) -> dict[str, Any]:
        """Mesa's ``model_params``: the session (fixed), then one widget per control."""
        params: dict[str, Any] = {"settings": self}
        for c in CONTROLS:
            params[c.key] = c.mesa_param(self.values[c.key])
        return params

    def load(self, name: str, model: solara.Reactive[ClassroomModel]) -> None:
        """Pick scenario ``name``: every control to its values, and a new model (week 0)."""
        self.loading = True
        try:
            self.manual = False
            self.scenario.value = name
            for key, value in control_values(scenario_params(name)).items():
                self.values[key].value = value
            new = classroom_model(settings=self)
            for key, value in lever_values(new).items():
                self.values[key].value = value
            model.value = new
        finally:
            self.loading = False

    def lever_moved(self, model: solara.Reactive[ClassroomModel]) -> None:
        """A lever slider moved: the running model uses the sliders from its next step."""
        if self.loading:
            return
        self.manual = True
        set_levers(model.value, self.levers())
        force_update()  # the text panel says who leads now


# --------------------------------------------------------------------------------------------
# components of the main grid (each re-renders after every step: it reads update_counter)
# --------------------------------------------------------------------------------------------


@solara.component
def NetworkView(model: ClassroomModel):
    """The resident network, coloured by a selector; organizations on the outer ring."""
    update_counter.get()
    color_by, set_color_by = solara.use_state(COLOR_MODES[0])
    with solara.Column(gap="4px", style={"padding": "4px"}) as main:
        solara.ToggleButtonsSingle(
            value=color_by, values=list(COLOR_MODES), on_value=set_color_by, dense=True
        )
        ChartView(network_spec(model, color_by))
    return main


@solara.component
def AboutPanel(model: ClassroomModel):
    """The current scenario, who leads now, and what each lever does."""
    update_counter.get()
    with solara.Column(style={"padding": "4px 12px", "height": "100%", "overflow-y": "auto"}):
        solara.Markdown(about_markdown(model, model.scenario_info))


@solara.component
def OpinionsChart(model: ClassroomModel):
    """This week's opinions by group, with the agenda."""
    update_counter.get()
    return ChartView(opinions_spec(model))


@solara.component
def ConsensusChart(model: ClassroomModel):
    """Opinion variance, clusters and polarization over time."""
    update_counter.get()
    return ChartView(consensus_spec(model))


@solara.component
def ParticipationChart(model: ClassroomModel):
    """Participation by group over time."""
    update_counter.get()
    return ChartView(participation_spec(model))


@solara.component
def TrustChart(model: ClassroomModel):
    """Trust by group over time."""
    update_counter.get()
    return ChartView(trust_spec(model))


@solara.component
def NeedsChart(model: ClassroomModel):
    """Need resolution, backlog and waiting time over time."""
    update_counter.get()
    return ChartView(needs_spec(model))


@solara.component
def EffortChart(model: ClassroomModel):
    """Lever efforts and platform adoption over time."""
    update_counter.get()
    return ChartView(effort_spec(model))


#: The main grid, in order (Mesa lays them out two per row). Solara components, so Mesa does
#: not re-wrap them on every render (re-wrapping would rebuild every chart widget on Reset).
COMPONENTS = [
    NetworkView,
    AboutPanel,
    OpinionsChart,
    ConsensusChart,
    ParticipationChart,
    TrustChart,
    NeedsChart,
    EffortChart,
]


#: Every slider shows its value under its thumb (Mesa's parameter sliders show none): the
#: value is the thumb's ``aria-valuenow``, which Vuetify keeps current.
SLIDER_VALUE_CSS = """
.v-slider__thumb-container[role="slider"]::after {
    content: attr(aria-valuenow);
    position: absolute;
    top: 9px;
    left: 0;
    transform: translateX(-50%);
    font-size: 0.68rem;
    line-height: 1;
    color: inherit;
    opacity: 0.65;
    white-space: nowrap;
    pointer-events: none;
}
.v-input__slider { margin-bottom: 4px; }
"""


# --------------------------------------------------------------------------------------------
# sidebar and page
# --------------------------------------------------------------------------------------------


@solara.component
def ScenarioCard(session: Session, model: solara.Reactive[ClassroomModel]):
    """The preset picker and the picked scenario's description."""
    name = session.scenario.value
    with solara.Card("Scenario", margin=0, elevation=1):
        solara.Select(
            label="Scenario preset",
            value=scenario_title(name),
            values=list(TITLES),
            on_value=lambda title: session.load(TITLES[title], model),
        )
        solara.Text(
            SCENARIOS[name].description,
            classes=["scenario-description"],
            style={"font-size": "0.82rem", "line-height": "1.3", "display": "block"},
        )
        solara.Text(
            "Levers act from the next step; the other parameters on Reset.",
            style={"font-size": "0.78rem", "font-style": "italic", "display": "block",
                   "margin-top": "6px"},
        )  # fmt: skip


def use_session() -> Session:
    """This browser session's state (hooks: call once, at the top of :func:`Page`)."""
    scenario = solara.use_reactive(INITIAL_SCENARIO)
    values = {c.key: solara.use_reactive(INITIAL_VALUES[c.key]) for c in CONTROLS}
    return solara.use_memo(lambda: Session(scenario, values), [])


@solara.component
def Page():
    """One browser session: its own settings, its own model."""
    session = use_session()
    first = solara.use_memo(lambda: classroom_model(settings=session), [])
    model = solara.use_reactive(first)
    model_params = solara.use_memo(session.model_params, [])
    components = solara.use_memo(lambda: [(c, 0) for c in COMPONENTS], [])

    def watch_levers() -> Callable[[], None]:
        stop = [
            session.values[lever].subscribe(lambda _value: session.lever_moved(model))
            for lever in LEVERS
        ]

        def cleanup() -> None:
            for unsubscribe in stop:
                unsubscribe()

        return cleanup

    solara.use_effect(watch_levers, [])

    solara.Style(SLIDER_VALUE_CSS)
    with solara.Sidebar():
        ScenarioCard(session, model)
    SolaraViz(
        model,
        components=components,
        model_params=model_params,
        name="govsim · community governance classroom",
    )
