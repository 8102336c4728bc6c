"""Settings (env prefix, URL normalisation, masking) and money parsing invariants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adpilot.errors import ConfigError, InvalidInput
from adpilot.money import MAX_AMOUNT_MICROS, format_micros, parse_money
from adpilot.settings import load_settings


def test_env_prefix_and_url_normalisation(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADPILOT_DATABASE_URL", "postgres://u:p@h:5432/d")
    monkeypatch.setenv("ADPILOT_DATA_DIR", str(tmp_path))
    cfg = load_settings()
    assert cfg.database_url is not None
    assert cfg.database_url.get_secret_value() == "postgresql+psycopg://u:p@h:5432/d"
    assert not cfg.uses_embedded_database and cfg.data_dir == tmp_path


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ADPILOT_LLM_MODEL", raising=False)
    (tmp_path / ".env").write_text("ADPILOT_LLM_MODEL=qwen2.5\n")
    assert load_settings().llm_model == "qwen2.5"


def test_empty_url_means_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADPILOT_DATABASE_URL", "")
    assert load_settings().uses_embedded_database


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADPILOT_LLM_BACKEND", "skynet")
    with pytest.raises(ConfigError, match="ADPILOT_LLM_BACKEND"):
        load_settings()


@given(st.integers(min_value=0, max_value=MAX_AMOUNT_MICROS))
def test_parse_money_inverts_decimal_rendering(micros: int) -> None:
    text = str(Decimal(micros) / 1_000_000)
    assert parse_money(text) == micros


@given(st.integers(min_value=MAX_AMOUNT_MICROS + 1, max_value=2**63 - 1))
def test_parse_money_refuses_amounts_above_the_bound(micros: int) -> None:
    with pytest.raises(InvalidInput, match="largest accepted amount"):
        parse_money(str(Decimal(micros) / 1_000_000))


@pytest.mark.parametrize(
    "text", ["-1", "abc", "1.0000001", "nan", "inf", "", "49,99", "1,000", "9223372036854", "1e999999", "1e-999999"]
)
def test_parse_money_refuses_bad_amounts(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_money(text)


def test_format_micros() -> None:
    assert format_micros(12_500_000, "USD") == "12.50 USD"
    assert format_micros(1_234_567) == "1.23" and format_micros(1_235_000) == "1.24"
    assert format_micros(1_234_567, precise=True) == "1.234567"
    assert format_micros(1_361_568_000) == "1,361.57"
    assert format_micros(None) == "-"
