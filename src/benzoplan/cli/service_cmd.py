"""`benzoplan serve`, `benzoplan db upgrade|current`, `benzoplan audit verify|head`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from benzoplan.cli.app import app, console, emit_json, err_console
from benzoplan.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

db_app = typer.Typer(help="The service's database.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of patient data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")

URL = typer.Option(None, "--database-url", envvar="BENZOPLAN_DATABASE_URL",
                   help="SQLAlchemy URL (default sqlite:///benzoplan.db)")


def _url(url: str | None) -> str:
    from benzoplan.store import DEFAULT_URL

    return url or DEFAULT_URL


@db_app.command("upgrade")
def db_upgrade(database_url: str | None = URL) -> None:
    """Create or migrate the database to the current schema."""
    from benzoplan.store import make_engine, upgrade

    engine = make_engine(_url(database_url))
    try:
        rev = upgrade(engine)
    finally:
        engine.dispose()
    console.print(f"database at revision {rev}", markup=False)


@db_app.command("current")
def db_current(database_url: str | None = URL) -> None:
    """Print the database's schema revision and the code's."""
    from benzoplan.store import current_revision, head_revision, make_engine

    engine = make_engine(_url(database_url))
    try:
        emit_json({"current": current_revision(engine), "head": head_revision()})
    finally:
        engine.dispose()


@audit_app.command("verify")
def audit_verify(database_url: str | None = URL,
                 anchor: list[str] = typer.Option(
                     [], "--anchor", help="SEQ:HASH from `benzoplan audit head` (repeatable)"),
                 anchors_file: Path | None = typer.Option(
                     None, "--anchors", help="a file of anchors, one per line: SEQ:HASH as "
                     "`benzoplan audit head` prints it (or its JSON on one line); # comments"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Recompute the hash chain; exit 1 if any event was altered, removed or reordered, or an
    anchored event is gone or differs."""
    from benzoplan.store import audit, make_engine, make_sessionmaker

    lines = list(anchor)
    if anchors_file is not None:
        try:
            lines += [ln for ln in anchors_file.read_text(encoding="utf-8").splitlines()
                      if ln.strip() and not ln.lstrip().startswith("#")]
        except OSError as exc:
            raise InputError(f"cannot read {anchors_file}: {exc.strerror}",
                             field="anchors") from exc
    anchors = [audit.Anchor.parse(ln) for ln in lines]
    engine = make_engine(_url(database_url))
    try:
        with make_sessionmaker(engine)() as session:
            report = audit.verify(session, anchors)
    finally:
        engine.dispose()
    if as_json:
        emit_json(report.to_json())
    elif report.ok:
        console.print(f"audit log intact: {report.events} events"
                      + (f", {report.anchors} anchors match" if report.anchors else ""),
                      markup=False)
    else:
        err_console.print(f"audit log TAMPERED: {report.problem}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("head")
def audit_head(database_url: str | None = URL,
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Print the chain's head as SEQ:HASH. Keep it outside the database (e.g. append it to the
    clinic's log each night): `audit verify --anchors` then detects removed newest events."""
    from benzoplan.store import audit, make_engine, make_sessionmaker

    engine = make_engine(_url(database_url))
    try:
        with make_sessionmaker(engine)() as session:
            top = audit.head(session)
    finally:
        engine.dispose()
    if top is None:
        raise InputError("the audit log is empty: nothing to anchor yet", field="database_url")
    if as_json:
        emit_json(top.to_json())
    else:
        console.print(str(top), markup=False)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535),
    database_url: str | None = URL,
    demo: bool = typer.Option(False, "--demo", help="Migrate, seed the demo clinic and print "
                              "its sign-ins before serving"),
) -> None:
    """Serve the clinic API (OpenAPI at /docs)."""
    import uvicorn

    from benzoplan.api import Settings, create_app
    from benzoplan.store import current_revision, head_revision, make_engine, upgrade

    url = _url(database_url)
    if not os.environ.get("BENZOPLAN_SECRET_KEY"):
        os.environ["BENZOPLAN_SECRET_KEY"] = secrets.token_urlsafe(48)
        err_console.print("BENZOPLAN_SECRET_KEY is not set: using a random key for this "
                          "process (sign-in tokens end when it stops)", markup=False)
    engine = make_engine(url)
    try:
        if demo:
            upgrade(engine)
            _seed(engine, host, port)
        elif current_revision(engine) != head_revision():
            raise InputError(f"database {url} is not at the current schema; run "
                             "`benzoplan db upgrade` first", field="database_url")
    finally:
        engine.dispose()
    settings = Settings(database_url=url)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _seed(engine: Engine, host: str, port: int) -> None:
    from benzoplan.store import make_sessionmaker
    from benzoplan.store.demo import seed_demo

    with make_sessionmaker(engine)() as session:
        patient_id, signins = seed_demo(session)
    console.print(f"Demo clinic ready: clinician UI, pharmacy and patient diary at "
                  f"http://{host}:{port}/ ,"
                  f" API docs at http://{host}:{port}/docs — patient id {patient_id}",
                  markup=False)
    console.print("Demo sign-ins (web page /signin, or POST /api/v1/auth/token):", markup=False)
    for s in signins:
        console.print(f"  {s.role:<11} username {s.username:<11} password {s.password}",
                      markup=False)
