"""Staff and admins in the chat: /dangnhap sends a one-time dashboard login link.

Anyone else is told the command is for programme staff; nothing changes for them (a
learner in the middle of a lesson stays where they are).
"""

from bot.admin.roles import Role, principal_for
from bot.admin.tokens import LOGIN_TTL, issue_login
from bot.config import get_settings
from bot.flows.context import Context
from bot.flows.texts import staff as texts
from bot.messages import Outbound


async def login_link(ctx: Context) -> list[Outbound]:
    settings = get_settings()
    channel, user_id = ctx.inbound.channel, ctx.inbound.user_id
    who = await principal_for(ctx.repo.session, settings, channel, user_id)
    if who.role == Role.learner:
        return [Outbound(texts.NOT_STAFF)]
    url = await issue_login(ctx.repo.session, settings, channel, user_id, ctx.now)
    await ctx.repo.audit(who.actor, "login_link_sent")
    minutes = int(LOGIN_TTL.total_seconds() // 60)
    return [Outbound(texts.login_link(minutes, url), meta={"login_url": url})]
