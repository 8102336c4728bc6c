"""Typed functions the agents may call, with pydantic input/output schemas: read, predict, forecast, propose.
Read and predict tools are side-effect free; propose tools only write change-set items."""
