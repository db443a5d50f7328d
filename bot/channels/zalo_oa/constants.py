"""Zalo Official Account (OA API v3, OAuth v4) limits and names this adapter relies on.

Where each fact was published is in docs/ZALO_OA.md ("Limits and where they are
published"). Zalo's own developer pages (developers.zalo.me) could not be read from
here; facts taken from third-party guides and SDKs are marked "(third-party)", and facts
that no source confirmed are marked "UNCONFIRMED". The stand-in
(tests/standins/zalo_oa_api.py) enforces these same values, so a wrong value here is
wrong there too: check the UNCONFIRMED ones against the OA console before going live.
"""

from datetime import timedelta

CHANNEL = "zalo_oa"  # Inbound.channel and the learner table's channel column (<=16 chars)

# --- hosts ------------------------------------------------------------------------------
API_BASE = "https://openapi.zalo.me"  # settings.zalo_oa_api_base's default
OAUTH_BASE = "https://oauth.zaloapp.com"  # settings.zalo_oa_oauth_base's default

# --- the OA API (access token in the `access_token` header of every call) --------------
PATH_SEND_CS = "/v3.0/oa/message/cs"  # consultation ("tư vấn") message (third-party SDKs)
PATH_UPLOAD_IMAGE = "/v2.0/oa/upload/image"  # multipart `file` -> data.attachment_id
PATH_UPLOAD_FILE = "/v2.0/oa/upload/file"  # multipart `file` -> data.token
PATH_GET_OA = "/v2.0/oa/getoa"  # the OA's own profile: data.oa_id, data.name
TOKEN_HEADER = "access_token"

# --- OAuth v4 (PKCE) --------------------------------------------------------------------
PATH_PERMISSION = "/v4/oa/permission"  # the page the OA admin opens to grant access
PATH_ACCESS_TOKEN = "/v4/oa/access_token"  # code or refresh_token -> tokens (form body)
APP_SECRET_HEADER = "secret_key"  # the app secret goes in this header (third-party guides)
CODE_VERIFIER_BYTES = 32  # token_urlsafe(32): 43 characters, RFC 7636 allows 43-128
# expires_in answers 90000 s; guides say "25 hours" (third-party). We refresh early:
ACCESS_TOKEN_LIFETIME = timedelta(hours=25)  # used when expires_in is missing
REFRESH_TOKEN_LIFETIME = timedelta(days=90)  # "valid 3 months, usable once" (third-party)
REFRESH_BEFORE = timedelta(minutes=30)  # refresh this long before the access token expires

# --- messages ---------------------------------------------------------------------------
MAX_TEXT_CHARS = 2000  # cs text message: up to 2,000 characters (third-party SDK schema)
MAX_BUTTONS = 5  # buttons under one consultation message (issue #23; UNCONFIRMED by Zalo)
MAX_BUTTON_TITLE_CHARS = 20  # button title shown in full up to this (issue #23; third-party
# SDKs allow 100 but the chat cuts long titles: we keep 20 so a title is never cut)
MAX_BUTTON_PAYLOAD_CHARS = 1000  # oa.query.* payload (third-party SDK)
BUTTON_QUERY_HIDE = "oa.query.hide"  # tapping sends the payload as the user's message,
# not shown in the chat (third-party SDK); so the webhook sees user_send_text = payload
ACTION_PREFIX = "#hc:"  # marks a button payload in user_send_text ("#hc:" + action)
MAX_IMAGE_BYTES = 1_000_000  # upload/image: JPG or PNG up to 1 MB (third-party)
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
MAX_FILE_BYTES = 5_000_000  # upload/file: PDF, DOC, DOCX up to 5 MB (third-party)
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

# --- the messaging window ---------------------------------------------------------------
# Consultation messages are free and allowed only within 48 hours of the user's last
# interaction (message, button tap) with the OA (third-party SDK docs; Zalo's own pricing
# page not reachable from here). Outside it, reminders and broadcasts are skipped.
WINDOW = timedelta(hours=48)
WINDOW_MARGIN = timedelta(minutes=5)  # skip a send this close to the window's end
SKIP_OUTSIDE_WINDOW = "outside_48h_window"  # outbox.error of a skipped row (the reason)

# --- webhook ----------------------------------------------------------------------------
WEBHOOK_PATH = "/zalo-oa/webhook"  # where the web app serves it; set it in the OA app
SIGNATURE_HEADER = "X-ZEvent-Signature"  # "mac=" + sha256(app_id+body+timestamp+OA secret)
SIGNATURE_PREFIX = "mac="
# Zalo is said to retry a webhook that did not answer 200 within 2 s for up to 12 hours
# (third-party). An event older than MAX_EVENT_AGE is refused: within it a replay is
# dropped by its msg_id (processed_update keeps ids 7 days), past it it is refused here.
MAX_EVENT_AGE = timedelta(hours=24)
MAX_CLOCK_SKEW = timedelta(minutes=5)  # an event from the future by more: refused

EVENT_TEXT = "user_send_text"
EVENT_IMAGE = "user_send_image"
EVENT_FOLLOW = "follow"
EVENT_UNFOLLOW = "unfollow"
ANONYMOUS_PREFIX = "anonymous_"  # anonymous_send_text etc.: no user id to answer, ignored
USER_EVENT_PREFIX = "user_send_"  # sticker, gif, file, location, audio, video: "text only"
# Everything else (oa_send_*, user_received_message, user_seen_message, ...) is ignored.

# --- errors: `error` in an HTTP 200 body; 0 is success -----------------------------------
# Codes below are as third-party SDKs and integrators list them: UNCONFIRMED against
# Zalo's own error table. An unknown negative code is taken as "this message was refused".
ERRORS_TOKEN = frozenset({-216, -124})  # access token invalid / expired: refresh, retry once
ERRORS_QUOTA = frozenset({-32, -211})  # app rate limit / OA out of quota: back off
ERRORS_OUTSIDE_WINDOW = frozenset({-230, -232})  # no interaction in the allowed window
ERRORS_UNREACHABLE = frozenset({-213})  # the user does not follow the OA (unfollowed)

# --- our own policy ---------------------------------------------------------------------
REQUEST_TIMEOUT_SECONDS = 15.0
SEND_ATTEMPTS = 4  # replies: over quota, 5xx and network errors together
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 20.0
QUOTA_PAUSE_SECONDS = 30.0  # outbox: how long a quota error pauses the channel
MAX_ID_CHARS = 64  # storage: learner.channel_user_id and processed_update.update_id
