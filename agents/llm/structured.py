"""Validate a model's reply into a pydantic model, and repair it by feeding the validation error back.

Shared by every backend (the fake too, so agent tests exercise the same loop): a backend supplies only a
``generate(history) -> RawReply`` function that produces one raw JSON text under whatever constraint its server
supports. Constrained decoding makes the JSON well-formed on llama-cpp, but it does not guarantee pydantic's
bounds (``ge``/``le``, string lengths) on every server, and unconstrained fallbacks (``json_object``) guarantee
nothing — so validation is the real contract, and the repair loop is what keeps small models usable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from agents.llm.base import ToolSpec
from agents.llm.errors import LLMError, LLMOutputInvalid
from agents.llm.messages import Message
from agents.llm.usage import TokenUsage

__all__ = [
    "DEFAULT_MAX_REPAIRS",
    "RawReply",
    "Validated",
    "compact_schema",
    "extract_json_object",
    "schema_instruction",
    "tool_instruction",
    "validate_with_repair",
    "with_instruction",
]

T = TypeVar("T", bound=BaseModel)

DEFAULT_MAX_REPAIRS = 2
_MAX_PROBLEMS = 8
_MAX_ECHO_CHARS = 1500

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RawReply:
    """One attempt's raw text. ``truncated`` means the token limit cut it off; ``call_id`` is a server tool-call id."""

    text: str
    usage: TokenUsage
    truncated: bool = False
    call_id: str | None = None


@dataclass(frozen=True)
class Validated(Generic[T]):
    value: T
    reply: RawReply
    usage: TokenUsage
    attempts: int


def validate_with_repair(
    messages: Sequence[Message],
    output_model: type[T],
    generate: Callable[[list[Message]], RawReply],
    *,
    max_repairs: int = DEFAULT_MAX_REPAIRS,
    what: str,
) -> Validated[T]:
    """Generate, validate, and on failure append the reply plus the errors to the history and try again.

    ``what`` names the call in logs and errors (``json:SegmentVerdict``, ``tool:propose_budget_change``).
    An :class:`LLMError` raised by ``generate`` leaves with the usage of the attempts before it added on.
    """
    history = list(messages)
    usage = TokenUsage()
    problems: list[str] = []
    reply = RawReply(text="", usage=TokenUsage())
    for attempt in range(1, max_repairs + 2):
        try:
            reply = generate(history)
        except LLMError as exc:
            exc.usage = usage + exc.usage
            raise
        usage = usage + reply.usage
        try:
            value = output_model.model_validate_json(extract_json_object(reply.text))
        except ValidationError as exc:
            problems = _describe(exc)
            log.info("llm.reply_invalid", call=what, attempt=attempt, truncated=reply.truncated, problems=problems)
            history += [Message.assistant(reply.text[:_MAX_ECHO_CHARS]), Message.user(_feedback(problems, reply))]
            continue
        return Validated(value=value, reply=reply, usage=usage, attempts=attempt)
    raise LLMOutputInvalid(
        f"{what}: the model's reply did not match the schema after {max_repairs + 1} attempts: {'; '.join(problems)}",
        raw=reply.text,
        problems=problems,
        attempts=max_repairs + 1,
        usage=usage,
    )


def extract_json_object(text: str) -> str:
    """The JSON object inside a reply. Unconstrained servers wrap it in code fences or a sentence; strip those."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return stripped
    start, end = stripped.find("{"), stripped.rfind("}")
    if start != -1 and end > start:
        return stripped[start : end + 1]
    return stripped


def schema_instruction(schema: dict[str, Any]) -> str:
    """A system-prompt line telling the model the schema, for backends whose constraint the model cannot see."""
    return "Reply with only one JSON object, no prose, that matches this JSON schema: " + json.dumps(
        compact_schema(schema), separators=(",", ":"), ensure_ascii=False
    )


def tool_instruction(tool: ToolSpec[Any]) -> str:
    """The system-prompt lines for a forced call of ``tool`` on a backend whose chat template has no tool syntax."""
    schema = json.dumps(compact_schema(tool.parameters_schema()), separators=(",", ":"), ensure_ascii=False)
    return (
        f"Call the tool `{tool.name}`: {tool.description}\n"
        f"Reply with only its arguments as one JSON object matching this JSON schema: {schema}"
    )


def with_instruction(messages: Sequence[Message], instruction: str) -> list[Message]:
    """Add a backend's instruction to the leading system message (or prepend one).

    Merging instead of stacking matters for small chat templates: SmolLM2's inserts its own default persona when the
    conversation does not start with a system turn.
    """
    if messages and messages[0].role == "system":
        first = messages[0]
        return [first.model_copy(update={"content": f"{first.content}\n\n{instruction}"}), *messages[1:]]
    return [Message.system(instruction), *messages]


def compact_schema(schema: Any) -> Any:
    """The schema without pydantic's ``title`` annotations: they cost prompt tokens and tell the model nothing."""
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "title" and isinstance(value, str):
                continue
            if key in ("properties", "$defs") and isinstance(value, dict):
                out[key] = {name: compact_schema(sub) for name, sub in value.items()}
            else:
                out[key] = compact_schema(value)
        return out
    if isinstance(schema, list):
        return [compact_schema(item) for item in schema]
    return schema


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False, include_input=False)[:_MAX_PROBLEMS]:
        where = ".".join(str(part) for part in err["loc"]) or "(whole reply)"
        problems.append(f"{where}: {err['msg']}")
    return problems


def _feedback(problems: list[str], reply: RawReply) -> str:
    lines = ["Your reply was not valid:"] + [f"- {p}" for p in problems]
    if reply.truncated:
        lines.append("It was cut off by the length limit: use shorter strings.")
    lines.append("Reply again with only the corrected JSON object.")
    return "\n".join(lines)
