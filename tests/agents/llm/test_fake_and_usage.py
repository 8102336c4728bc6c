"""The scripted fake, the shared repair loop, usage metering and the factory's offline choices."""

from __future__ import annotations

import threading
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from adpilot.settings import load_settings
from agents.llm import (
    EmbeddedBackend,
    FakeBackend,
    FakeScriptExhausted,
    LLMBackend,
    LLMOutputInvalid,
    Message,
    MeteredBackend,
    TokenUsage,
    ToolSpec,
    UsageMeter,
    make_backend,
)
from agents.llm.structured import compact_schema, extract_json_object


class Verdict(BaseModel):
    action: Literal["raise", "hold", "lower"]
    confidence: int = Field(ge=0, le=100)


class PauseArgs(BaseModel):
    creative_id: int = Field(ge=1)
    reason: str = Field(max_length=60)


PAUSE = ToolSpec("propose_pause_creative", "Pause one fatigued creative.", PauseArgs)
PROMPT = [Message.system("You manage creatives."), Message.user("Creative 3 CTR fell 60%.")]


def test_fake_pops_scripted_replies_and_records_prompts() -> None:
    fake = FakeBackend().script_json(
        Verdict, Verdict(action="hold", confidence=40), {"action": "lower", "confidence": 9}
    )
    fake.script_tool("propose_pause_creative", {"creative_id": 3, "reason": "fatigue"})

    assert fake.complete_json(PROMPT, Verdict).value.action == "hold"
    assert fake.complete_json(PROMPT, Verdict).value.confidence == 9
    call = fake.call_tool(PROMPT, PAUSE)

    assert call.arguments == PauseArgs(creative_id=3, reason="fatigue")
    assert fake.tools_called == ["propose_pause_creative"]
    assert fake.calls_to("propose_pause_creative")[0].messages == tuple(PROMPT)
    assert fake.unused_replies() == {}
    assert isinstance(fake, LLMBackend)


def test_fake_runs_the_same_repair_loop_as_real_backends() -> None:
    fake = FakeBackend().script_tool("propose_pause_creative", "not json", '{"creative_id": 0, "reason": "x"}')
    fake.script_tool("propose_pause_creative", {"creative_id": 3, "reason": "fatigue"})

    call = fake.call_tool(PROMPT, PAUSE)

    assert call.attempts == 3
    third = fake.calls[2].messages
    assert [m.role for m in third] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "creative_id" in third[-1].content


def test_fake_gives_up_after_the_repairs_with_typed_error() -> None:
    fake = FakeBackend(max_repairs=1).script_json(Verdict, "{}", '{"action": "up"}')
    with pytest.raises(LLMOutputInvalid) as caught:
        fake.complete_json(PROMPT, Verdict)
    assert caught.value.attempts == 2
    assert caught.value.usage.completion_tokens > 0


def test_unscripted_call_raises_instead_of_inventing() -> None:
    with pytest.raises(FakeScriptExhausted, match="propose_pause_creative"):
        FakeBackend().call_tool(PROMPT, PAUSE)


def test_scripted_reply_may_depend_on_the_prompt() -> None:
    def echo_campaign(messages: object) -> dict[str, object]:
        return {"creative_id": 3 if "Creative 3" in str(messages) else 1, "reason": "r"}

    fake = FakeBackend().script_tool("propose_pause_creative", echo_campaign)
    assert fake.call_tool(PROMPT, PAUSE).arguments.creative_id == 3


def test_metered_backend_sums_usage_including_failed_calls() -> None:
    fake = FakeBackend().script_json(Verdict, {"action": "hold", "confidence": 1}, "bad", "bad", "bad")
    meter = UsageMeter()
    llm = MeteredBackend(fake, meter)

    ok = llm.complete_json(PROMPT, Verdict)
    with pytest.raises(LLMOutputInvalid) as caught:
        llm.complete_json(PROMPT, Verdict)

    assert meter.calls == 2
    assert meter.total == ok.usage + caught.value.usage
    assert meter.total.prompt_tokens > 0


def test_usage_meter_is_thread_safe() -> None:
    meter = UsageMeter()

    def work() -> None:
        for _ in range(1000):
            meter.record(TokenUsage(2, 1))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert meter.total == TokenUsage(8000, 4000)
    assert meter.total.total_tokens == 12000


def test_extract_json_object_strips_fences_and_prose() -> None:
    assert extract_json_object('Sure!\n```json\n{"a": 1}\n```') == '{"a": 1}'
    assert extract_json_object('  {"a": 1} ') == '{"a": 1}'
    assert extract_json_object("no json") == "no json"


def test_compact_schema_drops_titles_but_keeps_a_field_named_title() -> None:
    class Ad(BaseModel):
        title: str
        clicks: int

    compact = compact_schema(Ad.model_json_schema())
    assert "title" in compact["properties"]
    assert "title" not in compact
    assert "title" not in compact["properties"]["clicks"]


def test_factory_offline_choices_do_no_io() -> None:
    assert isinstance(make_backend(load_settings(llm_backend="fake")), FakeBackend)
    embedded = make_backend(load_settings(llm_backend="embedded", llm_seed=3, llm_n_ctx=1024))
    assert isinstance(embedded, EmbeddedBackend)
    assert embedded.config.seed == 3
    assert embedded.config.n_ctx == 1024
