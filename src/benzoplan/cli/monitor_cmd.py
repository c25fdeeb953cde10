"""`benzoplan monitor --plan plan.json --diary diary.jsonl [--today DATE] [--json]`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from benzoplan.cli.app import app, console, emit_json
from benzoplan.cli.instruments_cmd import read_json_file
from benzoplan.errors import InputError
from benzoplan.monitoring import MonitoringResult, evaluate

_STYLE = {"urgent": "bold red", "warning": "yellow", "info": "cyan"}


def read_diary(path: Path) -> list[dict[str, Any]]:
    """One JSON object per line; blank lines ignored; InputError naming the line otherwise."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read diary file {path}: {exc.strerror}", field="diary") from None
    out: list[dict[str, Any]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"diary file {path}, line {n}: not valid JSON ({exc.msg})",
                             field="diary") from None
        if not isinstance(obj, dict):
            raise InputError(f"diary file {path}, line {n}: expected a JSON object",
                             field="diary")
        out.append(obj)
    return out


def print_result(result: MonitoringResult, out: Console) -> None:
    if not result.alerts and not result.proposals:
        out.print(f"No alerts or proposals for {result.today.isoformat()} "
                  f"({result.entries} entries).")
    for a in result.alerts:
        out.print(f"[{_STYLE[a.level]}]{a.level.upper()}[/] {escape(a.why)}", highlight=False)
        out.print(f"  action: {a.action}", markup=False, highlight=False)
        mark = " (threshold is a documented assumption)" if a.assumption else ""
        out.print(f"  rule {a.rule}; source {a.source}{mark}; entries: "
                  f"{', '.join(a.entries)}", markup=False, highlight=False)
    for p in result.proposals:
        params = (f"{p.days} days" if p.days is not None else
                  f"factor {p.factor:g}" if p.factor is not None else "")
        out.print(f"[bold]PROPOSAL[/] {p.kind} {params} from {p.effective.isoformat()}: "
                  f"{escape(p.why)}", highlight=False)
        out.print(f"  rule {p.rule}; source {p.source}; entries: {', '.join(p.entries)}",
                  markup=False, highlight=False)
    if result.proposals:
        out.print("Proposals change nothing by themselves: a clinician decides and applies them.")


@app.command("monitor")
def monitor_cmd(plan: Path = typer.Option(..., "--plan", help="Plan JSON (benzoplan taper --json)"),
                diary: Path = typer.Option(..., "--diary", help="Diary, one JSON entry a line"),
                today: str = typer.Option(None, "--today", help="Evaluation date (ISO); "
                                          "default: today"),
                as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Evaluate a diary against a plan: red-flag alerts and hold/slow/resume proposals."""
    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        raise InputError(f"--today must be an ISO date, got {today!r}", field="today") from None
    result = evaluate(read_json_file(plan, "plan"), read_diary(diary), today=day)
    if as_json:
        emit_json(result.to_json())
        return
    print_result(result, console)
