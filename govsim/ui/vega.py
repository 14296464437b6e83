"""A Vega-Lite chart widget that is embedded once and then fed only new data.

Solara's ``FigureAltair`` / ``VegaLite`` widget re-compiles and re-embeds the whole chart on
every change (after a 100 ms debounce); with seven charts redrawn after every step that alone
exceeds the classroom UI's budget of 200 ms per step. :class:`VegaView` keeps the Vega view and
replaces only the rows of its named data sources (``view.data(name, rows)``), re-embedding
only when the chart's structure (the spec) changes.

The Vue template is kept in this module (not in a ``.vue`` file) so that it ships with the
package without package-data configuration. Vega is loaded the way solara's own
``vegalite.vue`` loads it (requirejs, from solara's CDN proxy), so the offline asset cache of
:mod:`govsim.ui.assets` serves it.
"""

from __future__ import annotations

from typing import Any

import ipyvuetify
import solara
import traitlets

from .views import Chart

__all__ = ["ChartView", "VegaView"]

TEMPLATE = r"""<template>
    <div>
        <div ref="plotElement"></div>
    </div>
</template>
<script>
/* A Vega-Lite chart that is embedded once and then only fed new data.
 *
 * `spec` is the chart's structure with named data sources (and static `datasets`); `payload` is
 * {data: {source name: {field: [values]}}, description: text} (columns: smaller to send, and
 * cheap for Vue to observe; turned into rows here). A new `spec` re-embeds the chart; a new
 * `payload` replaces the rows of the running view (view.data + runAsync), much cheaper than
 * re-compiling and re-embedding the whole chart after every step. The description becomes the
 * chart's aria-label once the chart shows the data it describes.
 * Vega is loaded like solara's own vegalite.vue does (requirejs, from solara's CDN proxy).
 */
module.exports = {
    created() {
        this.view = null;
        this.token = 0;
        this.dataVersion = 0;
        this.alive = true;
        this.updating = false;
        this.updatePending = false;
        this.vegaLoaded = this.loadVega();
    },
    mounted() {
        this.embed();
    },
    destroyed() {
        this.alive = false;
        this.token += 1;
        if (this.view) {
            this.view.finalize();
            this.view = null;
        }
    },
    unmounted() {
        this.$options.destroyed.call(this);
    },
    watch: {
        spec() {
            this.embed();
        },
        payload() {
            this.dataVersion += 1;
            this.update();
        },
    },
    methods: {
        async embed() {
            const token = ++this.token;
            await this.vegaLoaded;
            if (!this.alive || token !== this.token || !this.$refs.plotElement) {
                return;
            }
            const version = this.dataVersion;
            const spec = JSON.parse(JSON.stringify(this.spec));
            const payload = this.payload;
            spec.datasets = {...(spec.datasets || {}), ...this.rows(payload.data)};
            const vegaEmbed = await new Promise((resolve, reject) => {
                require(['vega-embed'], resolve, reject);
            });
            const result = await vegaEmbed(this.$refs.plotElement, spec, {
                actions: false,
                renderer: 'canvas',
            });
            if (!this.alive || token !== this.token) {
                result.finalize();
                return;
            }
            if (this.view && this.view !== result.view) {
                this.view.finalize();
            }
            this.view = result.view;
            this.$refs.plotElement.setAttribute('aria-label', payload.description);
            if (version !== this.dataVersion) {
                this.update();
            }
        },
        async update() {
            if (!this.view) {
                return;  // the embed in progress reads the newest data when it is done
            }
            if (this.updating) {
                this.updatePending = true;
                return;
            }
            this.updating = true;
            try {
                do {
                    this.updatePending = false;
                    const view = this.view;
                    const payload = this.payload;
                    const rows = this.rows(payload.data);
                    for (const name of Object.keys(rows)) {
                        view.data(name, rows[name]);
                    }
                    await view.runAsync();
                    if (this.alive && this.$refs.plotElement) {
                        this.$refs.plotElement.setAttribute('aria-label', payload.description);
                    }
                } while (this.updatePending && this.alive && this.view);
            } finally {
                this.updating = false;
            }
        },
        rows(data) {
            const out = {};
            for (const [name, columns] of Object.entries(data)) {
                const fields = Object.keys(columns);
                const n = fields.length ? columns[fields[0]].length : 0;
                const rows = new Array(n);
                for (let i = 0; i < n; i++) {
                    const row = {};
                    for (const f of fields) {
                        row[f] = columns[f][i];
                    }
                    rows[i] = row;
                }
                out[name] = rows;
            }
            return out;
        },
        async loadVega() {
            await this.loadRequire();
            require.config({
                map: {
                    '*': {
                        'vega': `${this.getCdn()}/vega@5/build/vega.min.js`,
                        'vega-lite': `${this.getCdn()}/vega-lite@5/build/vega-lite.min.js`,
                        'vega-embed': `${this.getCdn()}/vega-embed@6/build/vega-embed.min.js`,
                    }
                }
            });
            await new Promise((resolve, reject) => {
                require(['vega', 'vega-lite', 'vega-embed'], () => resolve(), reject);
            });
        },
        loadRequire() {
            if (window.requirejs) {
                return Promise.resolve();
            }
            return new Promise((resolve, reject) => {
                const script = document.createElement('script');
                script.src = `${this.getCdn()}/requirejs@2.3.6/require.js`;
                script.onload = resolve;
                script.onerror = reject;
                document.head.appendChild(script);
            });
        },
        getJupyterBaseUrl() {
            if (document.getElementsByTagName("base").length) {
                return "./";
            }
            const labConfigData = document.getElementById('jupyter-config-data');
            if (labConfigData) {
                return JSON.parse(labConfigData.textContent).baseUrl;
            }
            let base = document.body.dataset.baseUrl || document.baseURI;
            if (!base.endsWith('/')) {
                base += '/';
            }
            return base;
        },
        getCdn() {
            if (this.cdn) {
                return this.cdn;
            }
            return window.solara ? window.solara.cdn : `${this.getJupyterBaseUrl()}_solara/cdn`;
        },
    },
}
</script>
"""


class VegaView(ipyvuetify.VuetifyTemplate):
    """A Vega-Lite chart embedded once, then fed only new data (:data:`TEMPLATE`).

    Solara's own ``FigureAltair`` re-compiles and re-embeds the whole chart on every change;
    for seven charts after every step that alone takes longer than the step budget.
    """

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)
    payload = traitlets.Dict().tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    fields: dict[str, None] = {}
    for row in rows:
        fields.update(dict.fromkeys(row))
    return {f: [row.get(f) for row in rows] for f in fields}


@solara.component
def ChartView(chart: Chart):
    """Show a :class:`govsim.ui.views.Chart`; the spec is re-sent only when it changes."""
    data = {name: _columns(rows) for name, rows in chart.data.items()}
    return VegaView.element(
        spec=chart.spec, payload={"data": data, "description": chart.description}
    )
