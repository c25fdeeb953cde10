"""benzoplan's command line (Typer + Rich)."""

from benzoplan.cli.app import app, main

__all__ = ["app", "main"]
