"""`benzoplan simulate` and the PK chart."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benzoplan.cli import app
from benzoplan.errors import InputError
from benzoplan.pk import Regimen, simulate
from benzoplan.reports import plot_simulation
from benzoplan.units import Dose

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_simulate_json_contract() -> None:
    code, out, _ = run("simulate", "clonazepam", "--dose", "0.5 mg", "--at", "22:00",
                       "--days", "14", "--json")
    assert code == 0
    d = json.loads(out)
    s = d["summary"]
    for key in ("cmax", "tmax", "half_life", "trough", "time_to_90pct_steady_state",
                "accumulation_ratio", "next_morning_residual_fraction", "occupancy_peak"):
        assert key in s
    assert s["cmax"]["unit"] == "ng/mL" and s["tmax"]["unit"] == "h"
    assert s["occupancy_peak"]["unit"] == "%"
    assert 0 < s["next_morning_residual_fraction"] < 1
    assert len(d["series"]["time"]) == len(d["series"]["concentration"])
    assert "percentiles" not in d


def test_single_morning_dose_has_no_residual_and_population_percentiles() -> None:
    code, out, _ = run("simulate", "Klonopin", "--dose", "1 mg", "--at", "08:00",
                       "--population", "200", "--age", "70", "--weight", "60", "--with",
                       "carbamazepine", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["summary"]["next_morning_residual_fraction"] is None
    assert d["summary"]["trough"] is None
    assert set(d["percentiles"]) == {"p5", "p50", "p95"}
    assert d["percentiles"]["p5"]["cmax"]["value"] < d["percentiles"]["p95"]["cmax"]["value"]
    assert any("carbamazepine" in a for a in d["adjustments"])


def test_simulate_human_output_and_plot(tmp_path: Path) -> None:
    png = tmp_path / "pk.png"
    code, out, _ = run("simulate", "clonazepam", "--dose", "1 mg", "--at", "08:00,20:00",
                       "--days", "3", "--model", "kruizinga-2022", "--plot", str(png))
    assert code == 0, out
    assert "kruizinga-2022" in out and "Assumptions" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args,needle", [
    (("--dose", "0.5"), "unit"),
    (("--dose", "-1 mg"), "negative"),
    (("--dose", "0.5 mg", "--age", "250"), "age"),
    (("--dose", "0.5 mg", "--weight", "0"), "weight"),
    (("--dose", "0.5 mg", "--with", "carbamazapine"), "carbamazepine"),
    (("--dose", "0.5 mg", "--at", "25:00"), "25:00"),
    (("--dose", "0.5 mg", "--until", "30"), "unit"),
    (("--dose", "0.5 mg", "--model", "nope"), "nope"),
    (("--dose", "0.5 mg", "--plot", "x.pdf"), ".png"),
])
def test_bad_input_exits_2(args: tuple[str, ...], needle: str) -> None:
    code, _, err = run("simulate", "clonazepam", *args)
    assert code == 2
    assert needle in err


def test_unknown_drug_exits_2() -> None:
    code, _, err = run("simulate", "clonazepan", "--dose", "1 mg")
    assert code == 2 and "clonazepam" in err


def test_plot_svg_with_population_band(tmp_path: Path) -> None:
    res = simulate(Regimen.daily("diazepam", Dose("5 mg"), at="22:00", days=3), population=50)
    out = plot_simulation(res, tmp_path / "sub" / "pk.svg")
    text = out.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    with pytest.raises(InputError):
        plot_simulation(res, tmp_path / "pk.jpg")


def test_demo_shows_two_weeks_and_residual() -> None:
    code, out, _ = run("demo")
    assert code == 0
    assert "first two weeks" in out and "Next-morning residual" in out
