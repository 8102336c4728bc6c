"""Embedded LLM backends compared on this machine: load time, tokens/s, valid structured outputs and valid named
tool calls out of 20, each backend in its own process (``adpilot bench llm``)."""
