"""The taper chart: daily dose and predicted effect per step, and receptor occupancy over time
(steady state per step, and the PK engine's simulated time course of every dose)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from benzoplan.pk import SimulationResult, simulate
from benzoplan.taper import TaperPlan

__all__ = ["plot_taper", "simulate_plan"]


LEAD_IN_DAYS = 28  # current regimen before the plan: clonazepam is at steady state within it


def simulate_plan(plan: TaperPlan, lead_in_days: int = LEAD_IN_DAYS) -> SimulationResult:
    """The typical individual's concentrations and combined occupancy over the whole plan
    (every dose of every drug, from :meth:`TaperPlan.to_events`), after ``lead_in_days`` on
    the current regimen; engine time 0 is the first lead-in dose."""
    hours = (plan.total_days + lead_in_days) * 24.0
    step = max(1.0, min(6.0, hours / 4000))
    return simulate(plan.to_events(lead_in_days=lead_in_days), step_h=step,
                    until_h=hours + 14 * 24.0)


def plot_taper(plan: TaperPlan, path: str | Path, *, pk: bool = True) -> Path:
    """Write a PNG of the plan. Top: diazepam-equivalent daily dose and predicted effect per
    step. Bottom: predicted receptor occupancy — at steady state per step and, with ``pk``,
    the simulated time course (through a crossover this is the combined occupancy)."""
    weeks = [(s.start - plan.start).days / 7 for s in plan.steps]
    de = [float(s.diazepam_equivalent_mg) for s in plan.steps]
    fig, (ax, ax3) = plt.subplots(2, 1, figsize=(9, 6.5), dpi=110, sharex=True,
                                  gridspec_kw={"height_ratios": [3, 2]})
    ax.step(weeks, de, where="post", color="#1f5f8b", lw=2,
            label="daily dose (diazepam-equivalent, mg)")
    ax.set_ylabel("diazepam-equivalent mg / day")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if all(s.effect is not None for s in plan.steps):
        ax2 = ax.twinx()
        ax2.step(weeks, [s.effect or 0.0 for s in plan.steps], where="post", color="#c0392b",
                 lw=1.5, ls="--", label="predicted effect (% of maximum)")
        ax2.set_ylabel("effect, %")
        ax2.set_ylim(0, 100)
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="upper right", fontsize=8)
    ax.set_title(f"{plan.drug} taper ({plan.strategy}), version {plan.version}: "
                 f"{plan.start.isoformat()} to {plan.end.isoformat()}")
    if all(s.occupancy is not None for s in plan.steps):
        ax3.step(weeks, [s.occupancy or 0.0 for s in plan.steps], where="post",
                 color="#7d3c98", lw=1.5, label="steady state per step")
    if pk:
        sim = simulate_plan(plan)
        origin_h = sim.regimen.clock_origin_h or 0.0
        x = (sim.time_h + origin_h) / 24 / 7 - LEAD_IN_DAYS / 7
        keep = x >= -2
        ax3.plot(x[keep], sim.occupancy[keep], color="#16a085", lw=0.6, alpha=0.8,
                 label=f"simulated, typical patient (PK engine), after {LEAD_IN_DAYS} days on "
                 "the current regimen")
    ax3.set_ylabel("receptor occupancy, %")
    ax3.set_xlabel("weeks from the start of the plan")
    ax3.set_ylim(bottom=0)
    ax3.grid(alpha=0.3)
    ax3.legend(loc="upper right", fontsize=8)
    fig.text(0.01, 0.005, "Predictions from the PK engine's stated assumptions (calibrated "
             "occupancy and effect curves), not measurements.", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    p = Path(path)
    fig.savefig(p)
    plt.close(fig)
    return p
