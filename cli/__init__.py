"""The admin CLI (Typer + Rich): ``adpilot …``. Commands are thin: parse, call one service or repository, print a
Rich table or ``--json``. Exit codes: 0 ok, 1 error, 2 findings / needs attention (cron friendly)."""
