"""The container definitions are valid: compose (with scaling) and Kubernetes manifests.

No Docker engine or cluster runs here, so they are validated, not run: compose with
`docker-compose config`, the manifests against Kubernetes' schemas (kubernetes-validate).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tilts_contracts import settings

ROOT = Path(__file__).parents[2]
SERVICES = ("registry", "pledges", "matching", "notify", "gateway")


def manifests() -> list[Path]:
    """The resources kustomization.yaml applies: every other file in deploy/k8s."""
    kustomization = yaml.safe_load((ROOT / "deploy/k8s/kustomization.yaml").read_text())
    listed = [ROOT / "deploy/k8s" / name for name in kustomization["resources"]]
    present = set((ROOT / "deploy/k8s").glob("*.yaml")) - {ROOT / "deploy/k8s/kustomization.yaml"}
    assert set(listed) == present, "kustomization.yaml must list every manifest"
    return sorted(listed)


def docs(paths) -> list[dict]:
    return [doc for path in paths for doc in yaml.safe_load_all(open(path)) if doc]


def validate(*paths) -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "kubernetes-validate"), "--strict", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def deployments() -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs(manifests()) if d["kind"] == "Deployment"}


def test_every_kubernetes_manifest_validates():
    # Kubernetes' own kinds; KEDA's (which it only warns about) in test_kubernetes_security
    validate(*manifests())
    kinds = [doc["kind"] for doc in docs(manifests())]
    assert kinds.count("Deployment") == 5 and kinds.count("ScaledObject") == 2
    assert kinds.count("Ingress") == 1 and kinds.count("NetworkPolicy") >= 1


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl not installed")
def test_the_kustomization_builds_valid_manifests_with_the_images_it_names(tmp_path):
    run = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "deploy/k8s")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    (tmp_path / "built.yaml").write_text(run.stdout)
    validate(tmp_path / "built.yaml")
    built = [d for d in yaml.safe_load_all(run.stdout) if d and d["kind"] == "Deployment"]
    images = {d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0] for d in built}
    assert {n: c["image"] for n, c in images.items()} == {
        name: f"registry.example.org/tilts/{name}:1.0.0" for name in SERVICES
    }
    assert not any(d["kind"] == "Secret" for d in yaml.safe_load_all(run.stdout) if d)


def test_images_are_the_ones_compose_builds_and_kustomize_places(compose):
    kustomization = yaml.safe_load((ROOT / "deploy/k8s/kustomization.yaml").read_text())
    placed = {i["name"]: i for i in kustomization["images"]}
    for name, deployment in deployments().items():
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == f"tilts/{name}"  # no tag: kustomize sets registry and tag
        assert placed[image]["newName"].endswith(f"/tilts/{name}") and placed[image]["newTag"]
    config = compose(TILTS_REGISTRY="registry.example.org/tilts", TILTS_TAG="1.0.0")
    for name in SERVICES:  # what `docker compose build && push` makes, kustomize pulls
        wanted = placed[f"tilts/{name}"]
        assert config["services"][name]["image"] == f"{wanted['newName']}:{wanted['newTag']}"


def test_no_secret_is_applied_with_the_manifests_and_the_example_is_refused():
    assert not any(d["kind"] == "Secret" for d in docs(manifests()))
    example = ROOT / "deploy/k8s-secret.example.yaml"
    validate(example)
    secret = next(d for d in docs([example]) if d["metadata"]["name"] == "tilts-secrets")
    config = next(d for d in docs(manifests()) if d["kind"] == "ConfigMap")["data"]
    problem = settings.secret_problem({**config, **secret["stringData"]})
    assert problem and "AUTH_SECRET" in problem and "\n" not in problem


def test_probes_look_at_the_pod_itself():
    for name, deployment in deployments().items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        live, ready = container["livenessProbe"], container["readinessProbe"]
        if name == "gateway":
            # one backend down must not take every gateway pod out of the Service
            assert live["httpGet"]["path"] == ready["httpGet"]["path"] == "/health/live"
            assert live["timeoutSeconds"] <= 5 and ready["timeoutSeconds"] <= 5
            continue
        # liveness: this pod's own heartbeat, never the broker nor a sibling over RPC
        assert live["exec"]["command"] == ["python", "-m", "tilts_runtime.probe", "live"]
        assert ready["exec"]["command"] == ["python", "-m", "tilts_runtime.probe", "ready"]
        assert live["periodSeconds"] * live["failureThreshold"] >= 60
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]  # writable under a read-only root
        dockerfile = (ROOT / f"deploy/docker/{name}.Dockerfile").read_text()
        assert "ENV HEARTBEAT_FILE=/tmp/" in dockerfile


def test_every_service_has_a_non_root_dockerfile_that_runs_it():
    for name in SERVICES:
        text = (ROOT / f"deploy/docker/{name}.Dockerfile").read_text()
        assert "USER 10001" in text
        assert f'"{name}.service"' in text
        assert text.startswith("#") and "FROM python:3.11" in text
