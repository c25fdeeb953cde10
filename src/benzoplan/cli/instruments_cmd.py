"""`benzoplan score NAME answers.json`, `benzoplan instruments list|show`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from benzoplan.cli.app import app, console, emit_json
from benzoplan.errors import InputError
from benzoplan.instruments import get_instrument, instrument_json, list_instruments, score

instruments_app = typer.Typer(help="Validated questionnaires and their scoring.",
                              no_args_is_help=True)
app.add_typer(instruments_app, name="instruments")

JSON = typer.Option(False, "--json", help="Print JSON with stable keys.")


def read_json_file(path: Path, what: str) -> Any:
    """Read a JSON file given on the command line; InputError on a missing or malformed file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {what} file {path}: {exc.strerror}", field=what) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} file {path} is not valid JSON: {exc.msg} at line {exc.lineno}",
                         field=what) from None


@app.command("score")
def score_cmd(name: str = typer.Argument(..., help="ciwa-b, bwsq, sds, isi, phq-9, cows, c-ssrs"),
              answers: Path = typer.Argument(..., help="JSON object: item number → value"),
              as_json: bool = JSON) -> None:
    """Score a complete response set: total, subscales, band, the items behind it, alerts."""
    inst = get_instrument(name)
    result = score(inst, read_json_file(answers, "answers"))
    if as_json:
        emit_json(result.to_json())
        return
    b = result.band
    mark = "" if b.verified else " (band unverified — see source)"
    console.print(f"[bold]{escape(inst.title)}[/]: total {result.total} of {result.max_total} — "
                  f"{escape(b.label)}{mark} {escape(f'[{b.source}]')}", highlight=False)
    for sub, value in result.subscales.items():
        console.print(f"  subscale {sub}: {value}", markup=False)
    if result.drivers:
        console.print("  behind the band: " + ", ".join(
            f"item {d.item} {d.domain} = {d.value}" for d in result.drivers), markup=False)
    for a in result.alerts:
        console.print(f"[bold red]{a.level.upper()}[/] {escape(a.why)}", highlight=False)
        console.print(f"  action: {a.action} [{a.source}]", markup=False)


@instruments_app.command("list")
def instruments_list(as_json: bool = JSON) -> None:
    """List every instrument with its range, bands and licence."""
    insts = list_instruments()
    if as_json:
        emit_json([{"name": i.name, "title": i.title, "items": len(i.items),
                    "min_total": i.min_total, "max_total": i.max_total,
                    "text_included": i.licence.redistribute_text, "loinc": i.loinc,
                    "source": i.source} for i in insts])
        return
    t = Table(title="benzoplan instruments")
    for col in ("name", "title", "items", "range", "bands", "item text"):
        t.add_column(col)
    for i in insts:
        t.add_row(i.name, i.title, str(len(i.items)), f"{i.min_total}–{i.max_total}",
                  ", ".join(f"{b.low}–{b.high} {b.code}{'' if b.verified else '*'}"
                            for b in i.bands),
                  "included" if i.licence.redistribute_text else "domains only")
    console.print(t)
    console.print("* band not verified against its primary source")


@instruments_app.command("show")
def instruments_show(name: str = typer.Argument(..., help="Instrument name"),
                     as_json: bool = JSON) -> None:
    """Items with their allowed values, bands with sources, licence."""
    inst = get_instrument(name)
    if as_json:
        emit_json(instrument_json(inst))
        return
    console.print(f"[bold]{escape(inst.title)}[/] — {escape(inst.description)}", highlight=False)
    console.print(f"Timeframe: {inst.timeframe}. Licence: {inst.licence.note}", markup=False)
    t = Table(title="Items")
    for col in ("#", "domain", "part", "text", "allowed values"):
        t.add_column(col)
    for it in inst.items:
        t.add_row(str(it.number), it.domain, it.part, it.text or "(licensed text)",
                  ", ".join(f"{o.value}={o.label}" for o in it.options))
    console.print(t)
    bt = Table(title="Bands")
    for col in ("range", "band", "verified", "source"):
        bt.add_column(col)
    for b in inst.bands:
        bt.add_row(f"{b.low}–{b.high}", b.label, "yes" if b.verified else "no", b.source)
    console.print(bt)
