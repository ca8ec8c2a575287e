"""Helpers for the deployment tests: `docker-compose config` with the settings it needs."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
# what `docker compose up` refuses to start without
REQUIRED = {
    "AUTH_SECRET": "x" * 40,
    "RABBITMQ_PASSWORD": "a1" * 16,
    "RABBITMQ_ADMIN_PASSWORD": "b2" * 16,
    "MONGO_PASSWORD": "c3" * 16,
    "MONGO_ROOT_PASSWORD": "d4" * 16,
    "SMTP_HOST": "smtp.example.lv",
}


def run_compose_config(**settings) -> subprocess.CompletedProcess:
    """`docker-compose config` with REQUIRED, then `settings` (None removes one)."""
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED and not k.startswith("TILTS_")}
    env.update(REQUIRED)
    for key, value in settings.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture
def compose():
    """A function: the compose configuration as parsed YAML, for some settings."""
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose not installed")

    def config(**settings) -> dict:
        run = run_compose_config(**settings)
        assert run.returncode == 0, run.stderr
        return yaml.safe_load(run.stdout)

    config.run = run_compose_config
    return config
