"""The creative strategist: finds fatigued and losing creatives, writes new variants with the LLM, checks them
against the creative policy, scores them with the CTR model and proposes the best."""
