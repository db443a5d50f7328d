"""The image without Docker (the test machines have no Docker engine): the build stage's
install steps (deploy/install.sh, which the Dockerfile runs) in a fresh virtualenv from a
copy of exactly the files the Dockerfile copies, then the installed `hocai` run from
outside the source tree the way the image runs it, the HEALTHCHECK command against it,
and SIGTERM. The Dockerfile and docker-compose.yml are checked for what the deployment
relies on. Slow-ish (about a minute: a virtualenv with every dependency)."""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.production.cluster import ROOT, SCRUB, free_port

pytestmark = pytest.mark.slow


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def stages(text: str) -> list[str]:
    return re.split(r"^FROM ", text, flags=re.M)[1:]


def copies(stage: str) -> list[tuple[list[str], str]]:
    """The stage's `COPY src... dst` lines (not --from)."""
    out = []
    for line in stage.splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not parts[1].startswith("--from"):
            out.append((parts[1:-1], parts[-1]))
    return out


def test_the_dockerfile_and_compose_file_hold_what_the_deployment_needs():
    text = dockerfile()
    build, final = stages(text)
    assert build.split()[0] == "${PYTHON_IMAGE}" and "AS build" in build.splitlines()[0]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, flags=re.M)
    assert "deploy/install.sh /opt/venv" in build
    # The final stage: slim base, the virtualenv copied, no compiler, a non-root user.
    assert final.split()[0] == "${PYTHON_IMAGE}"
    assert "COPY --from=build /opt/venv /opt/venv" in final
    assert not re.search(r"apt-get|build-essential|gcc|pip install", final)
    user = re.search(r"^USER (\S+)", final, flags=re.M)
    assert user and user.group(1) not in ("root", "0")
    assert "HEALTHCHECK" in final and "/healthz" in final
    assert re.search(r'^CMD \["hocai", "run"\]', final, flags=re.M)

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "pgdata" in compose["volumes"]
    assert "healthcheck" in services["postgres"]
    for name, command in (("serve", "hocai serve"), ("worker", "hocai worker")):
        service = services[name]
        assert service["env_file"] == ".env"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        run = " ".join(service["command"])
        assert "hocai db upgrade && exec " + command in run  # migrations on start
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert service["stop_grace_period"] == "30s"

    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".git" in ignored and ".venv" in ignored


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's exec-form command (the line after `HEALTHCHECK ... \\`)."""
    lines = dockerfile().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("HEALTHCHECK"))
    line = lines[start + 1].strip()
    assert lines[start].endswith("\\") and line.startswith("CMD [")
    return json.loads(line.removeprefix("CMD "))


def build_context(tmp: Path) -> Path:
    """A copy of the files the Dockerfile's build stage copies, and nothing else."""
    context = tmp / "src"
    build = stages(dockerfile())[0]
    for sources, dest in copies(build):
        for src in sources:
            source = ROOT / src
            into_dir = dest.endswith("/") or dest == "."
            target = context / dest / source.name if into_dir else context / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(source, target, ignore=ignore)
            else:
                shutil.copy2(source, target)
    return context


def run(cmd: list[str], env: dict, cwd: Path, timeout: float = 600) -> str:
    done = subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{shlex.join(cmd)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_image_install_steps_in_a_fresh_virtualenv(tmp_path):
    context = build_context(tmp_path)
    assert (context / "deploy" / "install.sh").is_file()
    assert not (context / "tests").exists() and not (context / ".venv").exists()
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
    env.pop("VIRTUAL_ENV", None)
    env["PYTHON"] = sys.executable  # the image has python3.11 as `python`
    out = run(["sh", "deploy/install.sh", str(venv), str(context)], env, cwd=context)
    assert out.strip().splitlines()[-1].startswith("OK: ")  # `hocai lessons check`
    assert not (venv / "bin" / "pip").exists()  # nothing installs at run time

    # The final stage: /app with prompts/, the virtualenv on PATH, nothing else.
    app = tmp_path / "app"
    shutil.copytree(ROOT / "prompts", app / "prompts")
    env |= {
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "PROMPTS_DIR": str(app / "prompts"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{app / 'data' / 'hocai.db'}",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(free_port()),
        "LOG_FORMAT": "json",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    python = str(venv / "bin" / "python")
    imported = run(
        [
            python,
            "-c",
            "import bot.web.app, bot.process.leader, bot.metrics; print(bot.web.app.__file__)",
        ],
        env,
        cwd=app,
    )
    assert str(venv) in imported  # the installed package, not the checkout
    assert "at revision" in run([str(venv / "bin" / "hocai"), "db", "upgrade"], env, cwd=app)
    # With a model configured the prompts are read at start-up: found in /app/prompts.
    model_env = env | {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    assert "[offline/" in run([str(venv / "bin" / "hocai"), "ask", "AI là gì?"], model_env, app)

    # `hocai serve` from the installed package; the image's HEALTHCHECK command; SIGTERM.
    err = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    serve = subprocess.Popen(
        [str(venv / "bin" / "hocai"), "serve"], env=env, cwd=app, stdout=err, stderr=err
    )
    try:
        health_cmd = healthcheck_command()
        assert health_cmd[0] == "python"
        deadline = time.monotonic() + 60
        while True:
            probe = subprocess.run(
                [python, *health_cmd[1:]], env=env, capture_output=True, timeout=10, check=False
            )
            if probe.returncode == 0:
                break
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, probe.stderr
            time.sleep(0.3)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0, (tmp_path / "serve.log").read_text()
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(timeout=10)
        err.close()
