"""Alembic environment: runs on the connection that :func:`benzoplan.store.migrate` passes."""

from __future__ import annotations

from alembic import context

from benzoplan.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - migrate() always passes one
    raise RuntimeError("run migrations with `benzoplan db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
