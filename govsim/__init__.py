"""govsim: agent-based simulation of urban community governance on Mesa."""
