import json
from pathlib import Path

from typer.testing import CliRunner

from benzoplan.cli import app

from .helpers import plan_json, rising_diary, seizure

runner = CliRunner()


def write(tmp_path: Path, entries: list[dict[str, object]]) -> tuple[str, str]:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_json()))
    diary = tmp_path / "diary.jsonl"
    diary.write_text("\n".join(json.dumps(e) for e in entries) + "\n")
    return str(plan), str(diary)


def test_monitor_json_contract(tmp_path: Path) -> None:
    plan, diary = write(tmp_path, [*rising_diary(14), seizure(12)])
    r = runner.invoke(app, ["monitor", "--plan", plan, "--diary", diary, "--today",
                            "2026-03-14", "--json"])
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["alerts"][0]["level"] == "urgent" and d["alerts"][0]["entries"]
    assert {"level", "why", "action", "source", "entries"} <= set(d["alerts"][0])
    assert [p["kind"] for p in d["proposals"]] == ["hold"] and d["proposals"][0]["days"] == 14


def test_monitor_text(tmp_path: Path) -> None:
    plan, diary = write(tmp_path, rising_diary(14))
    r = runner.invoke(app, ["monitor", "--plan", plan, "--diary", diary, "--today",
                            "2026-03-14"])
    assert r.exit_code == 0 and "PROPOSAL hold 14 days" in r.stdout


def test_monitor_bad_line_and_future_entry(tmp_path: Path) -> None:
    plan, diary = write(tmp_path, rising_diary(3))
    Path(diary).write_text(Path(diary).read_text() + "{oops\n")
    r = runner.invoke(app, ["monitor", "--plan", plan, "--diary", diary, "--today",
                            "2026-03-14", "--json"])
    assert r.exit_code == 2 and "line 10" in r.stderr and r.stdout == ""
    plan, diary = write(tmp_path, rising_diary(14))
    r = runner.invoke(app, ["monitor", "--plan", plan, "--diary", diary, "--today",
                            "2026-03-10", "--json"])
    assert r.exit_code == 2 and "dated after today" in r.stderr and r.stdout == ""
