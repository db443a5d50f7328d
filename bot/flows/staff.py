"""Staff and admins in the chat: /dangnhap sends a one-time dashboard login link.

Anyone else is told the command is for programme staff; nothing changes for them (a
learner in the middle of a lesson stays where they are).
"""

from bot.admin.roles import Role, principal_for
from bot.admin.tokens import LOGIN_TTL, issue_login
from bot.config import get_settings
from bot.flows.context import Context
from bot.messages import Outbound

NOT_STAFF = (
    "Lệnh /dangnhap chỉ dành cho cán bộ và quản trị viên của chương trình. "
    "Nếu bạn là cán bộ nòng cốt, hãy nhờ quản trị viên thêm bạn vào danh sách nhé."
)


async def login_link(ctx: Context) -> list[Outbound]:
    settings = get_settings()
    channel, user_id = ctx.inbound.channel, ctx.inbound.user_id
    who = await principal_for(ctx.repo.session, settings, channel, user_id)
    if who.role == Role.learner:
        return [Outbound(NOT_STAFF)]
    url = await issue_login(ctx.repo.session, settings, channel, user_id, ctx.now)
    await ctx.repo.audit(who.actor, "login_link_sent")
    minutes = int(LOGIN_TTL.total_seconds() // 60)
    return [
        Outbound(
            f"🔑 Đường dẫn đăng nhập trang quản trị, dùng được một lần trong {minutes} phút:\n"
            f"{url}\n\nĐừng chuyển đường dẫn này cho người khác.",
            meta={"login_url": url},
        )
    ]
