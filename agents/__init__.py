"""LLM agents as LangGraph graphs (audience analyst, creative strategist, bid & budget optimiser, reviewer, cycle
supervisor), their prompts and the LLM backends. Agents only propose: their sole effect is change-set rows."""
