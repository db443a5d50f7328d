"""Bot API limits and names this adapter relies on (https://core.telegram.org/bots/api)."""

CHANNEL = "telegram"  # Inbound.channel and the learner table's channel column

# --- messages -------------------------------------------------------------------------
MAX_MESSAGE_CHARS = 4096  # sendMessage/editMessageText text, after entity parsing
MAX_CAPTION_CHARS = 1024  # photo/document caption
MAX_CALLBACK_DATA_BYTES = 64  # InlineKeyboardButton.callback_data, 1-64 bytes
MAX_CALLBACK_ANSWER_CHARS = 200  # answerCallbackQuery text
MAX_BUTTONS_PER_ROW = 8  # inline keyboard row width Telegram accepts
MAX_INLINE_BUTTONS = 100  # buttons in one inline keyboard (observed, not documented)

# --- commands -------------------------------------------------------------------------
MAX_COMMAND_CHARS = 32  # BotCommand.command: a-z, 0-9, underscore
MAX_COMMAND_DESCRIPTION_CHARS = 256  # BotCommand.description, 1-256
MAX_COMMANDS = 100  # setMyCommands list
MAX_START_PAYLOAD_CHARS = 64  # deep link t.me/<bot>?start=<payload>: A-Z a-z 0-9 _ -

# --- native quiz polls (not used: quizzes are inline keyboards) ------------------------
MAX_POLL_QUESTION_CHARS = 300
MAX_POLL_OPTION_CHARS = 100
MAX_POLL_EXPLANATION_CHARS = 200

# --- rate limits (Bot FAQ) --------------------------------------------------------------
MESSAGES_PER_SECOND = 30  # per bot, across chats
MESSAGES_PER_SECOND_PER_CHAT = 1  # short bursts are tolerated in private chats
GROUP_MESSAGES_PER_MINUTE = 20

# --- updates ----------------------------------------------------------------------------
POLL_TIMEOUT_SECONDS = 30  # getUpdates long-poll timeout
GET_UPDATES_LIMIT = 100  # updates per getUpdates call, 1-100
ALLOWED_UPDATES = ["message", "callback_query"]  # all this adapter handles
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_WEBHOOK_SECRET_CHARS = 256  # setWebhook secret_token: 1-256 of A-Z a-z 0-9 _ -
WEBHOOK_MAX_CONNECTIONS = 40  # Telegram's default, 1-100

# --- calls ------------------------------------------------------------------------------
# Every method is POST {base}/bot<token>/<method> (aiogram's TelegramAPIServer.from_base)
# with a JSON body or a form.
SEND_MESSAGE = "sendMessage"  # the one method outbox delivery calls

# --- errors -----------------------------------------------------------------------------
# Every answer is JSON {ok, result} or {ok: false, error_code, description, parameters};
# error_code repeats the HTTP status.
NOT_MODIFIED = "message is not modified"  # 400 on an edit that changes nothing
ERROR_BAD_REQUEST = 400  # this request is wrong (text, markup, chat): retrying won't help
ERROR_UNAUTHORIZED = 401  # wrong or revoked bot token
ERROR_FORBIDDEN = 403  # the user blocked the bot, deleted the account, or never started it
ERROR_TOO_MANY_REQUESTS = 429  # flood control: wait parameters.retry_after seconds
SERVER_ERRORS = 500  # 5xx and up: Telegram's side (restarting, overloaded); retry later
RETRY_AFTER = "retry_after"  # parameters field: seconds to wait before any further call
MIGRATE_TO_CHAT_ID = "migrate_to_chat_id"  # parameters field: a group became a supergroup

# --- our own policy ---------------------------------------------------------------------
DELIVERY_TIMEOUT_SECONDS = 30.0  # one outbox sendMessage, end to end; half the outbox lease
DELIVERY_CONNECTIONS = 100  # keep-alive connections of the outbox session (aiogram's default)
MAX_ERROR_CHARS = 200  # how much of an error's description an outbox row keeps
