"""The ASGI webhook receiver: signature schemes (Meta, TikTok, Standard Webhooks, sandbox), the inbox, and the
event → trigger mapping."""
