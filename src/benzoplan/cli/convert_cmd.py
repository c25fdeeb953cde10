"""`benzoplan convert "2 mg clonazepam" --to diazepam`."""

from __future__ import annotations

import re

import typer
from rich.table import Table

from benzoplan.cli.app import app, console, emit_json
from benzoplan.drugs import convert
from benzoplan.errors import InputError
from benzoplan.units import Dose

_SPEC = re.compile(r"^\s*(?P<dose>\S+\s*[A-Za-zµμ]+)\s+(?P<drug>.+?)\s*$")


def parse_dose_and_drug(text: str) -> tuple[Dose, str]:
    """Split "2 mg clonazepam" (or "2mg Klonopin") into a dose and a drug name."""
    m = _SPEC.match(text)
    if not m:
        raise InputError(f"'{text}' is not '<amount> <unit> <drug>', e.g. '2 mg clonazepam'",
                         field="dose")
    return Dose(m.group("dose")), m.group("drug")


@app.command("convert")
def convert_command(
    spec: str = typer.Argument(..., help='Dose and drug, e.g. "2 mg clonazepam"'),
    to: str = typer.Option(..., "--to", help="Target drug, e.g. diazepam"),
    table: str | None = typer.Option(None, "--table", help="Equivalence table (default: ashton)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON with stable keys."),
) -> None:
    """Approximate equivalent dose of another benzodiazepine, with range and sources."""
    dose, drug = parse_dose_and_drug(spec)
    c = convert(dose, drug, to=to, table=table)
    if as_json:
        emit_json(c.to_json())
        return
    console.print(f"{c.dose} {c.drug} ≈ [bold]{c.equivalent} {c.to}[/] ({c.table} table); "
                  f"range across tables {c.low}–{c.high}")
    t = Table()
    t.add_column("table")
    t.add_column(f"{c.to} equivalent")
    for name, d in c.by_table:
        t.add_row(name, str(d))
    console.print(t)
    console.print(f"Sources: {', '.join(c.sources)}")
    console.print(f"[yellow]{c.note}[/]")
