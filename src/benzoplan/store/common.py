"""What every repository shares: the acting user, pages, JSON diffs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from benzoplan.errors import InputError

__all__ = ["MAX_PAGE", "Actor", "Page", "json_diff", "paginate"]

T = TypeVar("T")
MAX_PAGE = 200


@dataclass(frozen=True)
class Actor:
    """Who does something: recorded in the audit log and on every record they create."""

    id: str
    role: str
    clinic_id: str
    patient_id: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    limit: int
    offset: int


def paginate(session: Session, stmt: Select[T], *, limit: int, offset: int) -> Page[T]:
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE}, got {limit}", field="limit")
    if offset < 0:
        raise InputError(f"offset cannot be negative, got {offset}", field="offset")
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(limit).offset(offset)).all()
    return Page(items=items, total=int(total or 0), limit=limit, offset=offset)


def json_diff(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """The changes from ``old`` to ``new`` as ``[{"path", "from", "to"}]`` (JSON-pointer paths).

    A value present only in ``new`` has ``from: null``; one removed has ``to: null``.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[dict[str, Any]] = []
        for k in sorted(set(old) | set(new), key=str):
            p = f"{path}/{k}"
            if k not in old:
                out.append({"path": p, "from": None, "to": new[k]})
            elif k not in new:
                out.append({"path": p, "from": old[k], "to": None})
            else:
                out.extend(json_diff(old[k], new[k], p))
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            p = f"{path}/{i}"
            if i >= len(old):
                out.append({"path": p, "from": None, "to": new[i]})
            elif i >= len(new):
                out.append({"path": p, "from": old[i], "to": None})
            else:
                out.extend(json_diff(old[i], new[i], p))
        return out
    if old == new and type(old) is type(new):
        return []
    return [{"path": path or "/", "from": old, "to": new}]
