"""Issue 11 item 16: a fault logged by the daemon or the webhook receiver shows no locals and no secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from adpilot.logs import MASK, configure_logging, secrets_of
from adpilot.settings import load_settings


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()  # the configuration is process-wide: leave the next tests the default one


def test_exceptions_show_no_locals_and_secrets_are_masked(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        database_url="postgresql://app:Sup3rSecretPw@db.example:5432/ads",
        llm_api_key="sk-live-abcdef123456",
        webhook_generic_secrets=["whsec_rotating_one"],
    )
    assert set(secrets_of(settings)) == {"Sup3rSecretPw", "sk-live-abcdef123456", "whsec_rotating_one"}
    configure_logging("INFO", secrets=secrets_of(settings))

    def handler(password: str) -> None:
        local_copy = f"postgresql://app:{password}@db.example/ads"  # a local a Rich traceback would print
        raise RuntimeError(f"could not connect to {local_copy}")

    try:
        handler("Sup3rSecretPw")
    except RuntimeError:
        structlog.get_logger("test").exception("webhook.fault", api_key="sk-live-abcdef123456")
    err = capsys.readouterr().err
    assert "webhook.fault" in err and "RuntimeError" in err and "Traceback" in err
    assert "Sup3rSecretPw" not in err and "sk-live-abcdef123456" not in err and MASK in err
    assert "─ locals ─" not in err and "password = '" not in err  # Rich's locals panel
