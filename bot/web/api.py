"""The admin API for scripts (English; OpenAPI at /docs): bearer tokens made with
`hocai admin token create`. A token acts as its role holder: same checks, same scope."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.admin import tokens
from bot.admin.roles import Perm, Principal, check, principal_for
from bot.web.admin_common import resolve_filter, state
from storage.types import utcnow

router = APIRouter(prefix="/api", tags=["admin"])
bearer = HTTPBearer(auto_error=False, description="An API token from `hocai admin token create`")


async def api_caller(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if creds is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    st = state(request)
    async with st.sessions() as session, session.begin():
        owner = await tokens.api_token_owner(session, creds.credentials, utcnow())
        if owner is None:
            raise HTTPException(
                401, "invalid, expired or revoked token", headers={"WWW-Authenticate": "Bearer"}
            )
        return await principal_for(session, st.settings, *owner)


Caller = Annotated[Principal, Depends(api_caller)]


@router.get("/me", summary="The caller's role and scope")
async def me(who: Caller) -> dict:
    check(who, Perm.view)
    return {"role": who.role.value, "scope": who.scope.__dict__ if who.scope else None}


@router.get("/targets", summary="The targets report (by group, commune, unit) as JSON")
async def targets(
    request: Request,
    who: Caller,
    commune: int | None = None,
    unit: str | None = None,
) -> dict:
    """Without parameters: the caller's whole scope. `commune` (code) or `unit` (join code)
    narrow it; outside the caller's scope is 403."""
    _flt, scope, _unit = await resolve_filter(state(request), who, Perm.view, commune, unit)
    return (await state(request).reports.report(scope)).as_dict()


@router.get(
    "/export/progress",
    summary="Learner progress, one row per learner (CSV or XLSX)",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
async def export_progress(
    request: Request,
    who: Caller,
    format: Literal["csv", "xlsx"] = "csv",
    commune: int | None = None,
    unit: str | None = None,
    group: str | None = None,
) -> Response:
    """Streams the export; audited like every export."""
    from bot.web.dashboard import send_export

    return await send_export(request, who, format, commune, unit, group)
