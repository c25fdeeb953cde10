"""`benzoplan check patient.json` and `benzoplan dose <drug> --indication ...`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from benzoplan.cli.app import app, console, emit_json
from benzoplan.errors import InputError
from benzoplan.safety import CheckResult, DosingProposal, PatientRecord, check, propose_dosing
from benzoplan.safety.patient import weight_kg_from

JSON = typer.Option(False, "--json", help="Print JSON with stable keys.")
_STYLE = {"contraindicated": "bold red", "major": "red", "moderate": "yellow", "minor": "cyan",
          "info": "dim"}


def _read_patient(path: Path) -> PatientRecord:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read patient file '{path}': {exc.strerror}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"patient file '{path}' is not valid JSON: {exc}") from None
    return PatientRecord.from_json(obj)


def _date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--today '{text}' is not a date (YYYY-MM-DD)") from None


def print_result(result: CheckResult, out: Console, *, compact: bool = False) -> None:
    """The findings (a table, or one line each), unresolved items, dependence, monitoring."""
    for f in result.urgent:
        out.print(f"[bold red]URGENT: {escape(f.message)}[/]", highlight=False)
        if f.emergency:
            out.print(f"[bold]{escape(f.emergency)}[/]", highlight=False)
    if result.findings and compact:
        for f in result.findings:
            out.print(f"[{_STYLE[f.severity]}]{f.severity:>15}[/] {f.code}: {escape(f.message)} "
                      f"[dim]({f.source.key})[/]", highlight=False)
    elif result.findings:
        t = Table(title="Findings (most severe first)", show_lines=True)
        for col in ("severity", "code", "finding and action", "source"):
            t.add_column(col)
        for f in result.findings:
            t.add_row(f"[{_STYLE[f.severity]}]{f.severity}[/]", f.code,
                      f"{escape(f.message)}\n[dim]Action:[/] {escape(f.action)}", f.source.key)
        out.print(t)
    else:
        out.print("No findings.")
    for u in result.unresolved:
        value = f" '{u.value}'" if u.value else ""
        out.print(f"[yellow]Unresolved[/] {escape(u.field + value)}: {escape(u.reason)}",
                  highlight=False)
    d = result.dependence
    out.print(f"Dependence risk: {d.band} (score {d.score}; {d.describe()}). "
              f"Screen with the {d.screening}.", markup=False, highlight=False)
    for s in result.monitoring:
        state = "OVERDUE" if s.overdue else "due"
        out.print(f"Monitoring: {s.label} {state} {s.due.isoformat()} "
                  f"(every {s.interval_days} days; assumption: {s.assumption})",
                  markup=False, highlight=False)


@app.command("check")
def check_cmd(
    patient_file: Path = typer.Argument(..., help="Patient JSON file (see examples/)"),
    as_json: bool = JSON,
    today: str | None = typer.Option(None, "--today", help="Check as of this date (YYYY-MM-DD)."),
) -> None:
    """Check a patient and regimen against benzoplan's sourced safety rules."""
    result = check(_read_patient(patient_file), today=_date(today))
    if as_json:
        emit_json(result.to_json())
        return
    print_result(result, console)


def print_dosing(p: DosingProposal, out: Console) -> None:
    label = "on-label" if p.on_label else "off-label"
    who = p.population.replace("_", " ")
    out.print(f"[bold]{escape(p.drug)}[/] for {escape(p.indication)} ({who}, {label}); "
              f"source {p.source}", highlight=False)
    per = "per day" if p.start_per == "day" else "per dose"
    split = f" in {p.divided_doses} divided doses" if p.divided_doses else ""
    timing = f" {p.timing}" if p.timing else ""
    out.print(f"Start: {p.start} {per}{split}{timing}", highlight=False)
    if p.start_products:
        out.print(f"Each dose ({p.per_dose}): "
                  + " or ".join(o.describe() for o in p.start_products), highlight=False)
    if p.titration:
        t = Table(title="Titration")
        for col in ("day", "daily total", "each dose", "with", ""):
            t.add_column(col)
        for s in p.titration:
            how = s.products[0].describe() if s.products else "no exact product"
            t.add_row(str(s.day), str(s.daily_total), str(s.per_dose), how,
                      "if needed" if s.if_needed else "")
        out.print(t)
    if p.maximum is not None:
        out.print(f"Maximum: {p.maximum} {'per day' if p.maximum_per == 'day' else 'per dose'}",
                  highlight=False)
    else:
        out.print("Maximum: no label maximum (off-label use)")
    if p.max_duration_days:
        out.print(f"Advised course: at most {p.max_duration_days} days", highlight=False)
    for n in p.notes:
        out.print(f"- {n}", markup=False, highlight=False)
    for a in p.assumptions:
        out.print(f"Assumption '{a}'", markup=False, highlight=False)


@app.command("dose")
def dose_cmd(
    drug: str = typer.Argument(..., help="Drug, brand or synonym"),
    indication: str = typer.Option(..., "--indication", help="e.g. panic-disorder, "
                                   "seizure-disorders, insomnia, opioid-withdrawal"),
    weight: str | None = typer.Option(None, "--weight", help="Body weight, e.g. 25kg"),
    age: float | None = typer.Option(None, "--age", help="Age in years"),
    market: str = typer.Option("US", "--market", help="Label market (US, UK)"),
    as_json: bool = JSON,
) -> None:
    """Propose a start and titration within the label ceilings (weight-based for children)."""
    p = propose_dosing(drug, indication, weight_kg=weight_kg_from(weight), age_years=age,
                       market=market)
    if as_json:
        emit_json(p.to_json())
        return
    print_dosing(p, console)


DEMO_PATIENT = {
    "id": "demo-sample",
    "age_years": 46,
    "sex": "female",
    "weight": "70 kg",
    "conditions": ["panic-disorder", "depression"],
    "alcohol_use": "occasional",
    "drives": True,
    "medicines": ["oxycodone 5 mg as needed for back pain"],
    "regimen": {
        "drug": "clonazepam",
        "indication": "panic-disorder",
        "start_date": "2019-03-01",
        "schedule": [{"time": "08:00", "dose": "1 mg"}, {"time": "20:00", "dose": "1 mg"}],
    },
    "monitoring": {"complete-blood-count": "2025-02-10", "liver-function-tests": "2025-02-10"},
}


def demo_safety(out: Console) -> None:
    """The demo's sample patient (with oxycodone and occasional alcohol) through `check`."""
    out.print("Sample patient also takes oxycodone, drinks occasionally and drives.",
              highlight=False)
    print_result(check(PatientRecord.from_json(DEMO_PATIENT), today=dt.date.today()), out,
                 compact=True)
