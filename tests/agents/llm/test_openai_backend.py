"""The OpenAI-compatible backend against a scripted local HTTP server: request shape, retries, timeouts, the
json_schema → json_object fallback, the repair loop and error translation."""

from __future__ import annotations

import socket
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from adpilot.settings import load_settings
from agents.llm import (
    LLMError,
    LLMOutputInvalid,
    LLMTimeout,
    LLMUnavailable,
    Message,
    OpenAIBackend,
    TokenUsage,
    ToolSpec,
    make_backend,
)
from tests.agents.llm.conftest import StubReply, StubServer, completion, error


class Verdict(BaseModel):
    action: Literal["raise", "hold", "lower"]
    confidence: int = Field(ge=0, le=100)
    reason: str = Field(max_length=80)


class BudgetArgs(BaseModel):
    campaign_id: int = Field(ge=1)
    new_daily_budget: float = Field(gt=0)


BUDGET_TOOL = ToolSpec("propose_budget_change", "Propose a new daily budget for one campaign.", BudgetArgs)
PROMPT = [Message.system("You review ad campaigns."), Message.user("Campaign 7 spends 40% under budget.")]
VALID = '{"action": "raise", "confidence": 80, "reason": "under-delivering"}'


def backend(stub: StubServer, **overrides: float) -> OpenAIBackend:
    options = {"timeout_s": 2.0, "max_retries": 2, "backoff_initial_s": 0.01, "backoff_max_s": 0.05, **overrides}
    return OpenAIBackend(
        model="stub-model",
        base_url=stub.base_url,
        seed=7,
        timeout_s=options["timeout_s"],
        max_retries=int(options["max_retries"]),
        backoff_initial_s=options["backoff_initial_s"],
        backoff_max_s=options["backoff_max_s"],
    )


def test_structured_output_sends_json_schema_and_validates(stub_server: StubServer) -> None:
    stub_server.script(completion(VALID))
    result = backend(stub_server).complete_json(PROMPT, Verdict, max_tokens=64)

    assert result.value == Verdict(action="raise", confidence=80, reason="under-delivering")
    assert result.usage == TokenUsage(11, 7)
    assert result.attempts == 1
    sent = stub_server.requests[0]
    assert stub_server.paths == ["/v1/chat/completions"]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["action"]["enum"] == [
        "raise",
        "hold",
        "lower",
    ]
    assert sent["max_tokens"] == 64
    assert sent["seed"] == 7
    assert sent["temperature"] == 0.0
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]


def test_rate_limit_is_retried_then_succeeds(stub_server: StubServer) -> None:
    stub_server.script(error(429, "slow down", {"retry-after": "0.01"}), completion(VALID))
    result = backend(stub_server).complete_json(PROMPT, Verdict)
    assert result.value.action == "raise"
    assert len(stub_server.requests) == 2


def test_server_errors_are_retried_until_the_budget_is_spent(stub_server: StubServer) -> None:
    stub_server.script(error(503, "busy"), error(502, "busy"), error(500, "busy"))
    with pytest.raises(LLMError) as caught:
        backend(stub_server, max_retries=2).complete_json(PROMPT, Verdict)
    assert len(stub_server.requests) == 3
    assert not isinstance(caught.value, LLMOutputInvalid)


def test_client_errors_are_not_retried(stub_server: StubServer) -> None:
    stub_server.script(error(400, "messages: bad role"), completion(VALID))
    with pytest.raises(LLMError, match="rejected the request"):
        backend(stub_server).complete_json(PROMPT, Verdict)
    assert len(stub_server.requests) == 1


def test_bad_credentials_name_the_setting(stub_server: StubServer) -> None:
    stub_server.script(error(401, "invalid api key"))
    with pytest.raises(LLMUnavailable) as caught:
        backend(stub_server).complete_json(PROMPT, Verdict)
    assert "ADPILOT_LLM_API_KEY" in caught.value.remedy
    assert len(stub_server.requests) == 1


def test_timeout_is_retried_then_raises_llm_timeout(stub_server: StubServer) -> None:
    slow = completion(VALID)
    slow.delay_s = 1.0
    stub_server.script(slow, StubReply(**vars(slow)))
    with pytest.raises(LLMTimeout):
        backend(stub_server, timeout_s=0.2, max_retries=1).complete_json(PROMPT, Verdict)
    assert len(stub_server.requests) == 2


