"""The taper chart: daily dose (diazepam-equivalent) per step, with predicted effect."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from benzoplan.taper import TaperPlan

__all__ = ["plot_taper"]


def plot_taper(plan: TaperPlan, path: str | Path) -> Path:
    """Write a PNG of the plan: step chart of the diazepam-equivalent daily dose and, where
    the plan carries them, predicted receptor occupancy and effect."""
    days = [(s.start - plan.start).days for s in plan.steps]
    de = [float(s.diazepam_equivalent_mg) for s in plan.steps]
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    ax.step([d / 7 for d in days], de, where="post", color="#1f5f8b", lw=2,
            label="daily dose (diazepam-equivalent, mg)")
    ax.set_xlabel("weeks from the start of the plan")
    ax.set_ylabel("diazepam-equivalent mg / day")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    effects = [s.effect for s in plan.steps]
    if all(e is not None for e in effects):
        ax2 = ax.twinx()
        ax2.step([d / 7 for d in days], [e or 0.0 for e in effects], where="post",
                 color="#c0392b", lw=1.5, ls="--", label="predicted effect (%)")
        occ = [s.occupancy or 0.0 for s in plan.steps]
        ax2.step([d / 7 for d in days], occ, where="post", color="#7d3c98", lw=1, ls=":",
                 label="predicted receptor occupancy (%)")
        ax2.set_ylabel("percent")
        ax2.set_ylim(0, 100)
        lines = ax.get_legend_handles_labels()
        lines2 = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper right", fontsize=8)
    else:
        ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"{plan.drug} taper ({plan.strategy}), version {plan.version}: "
                 f"{plan.start.isoformat()} to {plan.end.isoformat()}")
    fig.tight_layout()
    p = Path(path)
    fig.savefig(p)
    plt.close(fig)
    return p
