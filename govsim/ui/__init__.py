"""Browser UI (Mesa SolaraViz) for govsim, plus the offline asset tooling it needs."""
