"""`hocai zalo-oa connect | info | refresh`.

connect: OAuth v4 with PKCE. It prints the permission page's address; the OA's admin
opens it, allows the app, and Zalo sends the browser to the app's callback URL with
`code` (and our `state`) in the address. Paste that address (or just the code) back
here: the code is exchanged, with the code verifier only this process knows, and the
tokens are stored in the database. No token is ever printed.
"""

import base64
import hashlib
import secrets
import sys
from datetime import UTC
from urllib.parse import parse_qs, urlparse

from bot.channels.zalo_oa.client import OAClient, OAError, OAuthClient
from bot.channels.zalo_oa.constants import CODE_VERIFIER_BYTES, WEBHOOK_PATH
from bot.channels.zalo_oa.service import oauth_client
from bot.channels.zalo_oa.tokens import TokenStore
from bot.config import Settings
from storage import db


def _err(text: str) -> None:
    print(f"error: {text}", file=sys.stderr)


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge): S256, base64url without padding (RFC 7636)."""
    verifier = secrets.token_urlsafe(CODE_VERIFIER_BYTES)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def code_from(pasted: str, state: str) -> tuple[str | None, str | None, str]:
    """(code, oa_id, problem) from a pasted callback address or a bare code."""
    pasted = pasted.strip()
    if "code=" not in pasted:
        return (pasted or None), None, "" if pasted else "nothing was pasted"
    query = parse_qs(urlparse(pasted).query or pasted.split("?", 1)[-1])
    if query.get("state", [state])[0] != state:
        return None, None, "the address carries another state: start `connect` again"
    return query.get("code", [None])[0], query.get("oa_id", [None])[0], ""


async def main(args, settings: Settings, inp=sys.stdin, out=sys.stdout) -> int:
    try:
        oauth = oauth_client(settings)
    except ValueError as e:
        _err(f"{e} (environment or .env)")
        return 2
    engine = db.make_engine(settings.database_url)
    try:
        await db.upgrade(engine)
        store = TokenStore(db.make_sessionmaker(engine), oauth)
        if args.what == "connect":
            return await _connect(oauth, store, settings, getattr(args, "code", None), inp, out)
        if args.what == "refresh":
            await store.refresh(force=True)
            print("Access token refreshed.", file=out)
            return await _info(store, settings, out)
        return await _info(store, settings, out)
    except OAError as e:
        where = "could not reach Zalo" if e.code is None else f"Zalo answered {e.code}"
        _err(f"{where}: {e.description}")
        return 1
    finally:
        await oauth.close()
        await engine.dispose()


async def _connect(
    oauth: OAuthClient, store: TokenStore, settings: Settings, code: str | None, inp, out
) -> int:
    if not settings.zalo_oa_redirect_uri:
        _err("ZALO_OA_REDIRECT_URI is not set: the app's OA callback URL, as registered")
        return 2
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    if code is None:
        print(
            "1. Open this address as the OA's admin and allow the app:\n\n"
            f"{oauth.permission_url(settings.zalo_oa_redirect_uri, challenge, state)}\n\n"
            "2. Zalo then opens your callback URL with ?code=... in the address.\n"
            "   Paste that whole address (or only the code) here and press Enter:",
            file=out,
        )
        out.flush()
        pasted = inp.readline()
    else:
        pasted = code
    got, oa_id, problem = code_from(pasted, state)
    if not got:
        _err(problem or "no code found in what was pasted")
        return 2
    tokens = await oauth.exchange_code(got, verifier)
    await store.save(tokens, oa_id)
    print(f"Connected. Tokens stored in the database (OA {oa_id or '-'}).", file=out)
    print(f"Webhook: set {WEBHOOK_PATH} on your public address in the app's settings.", file=out)
    return await _info(store, settings, out)


def _when(at) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "-"


async def _info(store: TokenStore, settings: Settings, out) -> int:
    row = await store.current()
    print(f"app: {settings.zalo_oa_app_id}", file=out)
    if row is None:
        print("tokens: none stored: run `hocai zalo-oa connect`", file=out)
        return 1
    print(f"oa: {row.oa_id or '-'}", file=out)
    print(f"access token valid until: {_when(row.access_expires_at)}", file=out)
    print(f"refresh token valid until: {_when(row.refresh_expires_at)}", file=out)
    print(
        f"refreshed {row.refreshes} time(s) since connect, last {_when(row.updated_at)}", file=out
    )
    client = OAClient(settings.zalo_oa_api_base, store.access_token)
    try:
        oa = await client.get_oa()
        print(f"oa name: {oa.get('name') or '-'}", file=out)
    finally:
        await client.close()
    return 0
