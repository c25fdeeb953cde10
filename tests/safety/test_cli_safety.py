"""`benzoplan check` and `benzoplan dose` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benzoplan.cli import app

from .helpers import patient_dict

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_check_json_contract() -> None:
    r = runner.invoke(app, ["check", str(EXAMPLES / "patient-sample.json"), "--json",
                            "--today", "2026-11-24"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) >= {"findings", "unresolved"}
    codes = [f["code"] for f in data["findings"]]
    assert "opioid-co-use" in codes
    assert data["unresolved"][0]["value"] == "sertraline 50 mg"


def test_check_table() -> None:
    r = runner.invoke(app, ["check", str(EXAMPLES / "patient-sample.json"),
                            "--today", "2026-11-24"])
    assert r.exit_code == 0 and "opioid-co-use" in r.stdout


def test_check_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps(patient_dict(age_years=250)))
    r = runner.invoke(app, ["check", str(bad)])
    assert r.exit_code == 2 and "age_years" in r.stderr
    bad.write_text("{not json")
    r = runner.invoke(app, ["check", str(bad)])
    assert r.exit_code == 2 and "not valid JSON" in " ".join(r.stderr.split())
    r = runner.invoke(app, ["check", str(tmp_path / "missing.json")])
    assert r.exit_code == 2 and "cannot read" in " ".join(r.stderr.split())


def test_check_urgent_banner(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps(patient_dict(overdose_signs=["unresponsive"])))
    r = runner.invoke(app, ["check", str(f), "--today", "2026-11-24"])
    assert r.exit_code == 0 and "URGENT" in r.stdout


def test_dose_json_contract() -> None:
    r = runner.invoke(app, ["dose", "clonazepam", "--indication", "seizures", "--weight",
                            "25kg", "--age", "8", "--json"])
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["start"] == {"value": 0.25, "unit": "mg"}
    assert d["maximum"] == {"value": 5, "unit": "mg"}
    assert d["titration"][0]["day"] == 0 and d["sources"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["dose", "clonazepam", "--indication", "panic-disorder", "--weight", "25kg",
          "--age", "8"], "under 18"),
        (["dose", "clonazepam", "--indication", "seizures", "--weight", "25"], "no unit"),
        (["dose", "klonopn", "--indication", "seizures"], "did you mean"),
    ],
)
def test_dose_errors(args: list[str], words: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and words in " ".join(r.stderr.split())


def test_dose_table() -> None:
    r = runner.invoke(app, ["dose", "clonazepam", "--indication", "panic-disorder"])
    assert r.exit_code == 0 and "Titration" in r.stdout


def test_demo_shows_firing_finding() -> None:
    r = runner.invoke(app, ["demo"])
    assert r.exit_code == 0
    out = " ".join(r.stdout.split())
    assert "Safety check" in out and "opioid-co-use" in out


def test_check_prints_user_text_literally(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps(patient_dict(medicines=["[bold]mystery[/bold] pill", "oxycodone"])))
    r = runner.invoke(app, ["check", str(f), "--today", "2026-11-24"])
    assert r.exit_code == 0, r.stderr
    assert "[bold]mystery[/bold] pill" in " ".join(r.stdout.split())
