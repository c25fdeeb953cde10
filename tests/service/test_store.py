"""Store: migrations from empty, the audit chain, idempotent diary writes, plan versions."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from benzoplan.errors import Conflict, InputError
from benzoplan.store import (
    Actor,
    Base,
    audit,
    diary,
    head_revision,
    json_diff,
    make_engine,
    make_sessionmaker,
    plans,
    upgrade,
)
from benzoplan.store.migrate import alembic_config
from benzoplan.store.models import AuditEvent, DiaryEntry, Patient, PlanVersion

from .conftest import World


def test_migrations_from_empty_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert ctx.get_current_revision() == head_revision()
        assert compare_metadata(ctx, Base.metadata) == []
    assert set(inspect(engine).get_table_names()) >= {t for t in Base.metadata.tables}


def test_downgrade_to_empty_and_up_again(engine: Engine) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert upgrade(engine) == head_revision()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _actor(world: World, role: str = "clinician") -> Actor:
    u = world.a.users[role]
    return Actor(u.id, u.role, u.clinic_id, u.patient_id)


def test_audit_chain_verifies_and_detects_an_altered_event(engine: Engine, world: World,
                                                           session: Session) -> None:
    report = audit.verify(session)
    assert report.ok and report.events > 10
    victim = session.scalar(select(AuditEvent).where(AuditEvent.seq == 5))
    assert victim is not None
    session.close()
    with engine.begin() as conn:
        _drop_triggers(conn)
        conn.execute(text("UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 5"))
    with make_sessionmaker(engine)() as s:
        bad = audit.verify(s)
    assert not bad.ok and bad.first_bad_seq == 5 and "altered" in (bad.problem or "")


def test_audit_chain_detects_a_removed_event(engine: Engine, world: World) -> None:
    with engine.begin() as conn:
        _drop_triggers(conn)
        conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    with make_sessionmaker(engine)() as s:
        bad = audit.verify(s)
    assert not bad.ok and bad.first_bad_seq == 3 and "missing" in (bad.problem or "")


def test_an_anchor_detects_removed_newest_events(engine: Engine, world: World) -> None:
    with make_sessionmaker(engine)() as s:
        top = audit.head(s)
        assert top is not None and top.seq > 5
        assert audit.verify(s, [top]).ok and audit.verify(s, [top]).anchors == 1
    with engine.begin() as conn:
        _drop_triggers(conn)
        conn.execute(text("DELETE FROM audit_events WHERE seq > :n"), {"n": top.seq - 3})
    with make_sessionmaker(engine)() as s:
        assert audit.verify(s).ok  # what is left still links up: the chain alone cannot tell
        bad = audit.verify(s, [top])
    assert not bad.ok and "newest events were removed" in (bad.problem or "")
    assert bad.first_bad_seq == top.seq - 2


def test_an_anchor_detects_a_rewritten_chain(engine: Engine, world: World) -> None:
    with make_sessionmaker(engine)() as s:
        top = audit.head(s)
        assert top is not None
    forged = audit.Anchor(top.seq, "0" * 64)
    with make_sessionmaker(engine)() as s:
        bad = audit.verify(s, [forged])
    assert not bad.ok and bad.first_bad_seq == top.seq and "rewritten" in (bad.problem or "")


@pytest.mark.parametrize("text", ["", "12", "0:" + "a" * 64, "3:" + "A" * 64, "3:abc",
                                  '{"seq": 3}', "{not json"])
def test_a_malformed_anchor_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="anchor"):
        audit.Anchor.parse(text)


def test_an_anchor_reads_both_printed_forms() -> None:
    a = audit.Anchor(7, "ab" * 32)
    assert audit.Anchor.parse(str(a)) == a
    assert audit.Anchor.parse(json.dumps(a.to_json())) == a


def test_audit_table_refuses_update_and_delete(engine: Engine, world: World) -> None:
    for stmt in ("UPDATE audit_events SET action = 'x' WHERE seq = 1",
                 "DELETE FROM audit_events WHERE seq = 1"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(stmt))


def _drop_triggers(conn: object) -> None:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
    else:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_reads_of_patient_data_are_audited(session: Session, world: World) -> None:
    actor = _actor(world)
    p = session.get(Patient, world.a.patient_id)
    assert p is not None
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    diary.list_entries(session, actor, p, limit=10, offset=0)
    session.commit()
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == (before or 0) + 1
    assert (last.action, last.entity, last.patient_id, last.actor_id) == (
        "read", "diary_entry", p.id, actor.id)


def test_a_rolled_back_change_leaves_no_audit_event(session: Session, world: World) -> None:
    actor = _actor(world)
    p = session.get(Patient, world.a.patient_id)
    assert p is not None
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    diary.list_entries(session, actor, p, limit=10, offset=0)
    session.rollback()
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_diary_retry_returns_the_same_entry(session: Session, world: World) -> None:
    u = world.a.users["patient"]
    actor = Actor(u.id, "patient", u.clinic_id, u.patient_id)
    p = session.get(Patient, world.a.patient_id)
    assert p is not None
    e1, c1 = diary.put_entry(session, actor, p, client_id="abc", entry_date=date(2026, 1, 2),
                             kind="note", data={"text": "ok"})
    session.commit()
    e2, c2 = diary.put_entry(session, actor, p, client_id="abc", entry_date=date(2026, 1, 2),
                             kind="note", data={"text": "ok"})
    session.commit()
    assert (c1, c2) == (True, False) and e1.id == e2.id
    with pytest.raises(Conflict):
        diary.put_entry(session, actor, p, client_id="abc", entry_date=date(2026, 1, 2),
                        kind="note", data={"text": "changed"})
    session.rollback()
    n = session.scalar(select(func.count()).select_from(DiaryEntry)
                       .where(DiaryEntry.client_id == "abc"))
    assert n == 1


def _plan(session: Session, world: World) -> tuple[str, Actor]:
    actor = _actor(world)
    p = session.get(Patient, world.a.patient_id)
    assert p is not None
    rec, _v = plans.create_plan(session, actor, p, {"version": 1, "steps": [1, 2]}, "start")
    session.commit()
    return rec.id, actor


def test_plan_versions_are_immutable_with_author_reason_and_diff(session: Session,
                                                                 world: World) -> None:
    plan_id, actor = _plan(session, world)
    rec = plans.load_plan(session, plan_id)
    v2 = plans.add_version(session, actor, rec, world.a.clinic_id, base_version=1,
                           body={"version": 2, "steps": [1, 3]}, reason="slow down")
    session.commit()
    assert v2.version == 2 and v2.author_id == actor.id and v2.reason == "slow down"
    assert v2.diff == [{"path": "/steps/1", "from": 2, "to": 3},
                       {"path": "/version", "from": 1, "to": 2}]
    v1 = plans.get_version(session, actor, rec, world.a.clinic_id, 1)
    assert v1.body == {"version": 1, "steps": [1, 2]}
    with pytest.raises(Conflict, match="version 2, not 1"):
        plans.add_version(session, actor, rec, world.a.clinic_id, base_version=1,
                          body={"version": 2}, reason="stale")
    session.rollback()


def test_racing_plan_updates_never_lose_one(engine: Engine, world: World) -> None:
    """Writers that all start from the same version: exactly one wins each round, the rest
    get Conflict, and every winning write is a version of its own."""
    with make_sessionmaker(engine)() as s:
        plan_id, actor = _plan(s, world)
    sessions = make_sessionmaker(engine)
    wins: list[tuple[int, str]] = []
    conflicts: list[str] = []
    lock = threading.Lock()

    def writer(name: str, base: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        with sessions() as s:
            rec = plans.load_plan(s, plan_id)
            try:
                v = plans.add_version(s, actor, rec, world.a.clinic_id, base_version=base,
                                      body={"by": name}, reason=name)
                s.commit()
                with lock:
                    wins.append((v.version, name))
            except Conflict:
                s.rollback()
                with lock:
                    conflicts.append(name)

    base = 1
    for rnd in range(5):
        barrier = threading.Barrier(4)
        threads = [threading.Thread(target=writer, args=(f"r{rnd}w{i}", base, barrier))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        base += 1
    assert len(wins) == 5 and len(conflicts) == 15
    with sessions() as s:
        versions = s.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan_id)
                             .order_by(PlanVersion.version)).all()
        head = plans.load_plan(s, plan_id).current_version
    assert [v.version for v in versions] == list(range(1, 7)) and head == 6
    assert sorted((v.version, v.reason) for v in versions[1:]) == sorted(wins)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=4), kids,
                                                               max_size=4),
    max_leaves=20,
)


@given(json_values, json_values)
def test_json_diff_is_empty_exactly_for_equal_documents(a: object, b: object) -> None:
    d = json_diff(a, b)
    assert (d == []) == (a == b and _same_types(a, b))
    assert json_diff(a, a) == []


def _same_types(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    return True
