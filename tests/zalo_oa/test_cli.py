"""`hocai zalo-oa connect | info | refresh` against the stand-in: PKCE, the tokens stored,
never printed."""

import io
from argparse import Namespace
from urllib.parse import parse_qs, urlparse

from bot.channels.zalo_oa import cli
from storage.models import ZaloOAToken
from tests.standins.zalo_oa_api import APP_ID, OA_ID
from tests.zalo_oa.conftest import make_settings


class Admin(io.StringIO):
    """Stdin: reads the printed address, 'allows' the app at the stand-in, and pastes
    the callback address Zalo would open."""

    def __init__(self, api, out: io.StringIO, state: str | None = None):
        super().__init__()
        self.api, self.out, self.state = api, out, state

    def readline(self, *_args) -> str:
        url = next(ln for ln in self.out.getvalue().splitlines() if "/v4/oa/permission?" in ln)
        query = parse_qs(urlparse(url).query)
        assert query["app_id"] == [APP_ID] and query["redirect_uri"]
        code = self.api.authorize(query["code_challenge"][0])
        state = self.state or query["state"][0]
        return f"https://hocai.test/zalo-oa/callback?code={code}&oa_id={OA_ID}&state={state}\n"


async def test_connect_stores_the_tokens_and_info_shows_no_secret(api, db_url, engine, sessions):
    settings = make_settings(api, database_url=db_url)
    out = io.StringIO()
    assert await cli.main(Namespace(what="connect", code=None), settings, Admin(api, out), out) == 0
    async with sessions() as s:
        row = await s.get(ZaloOAToken, APP_ID)
    assert row.oa_id == OA_ID and row.access_token in api.access
    printed = out.getvalue()
    assert "Connected" in printed and "oa name: Bình dân học AI Thái Nguyên" in printed
    assert row.access_token not in printed and row.refresh_token not in printed
    out = io.StringIO()
    assert await cli.main(Namespace(what="refresh"), settings, out=out) == 0
    assert api.refreshes == 1 and "refreshed 1 time(s)" in out.getvalue()


async def test_connect_refuses_another_state_and_a_wrong_verifier(api, db_url, engine, sessions):
    settings = make_settings(api, database_url=db_url)
    out = io.StringIO()
    admin = Admin(api, out, state="someone-elses-state")
    assert await cli.main(Namespace(what="connect", code=None), settings, admin, out) == 2
    code = api.authorize("a-challenge-we-never-made")
    out = io.StringIO()
    assert await cli.main(Namespace(what="connect", code=code), settings, out=out) == 1
    async with sessions() as s:
        assert await s.get(ZaloOAToken, APP_ID) is None


async def test_info_without_tokens_says_to_connect(api, db_url, engine):
    out = io.StringIO()
    assert (
        await cli.main(Namespace(what="info"), make_settings(api, database_url=db_url), out=out)
        == 1
    )
    assert "hocai zalo-oa connect" in out.getvalue()
