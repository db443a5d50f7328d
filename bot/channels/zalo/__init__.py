"""The Zalo Bot Platform channel: a thin httpx client, numbered replies instead of buttons."""
