"""Persistent store: SQLAlchemy 2 models, repositories and Alembic migrations.

SQLite by default (WAL, foreign keys on), PostgreSQL via ``BENZOPLAN_DATABASE_URL``.
Repositories are plain functions taking a :class:`~sqlalchemy.orm.Session` and the acting
:class:`Actor`; they record every create, update and read of patient data in the hash-chained
audit log (:mod:`benzoplan.store.audit`). Access rules live in the API, which decides who may
call what; repositories trust their caller.

Topic modules: :mod:`~benzoplan.store.users`, :mod:`~benzoplan.store.patients`,
:mod:`~benzoplan.store.plans`, :mod:`~benzoplan.store.diary`, :mod:`~benzoplan.store.audit`.
"""

from benzoplan.store import cds as cds  # registers the CDS Hooks tables on Base
from benzoplan.store.common import MAX_PAGE, Actor, Page, json_diff
from benzoplan.store.db import DEFAULT_URL, is_sqlite, make_engine, make_sessionmaker
from benzoplan.store.migrate import current_revision, head_revision, upgrade
from benzoplan.store.models import ROLES, Base

__all__ = [
    "DEFAULT_URL",
    "MAX_PAGE",
    "ROLES",
    "Actor",
    "Base",
    "Page",
    "current_revision",
    "head_revision",
    "is_sqlite",
    "json_diff",
    "make_engine",
    "make_sessionmaker",
    "upgrade",
]
