"""Throwaway Mesa SolaraViz app that exercises the browser-test harness.

Run it by hand with::

    eval "$(python -m govsim.ui.assets --print-env)"
    solara run tests/ui/demo_app.py --production

Points it demonstrates for the real app (govsim/ui/app.py):

* every ``__init__`` argument of the model has a default, because Mesa's Reset
  re-creates the model as ``Model(**model_params_values)``;
* the model is created *per browser session* inside the ``Page`` component
  (``solara.use_memo``); a module-level model instance would be shared by every
  browser tab connected to the server;
* ``components=`` is passed by keyword;
* a user parameter (slider) flows into the model on Reset;
* an altair plot, so the vega bundles of the offline asset cache get loaded.
"""

from __future__ import annotations

import mesa
import solara
from mesa.visualization import SolaraViz, make_plot_component


class CounterModel(mesa.Model):
    """A model whose whole state is a counter that grows by ``increment`` per step."""

    def __init__(self, increment: int = 1, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self.increment = increment
        self.counter = 0
        self.datacollector = mesa.DataCollector(model_reporters={"Counter": "counter"})
        self.datacollector.collect(self)

    def step(self) -> None:
        self.counter += self.increment
        self.datacollector.collect(self)


def CounterView(model: CounterModel):
    """A SolaraViz component: Mesa re-renders it after every step."""
    return solara.Markdown(f"Counter: **{model.counter}** (increment {model.increment})")


model_params = {
    "increment": {
        "type": "SliderInt",
        "value": 1,
        "label": "Increment",
        "min": 1,
        "max": 10,
        "step": 1,
    },
}


@solara.component
def Page():
    # One model per browser session (per Page instance), not per server process.
    model = solara.use_memo(lambda: CounterModel(increment=model_params["increment"]["value"]), [])
    SolaraViz(
        model,
        components=[CounterView, make_plot_component("Counter", backend="altair")],
        model_params=model_params,
        name="Harness demo",
    )
