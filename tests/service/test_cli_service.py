"""`benzoplan db upgrade|current`, `benzoplan audit verify`, and the demo seed."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select, text
from typer.testing import CliRunner

from benzoplan.cli import app
from benzoplan.store import head_revision, make_engine, make_sessionmaker
from benzoplan.store.demo import seed_demo
from benzoplan.store.models import DiaryEntry, Regimen, User

runner = CliRunner()


def test_db_upgrade_then_audit_verify_then_tamper(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    r = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert r.exit_code == 0 and head_revision() in r.stdout  # type: ignore[operator]
    r = runner.invoke(app, ["db", "current", "--database-url", url])
    assert json.loads(r.stdout) == {"current": head_revision(), "head": head_revision()}
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        _pid, signins = seed_demo(s)
    assert {x.role for x in signins} == {"clinician", "pharmacist", "patient", "admin"}
    r = runner.invoke(app, ["audit", "verify", "--database-url", url, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["ok"] is True
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET actor_id = 'intruder' WHERE seq = 2"))
    engine.dispose()
    r = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert r.exit_code == 1 and "TAMPERED" in r.stderr and "event 2" in r.stderr


def test_audit_head_anchors_and_verify_detects_removed_newest_events(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'anchor.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    r = runner.invoke(app, ["audit", "head", "--database-url", url])
    assert r.exit_code == 2 and "empty" in r.stderr
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        seed_demo(s)
    r = runner.invoke(app, ["audit", "head", "--database-url", url, "--json"])
    assert r.exit_code == 0
    head = json.loads(r.stdout)
    plain = runner.invoke(app, ["audit", "head", "--database-url", url]).stdout.strip()
    assert plain == head["anchor"] == f"{head['seq']}:{head['hash']}"
    anchors = tmp_path / "anchors.log"
    anchors.write_text(f"# nightly heads\n{plain}\n{json.dumps(head)}\n")
    r = runner.invoke(app, ["audit", "verify", "--database-url", url, "--anchors", str(anchors)])
    assert r.exit_code == 0 and "1 anchors match" in r.stdout, r.stderr
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        conn.execute(text("DELETE FROM audit_events WHERE seq = :n"), {"n": head["seq"]})
    engine.dispose()
    assert runner.invoke(app, ["audit", "verify", "--database-url", url]).exit_code == 0
    r = runner.invoke(app, ["audit", "verify", "--database-url", url, "--anchor", plain])
    assert r.exit_code == 1 and "newest events were removed" in r.stderr
    r = runner.invoke(app, ["audit", "verify", "--database-url", url, "--anchor", "x:y"])
    assert r.exit_code == 2 and "SEQ:HASH" in r.stderr
    r = runner.invoke(app, ["audit", "verify", "--database-url", url, "--anchors",
                            str(tmp_path / "missing.log")])
    assert r.exit_code == 2 and "cannot read" in r.stderr


def test_demo_seed_has_a_clonazepam_patient_with_two_weeks_of_diary(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        pid, first = seed_demo(s)
        pid2, again = seed_demo(s)  # a second run resets passwords, adds nothing
        assert pid == pid2 and {x.username for x in first} == {x.username for x in again}
        assert {x.password for x in first}.isdisjoint({x.password for x in again})
        assert s.scalar(select(func.count()).select_from(User)) == 4
        reg = s.scalars(select(Regimen)).one()
        assert reg.drug == "clonazepam" and [a["dose"] for a in reg.schedule] == [
            {"value": 1, "unit": "mg"}, {"value": 1, "unit": "mg"}]
        days = s.scalars(select(DiaryEntry.entry_date).distinct()).all()
        assert len(days) == 14
    engine.dispose()


def test_db_upgrade_refuses_a_malformed_url() -> None:
    r = runner.invoke(app, ["db", "upgrade", "--database-url", "not a url"])
    assert r.exit_code == 2 and "database URL" in r.stderr
