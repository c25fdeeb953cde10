import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from benzoplan.cli import app

runner = CliRunner()
BASE = ["taper", "clonazepam", "--dose", "1 mg", "--at", "08:00,20:00", "--years", "3",
        "--interval", "2w", "--max-step", "10%", "--start", "2026-12-01", "--market", "US"]


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_json_contract() -> None:
    code, out, _ = run(*BASE, "--strategy", "fixed-fraction", "--json")
    assert code == 0
    d = json.loads(out)
    for key in ("version", "drug", "strategy", "start", "end", "steps", "dispensing",
                "findings"):
        assert key in d
    assert d["version"] == 1 and d["drug"] == "clonazepam" and d["start"] == "2026-12-01"
    dt.date.fromisoformat(d["end"])
    s = d["steps"][0]
    for key in ("start", "end", "daily_total", "reduction_percent", "diazepam_equivalent",
                "occupancy", "effect", "administrations"):
        assert key in s
    assert s["daily_total"]["unit"] == "mg" and s["diazepam_equivalent"]["unit"] == "mg"
    a = s["administrations"][0]
    assert {"time", "drug", "product", "dose"} <= set(a) and ("count" in a or "volume" in a)
    assert a["product"]["form"] in ("tablet", "odt") and a["product"]["strength"]["unit"] == "mg"
    fill = d["dispensing"][0]
    assert {"from", "to", "items"} <= set(fill) and fill["items"][0]["quantity"]["value"] > 0
    f = d["findings"][0]
    assert {"severity", "code", "message", "rationale", "source"} <= set(f)


def test_liquid_and_table_output() -> None:
    code, out, _ = run(*BASE, "--liquid", "0.1 mg/mL", "--measure", "0.1 mL")
    assert code == 0 and "Dispensing" in out and "mL" in out


def test_crossover_cli(tmp_path: Path) -> None:
    ics = tmp_path / f"{uuid.uuid4().hex}.ics"
    code, out, err = run(*BASE, "--strategy", "crossover", "--to", "diazepam", "--ics", str(ics),
                         "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["steps"][0]["kind"] == "crossover"
    assert {a["drug"] for a in d["steps"][0]["administrations"]} == {"clonazepam", "diazepam"}
    cal = Calendar.from_ical(ics.read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    steps = d["steps"]
    reminders = [e for e in events if e.get("rrule")]
    assert len(events) - len(reminders) == len(steps)  # one event per step change
    assert any("diazepam" in str(e.get("summary")) for e in reminders)
    assert any("clonazepam" in str(e.get("summary")) for e in reminders)


def test_plot_written(tmp_path: Path) -> None:
    png = tmp_path / f"{uuid.uuid4().hex}.png"
    code, _, err = run(*BASE, "--plot", str(png))
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("extra", "message"), [
    (["--dose", "0.3 mg"], "cannot be given"),
    (["--interval", "0d"], "at least one day"),
    (["--max-step", "100%"], "below 100%"),
    (["--max-step", "150%"], "below 100%"),
    (["--start", "01/12/2026"], "not an ISO date"),
    (["--strategy", "fixed-fraction", "--max-step", "0.25 mg"], "needs the step as a "
     "percentage"),
    (["--strategy", "crossover", "--to", "Klonopin"], "needs another drug"),
    (["--market", "ES"], "no clonazepam products"),
    (["--strategy", "sideways"], "unknown strategy"),
    (["--liquid", "0.1 mg/mL"], "smallest volume"),
    (["--strategy", "crossover", "--equivalence", "half = 10 mg"], "is not '<clonazepam"),
])
def test_bad_input_exit_2(extra: list[str], message: str) -> None:
    args = list(BASE)
    for i in range(0, len(extra), 2):
        if extra[i] in args:
            args[args.index(extra[i]) + 1] = extra[i + 1]
        else:
            args += extra[i:i + 2]
    code, _, err = run(*args)
    assert code == 2 and message in " ".join(err.split())


def test_demo_shows_hyperbolic_taper_with_chart() -> None:
    code, out, err = run("demo")
    assert code == 0, err
    section = out.split("Taper plan: hyperbolic")[1]
    assert "EC50" in section and "effect" in section
    path = Path(section.split("Chart: ")[1].split()[0])
    try:
        assert path.read_bytes()[:4] == b"\x89PNG"
    finally:
        path.unlink()


@pytest.mark.parametrize(("width", "inline"), [(80, False), (200, True)])
def test_what_to_take_stays_readable_at_any_width(width: int, inline: bool) -> None:
    from rich.console import Console

    from benzoplan.cli.taper_cmd import print_plan
    from benzoplan.taper import ScheduledDose, StepLimit, TaperRequest, plan_taper
    from benzoplan.units import Dose

    plan = plan_taper(TaperRequest(
        drug="clonazepam",
        doses=(ScheduledDose(dt.time(8), Dose("1 mg")), ScheduledDose(dt.time(20), Dose("1 mg"))),
        start=dt.date(2026, 12, 1), strategy="fixed-fraction",
        max_step=StepLimit.parse("10%"), interval_days=14, years_of_use=3))
    console = Console(width=width, record=True, color_system=None)
    print_plan(plan, console)
    text = console.export_text()
    assert ("what to take" in text) is inline
    assert ("What to take at each step:" in text) is not inline
    first = plan.steps[0].administrations[0]
    assert f"{first.time:%H:%M} clonazepam" in text
