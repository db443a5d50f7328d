"""/healthz, /readyz and /metrics. Postgres is not stopped (other tests share it): the
process under test reaches it through a TCP proxy in the test, which is closed (every
connection cut, new ones refused) and opened again."""

import asyncio
import contextlib

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.web.app import create_app
from storage import db
from tests.production.cluster import free_port, wait_until


class TcpProxy:
    """127.0.0.1:port -> target. down() cuts every connection and refuses new ones;
    up() listens again on the same port."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def down(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for w in list(self.writers):
            w.transport.abort()
        self.writers.clear()

    async def _client(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src, dst) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}


async def test_readyz_fails_while_postgres_is_away_and_recovers(empty_pg, api, cluster_factory):
    real = make_url(empty_pg)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.up()
    try:
        through_proxy = real.set(host="127.0.0.1", port=proxy.port)
        url = through_proxy.render_as_string(hide_password=False)
        cluster = cluster_factory(url)
        serve = cluster.start("serve", "serve")
        await cluster.ready(serve)
        body = (await serve.get("/readyz")).json()
        assert body["checks"] == {
            "database": "ok",
            "migrations": "ok",
            "channel:telegram": "ok",
        }

        await proxy.down()
        response = await serve.get("/readyz")
        assert response.status_code == 503
        assert response.json()["failed"] == ["database"]
        assert response.json()["checks"]["database"].startswith("unreachable")
        assert (await serve.get("/healthz")).status_code == 200  # alive all the same

        await proxy.up()

        async def ready() -> bool:
            return (await serve.get("/readyz")).status_code == 200

        await wait_until(ready, "/readyz back to 200", 30, every=0.2)
        assert serve.alive
    finally:
        await proxy.down()


class Channel:
    name = "telegram"
    healthy = True

    def webhook_router(self):
        return None


async def get(app, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as http:
        return await http.get(path)


async def test_readyz_names_migrations_behind_and_unauthenticated_channels(tmp_path):
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    try:
        channel = Channel()
        app = create_app([channel], sessions=db.make_sessionmaker(engine))
        response = await get(app, "/readyz")  # a database never migrated
        assert response.status_code == 503
        assert response.json()["failed"] == ["migrations"]
        assert response.json()["checks"]["migrations"].startswith("at none, code expects")

        await db.upgrade(engine)
        assert (await get(app, "/readyz")).status_code == 200

        channel.healthy = False  # e.g. Telegram answered 401 to the token
        response = await get(app, "/readyz")
        assert response.status_code == 503
        assert response.json()["failed"] == ["channel:telegram"]
        assert response.json()["checks"]["channel:telegram"] == "not authenticated"
        assert (await get(app, "/healthz")).json()["status"] == "degraded"
    finally:
        await engine.dispose()


async def test_metrics_are_prometheus_text(tmp_path):
    from bot import metrics

    metrics.UPDATES.labels("console", "text").inc(0)
    response = await get(create_app([]), "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for line in (
        "# TYPE hocai_updates_total counter",
        "# TYPE hocai_handler_seconds histogram",
        "# TYPE hocai_outbox_sends_total counter",
        "# TYPE hocai_outbox_depth gauge",
        "# TYPE hocai_reminders_queued_total counter",
        "# TYPE hocai_reminders_sent_total counter",
        "# TYPE hocai_llm_calls_total counter",
        "# TYPE hocai_llm_seconds histogram",
        "# TYPE hocai_errors_total counter",
    ):
        assert line in response.text


def sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_model_calls_and_logged_errors_are_counted():
    import logging

    from bot import metrics

    class Model:  # the shape of bot.tutor.llm.ChatModel
        name = "test-model"

        def __init__(self):
            self.fail = None

        async def complete(self, system: str, user: str) -> str:
            if self.fail:
                raise RuntimeError(self.fail)
            return "ok"

    class Answerer:
        model = Model()

    answerer = Answerer()
    metrics.instrument_llm(answerer)
    metrics.instrument_llm(answerer)  # once only
    before = {
        o: sample("hocai_llm_calls_total", model="test-model", outcome=o)
        for o in ("ok", "timeout", "error")
    }
    assert await answerer.model.complete("s", "u") == "ok"
    answerer.model.fail = "timeout"
    with pytest.raises(RuntimeError):
        await answerer.model.complete("s", "u")
    answerer.model.fail = "boom"
    with pytest.raises(RuntimeError):
        await answerer.model.complete("s", "u")
    for outcome in ("ok", "timeout", "error"):
        got = sample("hocai_llm_calls_total", model="test-model", outcome=outcome)
        assert got == before[outcome] + 1, outcome
    assert sample("hocai_llm_seconds_count", model="test-model") >= 3

    log = logging.getLogger("hocai.testcomponent.sub")
    handler = metrics.ErrorCounter()
    log.addHandler(handler)
    log.propagate = False  # counted here only, whatever the root logger has
    errors = sample("hocai_errors_total", component="testcomponent")
    try:
        log.warning("not counted")
        log.error("counted")
        log.critical("counted too")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    assert sample("hocai_errors_total", component="testcomponent") == errors + 2


async def test_start_up_without_a_database_says_so_in_one_line_and_exits_non_zero(tmp_path, api):
    """The database does not answer (a closed port): one JSON line naming it, retries for
    STARTUP_TIMEOUT_SECONDS, a last line, exit code 3; no traceback."""
    from tests.production.cluster import Cluster, free_port, json_lines

    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/hocai"
    cluster = Cluster(tmp_path, dead, api.url)
    try:
        proc = cluster.start("serve", "serve", STARTUP_TIMEOUT_SECONDS="2")
        assert await proc.wait_exit(30) == 3
        lines = json_lines(proc)  # every line is JSON
        errors = [r for r in lines if r["level"] == "error"]
        assert len(errors) == 2, lines
        assert "database unreachable at postgresql 127.0.0.1:" in errors[0]["msg"]
        assert "retrying for up to 2 s" in errors[0]["msg"]
        assert "giving up" in errors[1]["msg"]
        assert not any("exc" in r for r in lines) and "Traceback" not in proc.logs()
    finally:
        await cluster.aclose()
