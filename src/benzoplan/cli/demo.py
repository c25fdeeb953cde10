"""`benzoplan demo`: a sample patient walked through every capability benzoplan has.

Each capability adds one section function to :data:`SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.rule import Rule

from benzoplan.cli.app import app, console
from benzoplan.drugs import convert, get_drug
from benzoplan.units import Dose

SAMPLE = {
    "description": "Adult, 46 years, 70 kg, panic disorder, clonazepam 1 mg twice daily "
    "(08:00 and 20:00) since 2019",
    "drug": "clonazepam",
    "dose": "1 mg",
    "times": ("08:00", "20:00"),
}


def _drug_summary(out: Console) -> None:
    d = get_drug(SAMPLE["drug"])  # type: ignore[arg-type]
    hl = d.pk.half_life
    out.print(f"{d.name} ({', '.join(d.brand_names())}): half-life {hl.typical:g} h "
              f"({hl.low:g}–{hl.high:g} h) [{hl.source}]; Tmax {d.pk.tmax.typical:g} h; "
              f"{len(d.products)} products in {len({p.market for p in d.products})} markets.",
              markup=False)


def _equivalence(out: Console) -> None:
    daily = Dose(SAMPLE["dose"]) * len(SAMPLE["times"])  # type: ignore[arg-type]
    c = convert(daily, "clonazepam", to="diazepam")
    out.print(f"Daily {daily} clonazepam ≈ {c.equivalent} diazepam ({c.table}); "
              f"range {c.low}–{c.high}. {c.note}")


SECTIONS: list[tuple[str, Callable[[Console], None]]] = [
    ("Drug summary", _drug_summary),
    ("Diazepam equivalent", _equivalence),
]

from benzoplan.cli.safety_cmd import demo_safety  # noqa: E402

SECTIONS.append(("Safety check", demo_safety))


@app.command("demo")
def demo() -> None:
    """Walk the sample patient through every capability."""
    console.print(f"[bold]benzoplan demo[/] — {SAMPLE['description']}")
    console.print("Decision support only: every output is for a clinician to review.")
    for title, section in SECTIONS:
        console.print(Rule(title))
        section(console)


from benzoplan.cli.monitor_demo import monitoring_section  # noqa: E402

SECTIONS.append(("Monitoring: diary, hold proposal, new plan version", monitoring_section))

from benzoplan.cli.simulate_cmd import demo_simulation  # noqa: E402

SECTIONS.append(("Clonazepam over the first two weeks (PK)", demo_simulation))

from benzoplan.cli.taper_cmd import demo_taper  # noqa: E402

SECTIONS.append(("Taper plan: hyperbolic, with chart", demo_taper))
