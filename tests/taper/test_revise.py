import datetime as dt

import pytest

from benzoplan.errors import InputError
from benzoplan.taper import TaperPlan, TaperRequest, plan_taper

from .conftest import regimen

AT = dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC)


def _plan() -> TaperPlan:
    return plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "1 mg"), ("20:00", "1 mg")),
        start=dt.date(2026, 12, 1), years_of_use=3))


def test_hold_makes_new_version_with_reason_and_diff() -> None:
    plan = _plan()
    eff = dt.date(2026, 12, 20)  # inside step 2 (15–28 Dec)
    held = plan.revise("hold", effective=eff, reason="rebound insomnia", author="dr a",
                       days=14, at=AT)
    assert plan.version == 1 and held.version == 2
    assert plan.steps[1].days == 14  # the old plan is unchanged
    assert held.end == plan.end + dt.timedelta(days=14)
    s = held.step_on(eff)
    assert s is not None and s.kind == "hold" and "rebound insomnia" in s.reason
    assert s.daily_total_mg == plan.step_on(eff).daily_total_mg  # type: ignore[union-attr]
    assert held.step_on(eff + dt.timedelta(days=13)).kind == "hold"  # type: ignore[union-attr]
    rev = held.revisions[-1]
    assert (rev.kind, rev.reason, rev.author, rev.version, rev.at) == (
        "hold", "rebound insomnia", "dr a", 2, AT)
    assert rev.diff and {d["change"] for d in rev.diff} <= {"changed", "added", "removed"}
    j = held.to_json()
    assert j["version"] == 2 and j["revisions"][0]["reason"] == "rebound insomnia"
    assert TaperPlan.from_json(j) == held


def test_slow_then_resume_restores_pace() -> None:
    plan = _plan()
    eff = dt.date(2027, 1, 12)  # start of step 4
    slowed = plan.revise("slow", effective=eff, reason="anxiety up", author="dr b", factor=2.0,
                         at=AT)
    assert slowed.steps[3].days == 28 and slowed.steps[2].days == 14
    later = dt.date(2027, 3, 9)
    resumed = slowed.revise("resume", effective=later, reason="settled", author="dr b", at=AT)
    assert resumed.version == 3 and len(resumed.revisions) == 2
    assert resumed.end < slowed.end
    assert all(s.days == s.base_days for s in resumed.steps if s.start > later)


def test_resume_ends_a_hold_early() -> None:
    plan = _plan()
    held = plan.revise("hold", effective=dt.date(2026, 12, 15), reason="r", author="a",
                       days=28, at=AT)
    resumed = held.revise("resume", effective=dt.date(2026, 12, 29), reason="better",
                          author="a", at=AT)
    # the next reduction comes on the resume day, as in the original plan
    assert resumed.end == plan.end == held.end - dt.timedelta(days=28)


@pytest.mark.parametrize(("kind", "kwargs", "message"), [
    ("slow", {"factor": 1.0}, "factor above 1"),
    ("slow", {}, "factor above 1"),
    ("hold", {"days": 0}, "1–365 days"),
    ("resume", {}, "nothing to resume"),
    ("pause", {}, "unknown revision"),
])
def test_bad_revisions(kind: str, kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _plan().revise(kind, effective=dt.date(2026, 12, 20), reason="r", author="a",  # type: ignore[arg-type]
                       **kwargs)


def test_revision_needs_reason_author_and_open_plan() -> None:
    plan = _plan()
    with pytest.raises(InputError, match="reason"):
        plan.revise("hold", effective=plan.start, reason=" ", author="a")
    with pytest.raises(InputError, match="author"):
        plan.revise("hold", effective=plan.start, reason="r", author="")
    with pytest.raises(InputError, match="ends on"):
        plan.revise("hold", effective=plan.end, reason="r", author="a")