def test_unreachable_server_is_unavailable_with_the_base_url_remedy() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = OpenAIBackend(model="m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(LLMUnavailable) as caught:
        dead.complete_json(PROMPT, Verdict)
    assert "ADPILOT_LLM_BASE_URL" in caught.value.remedy


def test_invalid_reply_is_repaired_with_the_validation_error(stub_server: StubServer) -> None:
    stub_server.script(completion('{"action": "double", "confidence": 300'), completion(VALID))
    result = backend(stub_server).complete_json(PROMPT, Verdict)

    assert result.attempts == 2
    assert result.usage == TokenUsage(22, 14)
    repair = stub_server.requests[1]["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"].startswith('{"action": "double"')
    assert "not valid" in repair[3]["content"]


def test_reply_that_never_validates_raises_output_invalid_with_usage(stub_server: StubServer) -> None:
    stub_server.script(*(completion('{"action": "double", "confidence": 5, "reason": "x"}') for _ in range(3)))
    with pytest.raises(LLMOutputInvalid) as caught:
        backend(stub_server).complete_json(PROMPT, Verdict)
    assert caught.value.attempts == 3
    assert caught.value.usage == TokenUsage(33, 21)
    assert any("action" in p for p in caught.value.problems)


def test_truncated_reply_asks_for_shorter_output(stub_server: StubServer) -> None:
    stub_server.script(completion('{"action": "raise", "confidence": 80, "reason": "und', finish="length"))
    stub_server.script(completion(VALID))
    backend(stub_server).complete_json(PROMPT, Verdict)
    assert "cut off" in stub_server.requests[1]["messages"][-1]["content"]


def test_server_without_json_schema_falls_back_to_json_object(stub_server: StubServer) -> None:
    stub_server.script(
        error(400, "response_format type json_schema is not supported"),
        completion("Here it is:\n```json\n" + VALID + "\n```"),
        completion(VALID),
    )
    llm = backend(stub_server)
    assert llm.complete_json(PROMPT, Verdict).value.confidence == 80
    assert llm.complete_json(PROMPT, Verdict).value.confidence == 80

    first, fallback, later = stub_server.requests
    assert first["response_format"]["type"] == "json_schema"
    assert fallback["response_format"] == {"type": "json_object"}
    assert later["response_format"] == {"type": "json_object"}
    assert fallback["messages"][0]["role"] == "system"
    assert '"enum":["raise","hold","lower"]' in fallback["messages"][0]["content"]
    assert fallback["messages"][0]["content"].startswith("You review ad campaigns.")


def test_named_tool_call_forces_the_tool_and_validates_arguments(stub_server: StubServer) -> None:
    stub_server.script(completion(None, tool=("propose_budget_change", '{"campaign_id": 7, "new_daily_budget": 55.5}')))
    call = backend(stub_server).call_tool(PROMPT, BUDGET_TOOL)

    assert call.name == "propose_budget_change"
    assert call.arguments == BudgetArgs(campaign_id=7, new_daily_budget=55.5)
    assert call.id == "call_stub_1"
    assert call.usage == TokenUsage(11, 7)
    sent = stub_server.requests[0]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "propose_budget_change"}}
    assert [t["function"]["name"] for t in sent["tools"]] == ["propose_budget_change"]
    assert sent["tools"][0]["function"]["parameters"]["properties"]["campaign_id"]["minimum"] == 1
    assert call.as_message().content == ""


def test_tool_arguments_in_content_are_accepted_and_bad_ones_repaired(stub_server: StubServer) -> None:
    stub_server.script(
        completion(None, tool=("propose_budget_change", '{"campaign_id": 0, "new_daily_budget": 55.5}')),
        completion('{"campaign_id": 7, "new_daily_budget": 60}'),
    )
    call = backend(stub_server).call_tool(PROMPT, BUDGET_TOOL)
    assert call.arguments.campaign_id == 7
    assert call.attempts == 2
    assert "campaign_id" in stub_server.requests[1]["messages"][-1]["content"]


def test_factory_builds_the_openai_backend_from_settings(stub_server: StubServer) -> None:
    settings = load_settings(llm_backend="openai", llm_base_url=stub_server.base_url, llm_model="stub-model")
    llm = make_backend(settings)
    assert isinstance(llm, OpenAIBackend)
    stub_server.script(completion(VALID))
    assert llm.complete_json(PROMPT, Verdict).value.action == "raise"


def test_openai_without_key_or_url_is_refused_up_front() -> None:
    with pytest.raises(LLMUnavailable, match="ADPILOT_LLM_BASE_URL"):
        OpenAIBackend(model="gpt-4o-mini")
