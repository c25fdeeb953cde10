"""Outputs people use: calendars, charts and printable reports built from core results.

Core packages do no file I/O; the writers live here.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    # Writers are imported on first use, so importing one does not load every library.
    if name == "plot_simulation":
        from benzoplan.reports.pk_plot import plot_simulation

        return plot_simulation
    raise AttributeError(f"module 'benzoplan.reports' has no attribute '{name}'")
