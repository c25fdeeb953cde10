"""The root Typer app, its error mapping and the output helpers every command uses.

Any :class:`~benzoplan.errors.BenzoplanError` (bad input, unknown drug, …) ends the command
with its message on stderr and exit status 2; no traceback reaches the user.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from typer.core import TyperGroup

from benzoplan.errors import BenzoplanError, UnknownItem

console = Console()
err_console = Console(stderr=True)


class _Group(TyperGroup):
    """Maps benzoplan's errors to exit status 2 with a clear message."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BenzoplanError as exc:
            fail(exc)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            err_console.print(f"error: invalid input at {where or 'top level'}: {first['msg']}",
                              markup=False, highlight=False)
            raise typer.Exit(2) from None


def fail(exc: BenzoplanError) -> Any:
    err_console.print(f"error: {exc.message}", markup=False, highlight=False)
    if isinstance(exc, UnknownItem) and exc.suggestions and "did you mean" not in exc.message:
        err_console.print(f"  did you mean: {', '.join(exc.suggestions)}", markup=False)
    raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    help="benzoplan: clinical decision support for clonazepam and other benzodiazepines. "
    "It supports a clinician's decision and never replaces one.",
)


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (stable keys, UTF-8, no Rich markup)."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def _register() -> None:
    # Each command module adds its commands to `app` on import.
    from benzoplan.cli import (  # noqa: F401
        convert_cmd,
        demo,
        drugs_cmd,
        instruments_cmd,
        monitor_cmd,
        safety_cmd,
        service_cmd,
        simulate_cmd,
        taper_cmd,
    )


_register()


def main() -> None:
    app()
