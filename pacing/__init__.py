"""Budget pacing and bidding controllers: state in, per-tick feedback in, bid multiplier / bid function out.
No dependency on any platform, so the sandbox, the agents and other harnesses can all drive them."""
