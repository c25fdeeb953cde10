"""The PK chart: plasma concentration and receptor occupancy over time, with the population
band when there is one and a mark at every dose."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from benzoplan.errors import InputError
from benzoplan.pk import SimulationResult

__all__ = ["plot_simulation"]

_FORMATS = {".png": "png", ".svg": "svg"}


def plot_simulation(result: SimulationResult, path: str | Path) -> Path:
    """Write ``result`` as a PNG or SVG chart (chosen by the file suffix): concentration in
    ng/mL (and the 5th–95th percentile band of a population run) above occupancy in %,
    against days since the first dose."""
    out = Path(path)
    fmt = _FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise InputError(f"plot file '{out.name}' must end in .png or .svg", field="plot")
    days = result.time_h / 24.0
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 6), dpi=110, sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1.4]})
    colours = ["#1f5f8b", "#c0392b", "#7d3c98", "#27ae60"]
    for i, (species, conc) in enumerate(result.concentration.items()):
        label = species if species == result.drug else f"{species} (metabolite or other drug)"
        ax.plot(days, conc, color=colours[i % len(colours)], lw=1.6 if i == 0 else 1.1,
                label=f"{label}, typical individual")
    band = result.band
    if band is not None:
        ax.fill_between(band.time_h / 24.0, band.p5, band.p95, color="#1f5f8b", alpha=0.18,
                        label=f"{result.drug}, 5th–95th percentile ({band.subjects} subjects)")
        ax.plot(band.time_h / 24.0, band.p50, color="#1f5f8b", lw=0.8, ls="--",
                label=f"{result.drug}, population median")
    t, _mg = result.regimen.arrays(result.drug)
    top = float(max(np.max(c) for c in result.concentration.values()))
    if band is not None:
        top = max(top, float(band.p95.max()))
    ax.plot(t / 24.0, np.full(t.size, -0.03 * top), linestyle="none", marker="|",
            color="#555555", markersize=8, label=f"{result.drug} doses")
    ax.set_ylabel("plasma concentration (ng/mL)")
    ax.set_ylim(-0.06 * top, top * 1.1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    s = result.summary
    ax.set_title(f"{result.drug}: model {result.models[result.drug]}, "
                 f"t½ {s.half_life:.0f} h, Cmax {s.cmax:.3g} ng/mL", fontsize=10)
    ax2.plot(days, result.occupancy, color="#7d3c98", lw=1.4,
             label="estimated GABA-A benzodiazepine-site occupancy")
    ax2.set_ylabel("occupancy (%)")
    ax2.set_xlabel("days since the first dose")
    ax2.set_ylim(0, max(5.0, float(result.occupancy.max()) * 1.25))
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8, loc="upper right")
    fig.text(0.01, 0.005, "Model estimates for clinician review. Occupancy and effect "
             "parameters are calibrated assumptions (see the output's assumptions).",
             fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format=fmt)
    plt.close(fig)
    return out
