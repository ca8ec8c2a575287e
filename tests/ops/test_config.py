"""Settings reach the code exactly as set: nameko's config interpolates `${VAR:default}`
and used to YAML-parse the result, so AUTH_SECRET='~' became the public development
secret and a password with " #" lost its tail. And a secret anyone can read is refused
outside a local PUBLIC_URL by the services and the command line alike."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from stack import NAMEKO_CONFIG, ROOT, Stack, free_port, wait_for_port
from testbed import make_vhost

from tilts_contracts import settings
from tilts_contracts.tokens import issue_token, read_token

TRICKY = ["~", "null", "a #b", "0777", "true", "x: \"double\" 'single' #tail", "{a: 1}", "- x"]
PUBLIC = "https://tilts.example.lv"
BIN = Path(sys.executable).parent
# reads deploy/nameko.yml exactly as `nameko run` does, once per environment given
AS_NAMEKO = """
import json, os, sys, yaml
from nameko.cli.main import setup_yaml_parser
setup_yaml_parser()
configs = []
for env in json.loads(sys.stdin.read()):
    os.environ.clear()
    os.environ.update(env)
    with open(sys.argv[1]) as config:
        configs.append(yaml.safe_load(config))
print(json.dumps(configs))
"""


def as_nameko_reads(environments: list[dict]) -> list[dict]:
    run = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", AS_NAMEKO, str(NAMEKO_CONFIG)],
        input=json.dumps(environments),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(run.stdout)


def test_nameko_config_takes_every_setting_raw_and_defaults_as_settings_do():
    text = NAMEKO_CONFIG.read_text()
    named = set(re.findall(r"\$\{(\w+):", text))
    assert named == set(settings.DEFAULTS)  # one vocabulary: no setting only one side knows
    keys = [key for key in settings.DEFAULTS if key != "HTTP_HOST"]  # in WEB_SERVER_ADDRESS
    unset, *tricky = as_nameko_reads([{}] + [dict.fromkeys(settings.DEFAULTS, v) for v in TRICKY])
    assert {key: unset[key] for key in keys} == {key: settings.DEFAULTS[key] for key in keys}
    assert unset["WEB_SERVER_ADDRESS"] == "0.0.0.0:8000"
    for value, config in zip(TRICKY, tricky, strict=True):
        assert {key: config[key] for key in keys} == dict.fromkeys(keys, value), value
        assert config["WEB_SERVER_ADDRESS"] == f"{value}:{value}"


@pytest.mark.integration
def test_the_gateway_checks_tokens_with_the_secret_exactly_as_set(tmp_path):
    secret = "pass: \"word\" 'quoted' #not-a-comment ~ null 0777 and more"
    vhost, drop = make_vhost()
    port = free_port()
    env = {
        **os.environ,
        **settings.from_env({}),
        "AMQP_URI": vhost,
        "HTTP_PORT": str(port),
        "PUBLIC_URL": PUBLIC,  # a secret that is not refused there either
        "AUTH_SECRET": secret,
        "RPC_TIMEOUT": "1",
    }
    running = Stack(env, tmp_path)
    try:
        running.start_services(("gateway",))
        wait_for_port("127.0.0.1", port, 60, running.procs["gateway"])
        url = f"http://127.0.0.1:{port}/api/needs"

        def status(signed_with: str) -> int:
            token = issue_token(signed_with, "coordinator")
            headers = {"Authorization": f"Bearer {token}"}
            return requests.get(url, headers=headers, timeout=10).status_code

        assert status(secret) == 503  # past the token check; pledges does not run here
        for wrong in ("pass:", "pass: \"word\" 'quoted'", settings.DEFAULTS["AUTH_SECRET"]):
            assert status(wrong) == 401, wrong
    finally:
        running.stop()
        drop()


def refused_start(service: str, **setting: str) -> str:
    """Start `service` with `setting`, which it must refuse at once: what it printed."""
    env = {
        **os.environ,
        "PUBLIC_URL": PUBLIC,
        "AUTH_SECRET": "a-secret-nobody-else-knows-of-32-bytes",
        "MONGO_URI": "mongodb://127.0.0.1:9/",  # refused before anything is reached
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:9/",
        "HTTP_PORT": "0",
        **setting,
    }
    began = time.monotonic()
    run = subprocess.run(
        [str(BIN / "nameko"), "run", "--config", str(NAMEKO_CONFIG), f"{service}.service"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and time.monotonic() - began < 30
    return run.stderr


@pytest.mark.parametrize("secret", ["~", "null", "0777"])
def test_a_service_refuses_a_short_secret_as_set_not_as_yaml_reads_it(secret):
    said = refused_start("registry", AUTH_SECRET=secret)
    assert "tilts: refusing to use AUTH_SECRET: it is shorter than 32 bytes" in said


@pytest.mark.parametrize(
    "service, key, value, says",
    [
        ("gateway", "RPC_TIMEOUT", "fast", "a number of seconds, 0.1 to 600: 'fast'"),
        ("gateway", "TRUSTED_PROXIES", "-1", "a whole number, 0 to 10: '-1'"),
        ("notify", "DIGEST_HOUR", "25", "a whole number, 0 to 23: '25'"),
        ("notify", "SMTP_PORT", "smtp", "a whole number, 1 to 65535: 'smtp'"),
        ("pledges", "RETENTION_DAYS", "1.5", "a whole number of days, 1 to 36500: '1.5'"),
    ],
)
def test_a_number_setting_out_of_range_stops_the_service_with_one_line(service, key, value, says):
    said = refused_start(service, **{key: value})
    assert f"tilts: {key} must be {says}" in said
    assert "Traceback" not in said


def tilts(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("AUTH_SECRET", "PUBLIC_URL")}
    return subprocess.run(
        [str(BIN / "tilts"), *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_line_refuses_to_sign_with_a_secret_anyone_can_read(tmp_path):
    unset = tilts("token", "admin", cwd=tmp_path, PUBLIC_URL=PUBLIC)
    short = tilts("token", "admin", cwd=tmp_path, PUBLIC_URL=PUBLIC, AUTH_SECRET="a #b")
    for refused, why in (
        (unset, "is the development default"),
        (short, "is shorter than 32 bytes"),
    ):
        assert refused.returncode == 1 and refused.stdout == ""
        assert refused.stderr.startswith(f"tilts: refusing to use AUTH_SECRET: it {why}")
        assert refused.stderr.count("\n") == 1

    long = 'x: "y" #z ' * 4
    signed = tilts("token", "admin", cwd=tmp_path, PUBLIC_URL=PUBLIC, AUTH_SECRET=long)
    assert signed.returncode == 0, signed.stderr
    assert read_token(long, signed.stdout.strip())["role"] == "admin"


def test_the_command_line_in_the_checkout_uses_the_secret_make_run_made(tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "auth_secret").write_text("f00d" * 16 + "\n")
    signed = tilts("token", "coordinator", cwd=tmp_path)
    assert signed.returncode == 0, signed.stderr
    assert read_token("f00d" * 16, signed.stdout.strip())["role"] == "coordinator"
