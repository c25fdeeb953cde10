"""`python -m benzoplan` runs the CLI."""

from benzoplan.cli import main

main()
