"""``adpilot webhooks …``: run the webhook receiver (``webhooks.server``) under uvicorn.

Thin entry: read settings, check the store is reachable and migrated, then serve. Registered in ``cli/main.py``
as ``app.add_typer(webhooks_app, name="webhooks")``.
"""

from __future__ import annotations

import typer
from rich.console import Console

from cli import context

__all__ = ["webhooks_app"]

webhooks_app = typer.Typer(help="The signed-webhook receiver (Meta, TikTok, Standard Webhooks, sandbox).",
                           no_args_is_help=True)


@webhooks_app.callback()
def _webhooks() -> None:
    """Webhook receiver."""


@webhooks_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (0.0.0.0 behind a load balancer)"),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="TCP port"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="processes sharing the socket"),
) -> None:
    """Serve /webhooks/{meta,tiktok,generic,sandbox}, /healthz, /metrics and /docs until SIGTERM/SIGINT."""
    from webhooks.pipeline import build_pipeline
    from webhooks.server import serve as run_server

    cfg = context.settings()
    context.database(cfg).dispose()  # fail fast (with a remedy) on an unreachable or out-of-date store
    configured = build_pipeline(cfg).configured()
    err = Console(stderr=True)
    if not configured:
        err.print("[yellow]warning:[/] no webhook secret is configured; every delivery will be refused (404). "
                  "Set ADPILOT_WEBHOOK_SANDBOX_SECRET, ADPILOT_WEBHOOK_GENERIC_SECRETS, … first.")
    err.print(f"webhook receiver on http://{host}:{port} (sources: {', '.join(sorted(configured)) or 'none'})")
    run_server(cfg, host=host, port=port, workers=workers)
