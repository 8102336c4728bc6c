"""``python -m cli`` — the same as the ``adpilot`` console script."""

from cli.main import run

run()
