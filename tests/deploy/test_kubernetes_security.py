"""What the Kubernetes manifests let each pod do and who may reach it.

No cluster runs here: the NetworkPolicies are evaluated by a small model of their
semantics (selectors, peers, named ports, isolation) over the pods the manifests make
and the ones around them, and the KEDA objects are checked against KEDA's schema
(keda_schemas.yaml; kubernetes-validate knows only Kubernetes' own kinds).
"""

import copy
import re
from pathlib import Path

import jsonschema
import yaml

from tilts_contracts.events import CONSUMERS
from tilts_runtime.dependencies import consumer_queue

ROOT = Path(__file__).parents[2]
K8S = ROOT / "deploy/k8s"
BACKENDS = ("registry", "pledges", "matching", "notify")
SERVICES = (*BACKENDS, "gateway")
NAME = "app.kubernetes.io/name"


def documents() -> list[dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    paths = [K8S / name for name in kustomization["resources"]]
    return [doc for path in paths for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def example_secrets() -> dict[str, dict]:
    text = (ROOT / "deploy/k8s-secret.example.yaml").read_text()
    return {d["metadata"]["name"]: d["stringData"] for d in yaml.safe_load_all(text)}


def test_every_pod_runs_unprivileged_with_bounded_resources():
    namespace = of_kind("Namespace")["tilts"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    deployments = of_kind("Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name  # the images' USER
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        assert not {"hostNetwork", "hostPID", "hostIPC"} & set(pod), name
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert not context.get("privileged"), name
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            volumes = {v["name"]: v for v in pod["volumes"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], name  # writable under a read-only root


def test_each_pod_reads_only_the_secrets_its_service_uses():
    wanted = {
        "gateway": {"AUTH_SECRET", "AMQP_URI", "METRICS_TOKEN"},
        "registry": {"AMQP_URI", "MONGO_URI"},
        "pledges": {"AMQP_URI", "MONGO_URI"},
        "matching": {"AMQP_URI", "MONGO_URI"},
        "notify": {"AUTH_SECRET", "AMQP_URI", "MONGO_URI", "SMTP_USER", "SMTP_PASSWORD"},
    }
    secrets = example_secrets()
    config = of_kind("ConfigMap")["tilts-config"]["data"]
    for name, deployment in of_kind("Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        # a whole-Secret envFrom would hand the gateway the database password
        assert all("secretRef" not in source for source in container["envFrom"]), name
        refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"]]
        assert {r["key"] for r in refs} == wanted[name], name
        for ref in refs:
            assert ref["key"] in secrets[ref["name"]], (name, ref)
    # credentials never sit in the ConfigMap
    assert not {"MONGO_URI", "AMQP_URI", "AUTH_SECRET", "SMTP_PASSWORD"} & set(config)
    assert not any(re.search(r"://[^/@]+@", value) for value in config.values())


def test_the_secrets_name_the_services_users_not_the_administrators():
    secrets = example_secrets()
    assert secrets["tilts-secrets"]["AMQP_URI"].startswith("amqp://tilts:")
    assert secrets["tilts-secrets"]["AMQP_URI"].endswith("/tilts")  # the Tilts vhost
    assert secrets["tilts-secrets"]["MONGO_URI"].startswith("mongodb://tilts:")
    assert "authSource=admin" in secrets["tilts-secrets"]["MONGO_URI"]
    assert secrets["tilts-keda"]["host"].startswith("http://keda:")


def test_the_ingress_leads_only_to_the_gateway_over_https():
    (ingress,) = of_kind("Ingress").values()
    backends = [
        path["backend"]["service"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert backends == [{"name": "gateway", "port": {"name": "http"}}]
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
    service = of_kind("Service")["gateway"]
    assert service["spec"]["selector"] == {NAME: "gateway"}


# --- KEDA -----------------------------------------------------------------------------

SCHEMAS = yaml.safe_load((Path(__file__).parent / "keda_schemas.yaml").read_text())


def keda_problems(doc: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMAS[doc["kind"]])
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)
    ]


def test_keda_objects_match_keda_schema_and_the_schema_can_fail():
    keda = [d for d in documents() if d["apiVersion"].startswith("keda.sh/")]
    assert sorted(d["kind"] for d in keda) == [
        "ScaledObject",
        "ScaledObject",
        "TriggerAuthentication",
    ]
    for doc in keda:
        assert keda_problems(doc) == [], doc["metadata"]["name"]
    broken = copy.deepcopy(next(d for d in keda if d["kind"] == "ScaledObject"))
    broken["spec"]["minReplicas"] = 2  # the HPA's word, not KEDA's
    broken["spec"]["triggers"][0]["metadata"]["protocol"] = "amqp"  # no regex over AMQP
    assert len(keda_problems(broken)) == 2


def all_queues() -> dict[str, set[str]]:
    """Every queue the services consume from, by service."""
    queues = {name: {f"rpc-{name}"} for name in SERVICES}
    for event_type, consumers in CONSUMERS.items():
        for consumer in consumers:
            queues[consumer].add(consumer_queue(event_type, consumer))
    return queues


def test_matching_and_notify_scale_on_their_own_queues_only():
    scaled = of_kind("ScaledObject")
    assert set(scaled) == {"matching", "notify"} and not of_kind("HorizontalPodAutoscaler")
    authentications = of_kind("TriggerAuthentication")
    queues = all_queues()
    every_queue = set().union(*queues.values())
    for name, scaled_object in scaled.items():
        assert scaled_object["spec"]["scaleTargetRef"]["name"] in of_kind("Deployment")
        assert scaled_object["spec"]["minReplicaCount"] >= 1  # their timers must run
        (trigger,) = scaled_object["spec"]["triggers"]
        meta = trigger["metadata"]
        assert (trigger["type"], meta["mode"], meta["operation"]) == (
            "rabbitmq",
            "QueueLength",
            "sum",
        )
        pattern = re.compile(meta["queueName"])
        assert {q for q in every_queue if pattern.search(q)} == queues[name]
        auth = authentications[trigger["authenticationRef"]["name"]]["spec"]
        ((ref,),) = [auth["secretTargetRef"]]
        assert (ref["parameter"], ref["name"]) == ("host", "tilts-keda")
        assert ref["key"] in example_secrets()["tilts-keda"]


# --- NetworkPolicies --------------------------------------------------------------------


class Endpoint:
    """A pod (namespace, labels, named ports) or, with no namespace, a host outside."""

    def __init__(self, name, namespace=None, labels=None, ports=None):
        self.name, self.namespace = name, namespace
        self.labels, self.ports = labels or {}, ports or {}

    @property
    def namespace_labels(self) -> dict:
        return {"kubernetes.io/metadata.name": self.namespace}


def selects(selector: dict, labels: dict) -> bool:
    """A LabelSelector's verdict (an empty one selects everything)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    tests = {
        "In": lambda e: labels.get(e["key"]) in e["values"],
        "NotIn": lambda e: labels.get(e["key"]) not in e["values"],
        "Exists": lambda e: e["key"] in labels,
        "DoesNotExist": lambda e: e["key"] not in labels,
    }
    return all(tests[e["operator"]](e) for e in selector.get("matchExpressions", []))


def peer_matches(peer: dict, other: Endpoint, namespace: str) -> bool:
    if "ipBlock" in peer:  # addresses outside the cluster
        return other.namespace is None
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], other.namespace_labels):
            return False
    elif other.namespace != namespace:
        return False
    return selects(peer.get("podSelector", {}), other.labels)


def port_matches(ports, target: Endpoint, port: int, protocol: str) -> bool:
    if not ports:
        return True  # every port and protocol
    for entry in ports:
        wanted = entry.get("port")
        wanted = target.ports.get(wanted, wanted) if isinstance(wanted, str) else wanted
        if entry.get("protocol", "TCP") == protocol and wanted in (None, port):
            return True
    return False


def allowed(policies, pod: Endpoint, other: Endpoint, target: Endpoint, port, protocol, way):
    """Whether `pod`'s policies let traffic `way` ("Ingress"/"Egress") with `other` pass."""
    if pod.namespace != "tilts":
        return True  # no policies of ours there
    field, peers = ("ingress", "from") if way == "Ingress" else ("egress", "to")
    chosen = [
        p["spec"]
        for p in policies
        if way in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], pod.labels)
    ]
    if not chosen:
        return True
    return any(
        (not rule.get(peers) or any(peer_matches(q, other, "tilts") for q in rule[peers]))
        and port_matches(rule.get("ports"), target, port, protocol)
        for spec in chosen
        for rule in spec.get(field, [])
    )


def can_connect(policies, source: Endpoint, target: Endpoint, port: int, protocol="TCP"):
    return allowed(policies, source, target, target, port, protocol, "Egress") and (
        target.namespace is None
        or allowed(policies, target, source, target, port, protocol, "Ingress")
    )


def world() -> list[Endpoint]:
    """The manifests' pods and what surrounds them in a cluster."""
    pods = []
    for name, deployment in of_kind("Deployment").items():
        template = deployment["spec"]["template"]
        ports = {
            p["name"]: p["containerPort"]
            for p in template["spec"]["containers"][0].get("ports", [])
        }
        pods.append(Endpoint(name, "tilts", template["metadata"]["labels"], ports))
    return pods + [
        Endpoint("rabbitmq", "tilts", {NAME: "rabbitmq"}),
        Endpoint("rabbitmq-peer", "tilts", {NAME: "rabbitmq"}),
        Endpoint("mongo", "tilts", {NAME: "mongo"}),
        Endpoint("mongo-peer", "tilts", {NAME: "mongo"}),
        Endpoint("stray", "tilts", {NAME: "debug-shell"}),
        Endpoint("ingress", "ingress-nginx", {NAME: "ingress-nginx"}),
        Endpoint("prometheus", "monitoring", {NAME: "prometheus"}),
        Endpoint("keda", "keda", {NAME: "keda-operator"}),
        Endpoint("other-app", "default", {NAME: "shop"}),
        Endpoint("kube-dns", "kube-system", {"k8s-app": "kube-dns"}),
        Endpoint("internet"),
    ]


PORTS = [(p, "TCP") for p in (25, 443, 587, 4369, 5672, 8000, 9100, 15672, 25672, 27017)]
PORTS += [(53, "UDP")]


def expected(source: str, target: str, port: int) -> bool:
    """Who may reach whom, as 40-network-policies.yaml's header says."""
    tilts = {*SERVICES, "rabbitmq", "rabbitmq-peer", "mongo", "mongo-peer", "stray"}
    rabbits, mongos = {"rabbitmq", "rabbitmq-peer"}, {"mongo", "mongo-peer"}
    rules = [
        (source in tilts and target == "kube-dns" and port == 53),
        (source in {"ingress", "prometheus"} and target == "gateway" and port == 8000),
        (source == "prometheus" and target in BACKENDS and port == 9100),
        (source in SERVICES and target in rabbits and port == 5672),
        (source in BACKENDS and target in mongos and port == 27017),
        (source == "keda" and target in rabbits and port == 15672),
        (source in rabbits and target in rabbits),
        (source in mongos and target in mongos and port == 27017),
        (source == "notify" and target == "internet" and port in (25, 465, 587)),
        # outside our namespace, nothing of ours stands in the way
        (source not in tilts and target not in tilts and target != "internet"),
        (source not in tilts and target == "internet"),
    ]
    return any(rules) and source != target


def test_only_the_allowed_paths_exist_between_the_pods():
    policies = list(of_kind("NetworkPolicy").values())
    endpoints = world()
    wrong = [
        f"{s.name} -> {t.name}:{port}/{protocol}: {'open' if found else 'closed'}"
        for s in endpoints
        for t in endpoints
        if s is not t
        for port, protocol in PORTS
        if (found := can_connect(policies, s, t, port, protocol)) != expected(s.name, t.name, port)
    ]
    assert wrong == []


def test_the_model_sees_an_open_door():
    """Without the default deny, or with a careless rule, the check above would fail."""
    policies = list(of_kind("NetworkPolicy").values())
    internet, stray = Endpoint("internet"), Endpoint("stray", "tilts", {NAME: "debug-shell"})
    rabbit = Endpoint("rabbitmq", "tilts", {NAME: "rabbitmq"})
    assert not can_connect(policies, internet, stray, 8000)
    without_deny = [p for p in policies if p["metadata"]["name"] != "default-deny"]
    assert can_connect(without_deny, internet, stray, 8000)
    careless = copy.deepcopy(of_kind("NetworkPolicy")["rabbitmq"])
    careless["spec"]["ingress"].append({"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})
    assert not can_connect(policies, internet, rabbit, 5672)
    assert can_connect([careless], internet, rabbit, 5672)
