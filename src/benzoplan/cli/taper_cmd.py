"""`benzoplan taper DRUG --dose ... --at ...`: plan a taper, print it, write ICS or a chart."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

import typer
from rich.console import Console
from rich.table import Table

from benzoplan.cli.app import app, console, emit_json
from benzoplan.errors import InputError
from benzoplan.taper import (
    PatientFactors,
    ProductOptions,
    ScheduledDose,
    StepLimit,
    TaperPlan,
    TaperRequest,
    TaperStep,
    plan_taper,
)
from benzoplan.taper._model import STRATEGIES, parse_time
from benzoplan.units import Concentration, Dose, Volume

__all__ = ["parse_days", "parse_start", "print_plan", "request_from_options"]

_DAYS = re.compile(r"^\s*(\d+)\s*(d|day|days|w|wk|week|weeks)\s*$", re.IGNORECASE)


def parse_days(text: str, *, what: str = "interval") -> int:
    """'2w' → 14, '3d' → 3, '10 days' → 10; refuses 0 and bare numbers."""
    m = _DAYS.match(text)
    if not m:
        raise InputError(f"{what} '{text}' is not a number of days or weeks, e.g. '3d' or '2w'",
                         field=what)
    n = int(m.group(1)) * (7 if m.group(2).lower().startswith("w") else 1)
    if n == 0:
        raise InputError(f"the {what} must be at least one day, got '{text}'", field=what)
    return n


def parse_start(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"start date '{text}' is not an ISO date (YYYY-MM-DD), e.g. 2026-12-01",
                         field="start") from exc


def request_from_options(
    drug: str, dose: str, at: str, *, years: float, strategy: str, interval: str,
    max_step: str, start: str, market: str, liquid: str | None, measure: str | None,
    to: str, then: str, equivalence: str | None, indication: str | None, insomnia: bool,
    seizures: bool, age: int | None, quarters: bool, halves: bool, odt: bool,
    night_last: bool | None, fill: str, effect_step: float | None, ec50: str | None,
) -> TaperRequest:
    times = [parse_time(t) for t in at.split(",") if t.strip()]
    amounts = [Dose(d) for d in dose.split(",") if d.strip()]
    if len(amounts) == 1:
        amounts = amounts * len(times)
    if len(amounts) != len(times):
        raise InputError(f"{len(amounts)} doses for {len(times)} times; give one dose for all "
                         "times or one per time", field="dose")
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy '{strategy}'; choose one of {', '.join(STRATEGIES)}",
                         field="strategy")
    conc = Concentration(liquid) if liquid else None
    vol = Volume(measure) if measure else None
    crossover = strategy == "crossover"
    # the liquid serves the drug that is tapered to zero: the new drug after a crossover
    base = ProductOptions(halves=halves, quarters=quarters, odt=odt,
                          liquid=None if crossover else conc, measure=None if crossover else vol)
    target = ProductOptions(halves=halves, quarters=quarters, odt=odt,
                            liquid=conc if crossover else None,
                            measure=vol if crossover else None)
    order = None if night_last is None else ("night-last" if night_last else "balanced")
    return TaperRequest(
        drug=drug,
        doses=tuple(ScheduledDose(t, d) for t, d in zip(times, amounts, strict=True)),
        start=parse_start(start),
        strategy=strategy,  # type: ignore[arg-type]
        interval_days=parse_days(interval),
        max_step=StepLimit.parse(max_step),
        years_of_use=years,
        indication=indication,
        factors=PatientFactors(seizure_history=seizures, age=age, insomnia=insomnia),
        market=market.upper(),
        products=base,
        to=to,
        then=then,  # type: ignore[arg-type]
        equivalence=equivalence,
        target_products=target,
        dose_order=order,  # type: ignore[arg-type]
        effect_step=effect_step,
        ec50=Concentration(ec50) if ec50 else None,
        fill_days=parse_days(fill, what="fill"),
    )


_INLINE_TAKE_WIDTH = 140


def _take(step: TaperStep) -> str:
    lines = []
    for t in sorted({a.time for a in step.administrations}):
        items = [a for a in step.administrations if a.time == t]
        drugs = "/".join(sorted({a.drug for a in items}))
        total = sum((a.dose_mg for a in items), start=Fraction(0))
        lines.append(f"{t:%H:%M} {drugs} {float(total):g} mg: "
                     + " + ".join(a.short() for a in items))
    return "\n".join(lines) or "stop"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}%"


def print_plan(plan: TaperPlan, out: Console) -> None:
    drugs = sorted({s.drug for s in plan.steps})
    out.print(f"[bold]{plan.drug} taper[/] — {plan.strategy}, version {plan.version}: "
              f"{plan.start.isoformat()} to {plan.end.isoformat()} "
              f"({plan.total_days} days, {plan.total_days / 7:.1f} weeks)")
    # On a narrow terminal the administrations get their own list below the table, so that
    # neither the numbers nor the instructions are folded into unreadable slivers.
    inline = out.width >= _INLINE_TAKE_WIDTH
    t = Table(title="Schedule (week by week)", show_lines=False)
    for col in ("#", "weeks", "from", "mg/day", "change", "DZP eq", "occ.", "effect"):
        t.add_column(col, no_wrap=True)
    if inline:
        t.add_column("what to take", overflow="fold")
    for s in plan.steps:
        w0 = (s.start - plan.start).days // 7 + 1
        w1 = (s.end - plan.start).days // 7 + 1
        weeks = f"{w0}" if w0 == w1 else f"{w0}–{w1}"
        change = f"−{s.reduction_percent:.1f}%" if s.reduction_percent > 0 else s.kind
        mark = "*" if s.deviation else ""
        row = [str(s.index), weeks, s.start.isoformat(), f"{float(s.daily_total_mg):g}{mark}",
               change, f"{float(s.diazepam_equivalent_mg):g}", _pct(s.occupancy),
               _pct(s.effect)]
        t.add_row(*row, *([_take(s)] if inline else []))
    out.print(t)
    if not inline:
        out.print("What to take at each step:", markup=False)
        for s in plan.steps:
            take = _take(s).replace("\n", "\n      ")
            out.print(f"  {s.index:>2}. from {s.start.isoformat()}: {take}", markup=False,
                      highlight=False)
    out.print(f"mg/day: daily total of {' then '.join(drugs)}; DZP eq: diazepam-equivalent "
              f"mg/day ({plan.parameters.get('report_table', '')} table).", markup=False)
    if any(s.deviation for s in plan.steps):
        out.print("* the givable dose differs from the strategy's target (see --json "
                  "'deviation')", markup=False)
    d = Table(title="Dispensing per fill")
    for col in ("from", "to", "product", "uses", "dispense"):
        d.add_column(col)
    for f in plan.dispensing:
        for i, item in enumerate(f.items):
            unit = "mL" if item.product.liquid else "tablets"
            d.add_row(f.start.isoformat() if i == 0 else "", f.end.isoformat() if i == 0 else "",
                      f"{item.product.drug} {item.product.label}",
                      f"{float(item.quantity):g} {unit}", f"{float(item.dispense):g} {unit}")
    out.print(d)
    for n in plan.notes:
        out.print(f"• {n}", markup=False, highlight=False)
    for fnd in plan.findings:
        colour = {"contraindicated": "red", "major": "red", "moderate": "yellow",
                  "minor": "yellow"}.get(fnd.severity, "cyan")
        out.print(f"[{colour}]{fnd.severity.upper()}[/] {fnd.code}: ", end="")
        out.print(f"{fnd.message} [{fnd.source}]", markup=False, highlight=False)


@app.command("taper")
def taper_command(
    drug: str = typer.Argument(..., help="Drug now taken, e.g. clonazepam or Klonopin"),
    dose: str = typer.Option(..., "--dose", help='Dose per time, e.g. "1 mg", or one per '
                             'time: "0.5 mg,1 mg"'),
    at: str = typer.Option("08:00,20:00", "--at", help="Dose times, e.g. 08:00,20:00"),
    years: float = typer.Option(1.0, "--years", help="How long the drug has been taken (years)"),
    strategy: str = typer.Option("fixed-fraction", "--strategy",
                                 help="fixed-fraction, hyperbolic, linear or crossover"),
    interval: str = typer.Option("2w", "--interval", help="Time between steps, e.g. 2w or 3d"),
    max_step: str = typer.Option("10%", "--max-step",
                                 help='Largest step: a percentage of the current dose ("10%") '
                                 'or an amount per day ("0.25 mg")'),
    start: str = typer.Option(..., "--start", help="First day of the plan (YYYY-MM-DD)"),
    market: str = typer.Option("US", "--market", help="Market whose products are available"),
    liquid: str | None = typer.Option(None, "--liquid", help='Oral liquid strength, e.g. '
                                      '"0.1 mg/mL"'),
    measure: str | None = typer.Option(None, "--measure", help='Smallest volume the patient '
                                       'can measure, e.g. "0.1 mL"'),
    to: str = typer.Option("diazepam", "--to", help="Crossover: the drug to switch to"),
    then: str = typer.Option("fixed-fraction", "--then",
                             help="Crossover: how the new drug is tapered"),
    equivalence: str | None = typer.Option(None, "--equivalence",
                                           help="Crossover: equivalence table (ashton, va-dod) or "
                                           "your own, e.g. '0.5 mg = 10 mg'"),
    indication: str | None = typer.Option(None, "--indication", help="e.g. panic-disorder"),
    insomnia: bool = typer.Option(False, "--insomnia", help="Sleep is the problem: keep the "
                                  "night dose longest"),
    seizures: bool = typer.Option(False, "--seizures", help="History of seizures"),
    age: int | None = typer.Option(None, "--age", help="Age in years"),
    quarters: bool = typer.Option(False, "--quarters", help="Allow quartering scored tablets"),
    halves: bool = typer.Option(True, "--halves/--no-halves", help="Allow halving scored "
                                "tablets"),
    odt: bool = typer.Option(True, "--odt/--no-odt", help="Allow orally disintegrating "
                             "tablets"),
    night_last: bool | None = typer.Option(None, "--night-last/--balanced",
                                           help="Reduce day doses first (night kept longest), "
                                           "or keep doses even"),
    fill: str = typer.Option("28d", "--fill", help="Dispensing period, e.g. 28d"),
    effect_step: float | None = typer.Option(None, "--effect-step",
                                             help="Hyperbolic: effect removed per step "
                                             "(percentage points)"),
    ec50: str | None = typer.Option(None, "--ec50", help='Hyperbolic: EC50 of the effect '
                                    'curve, e.g. "10 ng/mL"'),
    as_json: bool = typer.Option(False, "--json", help="Print the whole plan as JSON."),
    plot: str | None = typer.Option(None, "--plot", help="Write the taper chart (PNG)"),
    ics: str | None = typer.Option(None, "--ics", help="Write the schedule as iCalendar"),
) -> None:
    """Plan a taper: givable steps within guideline limits, dispensing list, findings."""
    request = request_from_options(
        drug, dose, at, years=years, strategy=strategy, interval=interval, max_step=max_step,
        start=start, market=market, liquid=liquid, measure=measure, to=to, then=then,
        equivalence=equivalence, indication=indication, insomnia=insomnia, seizures=seizures,
        age=age, quarters=quarters, halves=halves, odt=odt, night_last=night_last, fill=fill,
        effect_step=effect_step, ec50=ec50)
    plan = plan_taper(request)
    if plot:
        from benzoplan.reports.taper_plot import plot_taper

        plot_taper(plan, plot)
    if ics:
        from benzoplan.reports.ics import write_plan_ics

        write_plan_ics(plan, ics)
    if as_json:
        emit_json(plan.to_json())
        return
    print_plan(plan, console)
    for label, path in (("chart", plot), ("calendar", ics)):
        if path:
            console.print(f"Wrote the {label} to {path}", markup=False)


def demo_taper(out: Console) -> None:
    """`benzoplan demo`: a hyperbolic taper for the sample patient, with its chart."""
    import tempfile

    from benzoplan.reports.taper_plot import plot_taper

    request = request_from_options(
        "clonazepam", "1 mg", "08:00,20:00", years=7, strategy="hyperbolic", interval="2w",
        max_step="10%", start="2026-12-01", market="US", liquid="0.1 mg/mL", measure="0.1 mL",
        to="diazepam", then="fixed-fraction", equivalence=None, indication="panic-disorder",
        insomnia=False, seizures=False, age=46, quarters=False, halves=True, odt=True,
        night_last=None, fill="28d", effect_step=None, ec50=None)
    plan = plan_taper(request)
    curve = plan.parameters["effect_curve"]
    out.print("benzoplan taper clonazepam --dose '1 mg' --at 08:00,20:00 --years 7 --strategy "
              "hyperbolic --interval 2w --max-step 10% --start 2026-12-01 --market US "
              "--liquid '0.1 mg/mL' --measure '0.1 mL'", markup=False, style="dim")
    out.print(f"{len(plan.steps)} steps from {plan.start} to {plan.end} "
              f"({plan.total_days / 7:.0f} weeks). Effect curve: Emax "
              f"{curve['emax_percent']:g}%, EC50 {curve['ec50']['value']:.3g} ng/mL (a named "
              f"assumption, --ec50 to change it); each step removes "
              f"{curve['effect_step']:.2f} points of predicted effect, never more than 10% of "
              "the dose.", markup=False)
    t = Table()
    for col in ("#", "from", "mg/day", "change", "effect", "08:00", "20:00"):
        t.add_column(col)
    n = len(plan.steps)
    shown = sorted({*range(5), *range(9, n - 4, 6), *range(n - 4, n)})
    for i in shown:
        s = plan.steps[i]
        by_time = {f"{tm:%H:%M}": " + ".join(a.short() for a in s.administrations
                                             if a.time == tm)
                   for tm in {a.time for a in s.administrations}}
        t.add_row(str(s.index), s.start.isoformat(), f"{float(s.daily_total_mg):g}",
                  f"−{s.reduction_percent:.1f}%", _pct(s.effect),
                  by_time.get("08:00", "—"), by_time.get("20:00", "—"))
    out.print(t)
    first = plan.dispensing[0]
    out.print(f"First fill {first.start} – {first.end}: " + "; ".join(
        f"{float(i.dispense):g} {'mL' if i.product.liquid else 'tablets'} of "
        f"{i.product.label}" for i in first.items), markup=False)
    for f in plan.findings:
        out.print(f"{f.severity.upper()} {f.code}: {f.message} [{f.source}]", markup=False)
    fd, path = tempfile.mkstemp(prefix="benzoplan-taper-", suffix=".png")
    import os

    os.close(fd)
    plot_taper(plan, path)
    out.print(f"Chart: {path}", markup=False)
