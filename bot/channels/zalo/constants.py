"""Zalo Bot Platform limits and names this adapter relies on.

Source: the platform's docs (bot.zaloplatforms.com/docs): every method is
`POST {base}/bot<TOKEN>/<method>` with a JSON body, answering
`{ok, result, description, error_code}`.
"""

CHANNEL = "zalo"  # Inbound.channel and the learner table's channel column
API_BASE = "https://bot-api.zaloplatforms.com"  # settings.zalo_api_base's default
LEGACY_API_BASE = "https://bot-api.zapps.me"  # older host, still seen in docs and SDKs

# --- messages -------------------------------------------------------------------------
MAX_TEXT_CHARS = 2000  # sendMessage text: 1-2,000 characters
MAX_CAPTION_CHARS = 2000  # sendPhoto caption: 1-2,000 characters, optional
CHAT_ACTION_TYPING = "typing"  # sendChatAction; "upload_photo" is announced, not live

# --- updates ----------------------------------------------------------------------------
POLL_TIMEOUT_SECONDS = 30  # getUpdates long-poll `timeout` (a string in the body); docs default
POLL_HTTP_MARGIN_SECONDS = 10  # the HTTP read timeout outlasts the long poll by this much
WEBHOOK_PATH = "/zalo/webhook"  # where the web app serves the webhook
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # carries setWebhook's secret_token on every call
MIN_WEBHOOK_SECRET_CHARS = 8  # setWebhook secret_token: 8-256 characters
MAX_WEBHOOK_SECRET_CHARS = 256
WEBHOOK_SCHEME = "https"  # setWebhook url must be HTTPS

EVENT_TEXT = "message.text.received"
EVENT_IMAGE = "message.image.received"
EVENT_STICKER = "message.sticker.received"
EVENT_UNSUPPORTED = "message.unsupported.received"  # content unknown: never assume any
CHAT_PRIVATE = "PRIVATE"  # chat.chat_type; "GROUP" is the other (bots rarely can join)

# --- errors -----------------------------------------------------------------------------
ERROR_NO_UPDATE = 408  # getUpdates: nothing arrived within `timeout` (not a failure)
ERROR_UNAUTHORIZED = 401  # wrong or revoked bot token: retrying cannot help
ERROR_QUOTA_EXCEEDED = 429  # no published rate and no retry_after: back off and retry

# --- our own policy ---------------------------------------------------------------------
REQUEST_TIMEOUT_SECONDS = 15.0  # any call but getUpdates
SEND_ATTEMPTS = 5  # per call, over 429s, 5xx and network errors together
BACKOFF_FIRST_SECONDS = 1.0  # first wait before a retry; doubles each time
BACKOFF_MAX_SECONDS = 30.0  # cap of one wait while sending
POLL_BACKOFF_MAX_SECONDS = 60.0  # cap of one wait between failed getUpdates
QUOTA_PAUSE_SECONDS = 5.0  # outbox: how long a 429 pauses the channel (no retry_after)
MAX_IN_FLIGHT = 16  # polling: events handled at once (in order within one chat)
STOP_GRACE_SECONDS = 10.0  # on stop, how long events already fetched may still finish
MAX_ID_CHARS = 64  # storage: learner.channel_user_id and processed_update.update_id
# An event without message_id is recognised by a hash of its chat, kind, text and date:
# the same one delivered again within this window is dropped; the same words typed again
# later are a new message.
CONTENT_DEDUPE_WINDOW_SECONDS = 120.0
GROUP_NOTE_KEY = "zalo:group"  # processed_update.channel for "this group was told once"
