"""Proposals applied to real taper plans (benzoplan.taper), and the demo section."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from benzoplan.cli import app
from benzoplan.cli.monitor_demo import START, sample_plan, two_week_diary
from benzoplan.monitoring import PlanView, evaluate
from benzoplan.taper import TaperPlan


def test_rising_withdrawal_hold_gives_new_plan_version() -> None:
    plan = sample_plan()
    today = START + dt.timedelta(days=13)
    result = evaluate(plan, two_week_diary(plan), today=today)
    assert [p.kind for p in result.proposals] == ["hold"]
    revised = result.proposals[0].apply_to(plan, author="Dr A")
    assert isinstance(revised, TaperPlan)
    assert (plan.version, revised.version) == (1, 2) and plan.revisions == ()
    rev = revised.revisions[-1]
    assert (rev.kind, rev.effective, rev.days, rev.author) == ("hold", today, 14, "Dr A")
    assert "worsening.checklist-rise" in rev.reason
    # the engine sees the hold in the new version: the same diary proposes nothing more
    assert PlanView.of(revised).hold_in_effect(today) is not None
    assert evaluate(revised, two_week_diary(plan), today=today).proposals == ()
    # still worse on 3 days during the hold → slow the remaining plan
    diary = two_week_diary(plan)
    for n in range(14, 17):
        d = (START + dt.timedelta(days=n)).isoformat()
        diary.append({"kind": "symptoms", "date": d,
                      "ratings": {"anxiety": 3, "insomnia": 3, "headache": 3, "tremor": 2}})
    again = evaluate(revised, diary, today=START + dt.timedelta(days=16))
    assert [p.kind for p in again.proposals] == ["slow"]
    slowed = again.proposals[0].apply_to(revised, author="Dr A")
    assert slowed.version == 3 and slowed.revisions[-1].factor == 2.0


def test_improvement_during_hold_resumes_real_plan() -> None:
    plan = sample_plan()
    today = START + dt.timedelta(days=13)
    held = evaluate(plan, two_week_diary(plan), today=today).proposals[0].apply_to(
        plan, author="Dr A")
    diary = two_week_diary(plan)
    for n in range(14, 17):
        d = (START + dt.timedelta(days=n)).isoformat()
        diary.append({"kind": "symptoms", "date": d, "ratings": {"anxiety": 1, "insomnia": 1}})
    later = START + dt.timedelta(days=16)
    result = evaluate(held, diary, today=later)
    assert [p.kind for p in result.proposals] == ["resume"]
    resumed = result.proposals[0].apply_to(held, author="Dr A")
    assert resumed.version == 3 and resumed.revisions[-1].kind == "resume"


def test_monitor_cli_reads_taper_json(tmp_path: Path) -> None:
    plan = sample_plan()
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_json()))
    (tmp_path / "diary.jsonl").write_text(
        "\n".join(json.dumps(e) for e in two_week_diary(plan)))
    r = CliRunner().invoke(app, ["monitor", "--plan", str(tmp_path / "plan.json"), "--diary",
                                 str(tmp_path / "diary.jsonl"), "--today", "2026-12-14",
                                 "--json"])
    assert r.exit_code == 0, r.stderr
    assert [p["kind"] for p in json.loads(r.stdout)["proposals"]] == ["hold"]


def test_demo_shows_hold_and_new_version() -> None:
    r = CliRunner().invoke(app, ["demo"])
    assert r.exit_code == 0, r.stderr
    assert "PROPOSAL hold 14 days" in r.stdout and "plan version 1 → 2" in r.stdout
