"""The container definitions are valid: compose (with scaling) and Kubernetes manifests.

No Docker engine or cluster runs here, so they are validated, not run: compose with
`docker-compose config`, the manifests against Kubernetes' schemas (kubernetes-validate).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
SERVICES = ("registry", "pledges", "matching", "notify", "gateway")


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")
def test_compose_is_valid_and_the_busy_services_can_scale():
    env = {**os.environ, "AUTH_SECRET": "x" * 40}
    run = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    config = yaml.safe_load(run.stdout)
    services = config["services"]
    assert {"rabbitmq", "mongo", "mailpit", *SERVICES} <= set(services)
    assert "--replSet" in services["mongo"]["command"]
    for name in ("matching", "notify", "registry", "pledges"):
        assert "container_name" not in services[name] and "ports" not in services[name]
        assert services[name]["environment"]["MONGO_URI"].endswith("replicaSet=rs0")
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3")
    missing = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "AUTH_SECRET"},
    )
    assert missing.returncode != 0 and "AUTH_SECRET" in missing.stderr


def test_every_kubernetes_manifest_validates():
    manifests = sorted(str(p) for p in (ROOT / "deploy/k8s").glob("*.yaml"))
    run = subprocess.run(
        [str(Path(sys.executable).parent / "kubernetes-validate"), "--strict", *manifests],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    kinds = [doc["kind"] for path in manifests for doc in yaml.safe_load_all(open(path)) if doc]
    assert kinds.count("Deployment") == 5 and kinds.count("HorizontalPodAutoscaler") == 2


def test_every_service_has_a_non_root_dockerfile_that_runs_it():
    for name in SERVICES:
        text = (ROOT / f"deploy/docker/{name}.Dockerfile").read_text()
        assert "USER 10001" in text
        assert f'"{name}.service"' in text
        assert text.startswith("#") and "FROM python:3.11" in text
