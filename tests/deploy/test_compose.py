"""docker-compose.yml is safe by default, as `docker-compose config` resolves it.

No Docker engine runs here: the file is resolved, not run. What reaches the host's
network, which user each container is and which password each service holds are all
visible in the resolved configuration.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tilts_contracts import settings

ROOT = Path(__file__).parents[2]
BACKENDS = ("registry", "pledges", "matching", "notify")
SERVICES = (*BACKENDS, "gateway")
# their images' entrypoints write outside the data volumes (config, cookie, key file)
WRITABLE_ROOT = {"rabbitmq", "mongo"}


def published(service: dict) -> list[tuple[str, str]]:
    """(host address, container port) of each published port; no address is every one."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.append((port.get("host_ip", "0.0.0.0"), str(port["target"])))
            continue
        parts = port.split("/")[0].split(":")
        found.append((parts[0] if len(parts) == 3 else "0.0.0.0", parts[-1]))
    return found


def test_compose_is_valid_and_the_busy_services_can_scale(compose):
    services = compose()["services"]
    assert {"rabbitmq", "rabbitmq-users", "mongo", "proxy", "mailpit", *SERVICES} <= set(services)
    assert "--replSet" in services["mongo"]["command"]
    for name in SERVICES:  # the gateway too: the proxy spreads requests over its replicas
        assert "container_name" not in services[name] and "ports" not in services[name]
    for name in BACKENDS:
        assert "replicaSet=rs0" in services[name]["environment"]["MONGO_URI"]
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3")
    # a node named after a random container id would start empty when recreated
    assert services["rabbitmq"]["hostname"] == "rabbitmq"


@pytest.mark.parametrize(
    "setting",
    [
        "AUTH_SECRET",
        "RABBITMQ_PASSWORD",
        "RABBITMQ_ADMIN_PASSWORD",
        "MONGO_PASSWORD",
        "MONGO_ROOT_PASSWORD",
        "SMTP_HOST",
    ],
)
def test_compose_refuses_to_start_without_each_secret(compose, setting):
    missing = compose.run(**{setting: None})
    assert missing.returncode != 0 and setting in missing.stderr
    empty = compose.run(**{setting: ""})
    assert empty.returncode != 0 and setting in empty.stderr


def test_only_the_proxy_can_be_reached_from_other_hosts(compose):
    for bind, proxy_address in ((None, "127.0.0.1"), ("0.0.0.0", "0.0.0.0")):
        services = compose(TILTS_BIND=bind, COMPOSE_PROFILES="dev")["services"]
        ports = {name: published(service) for name, service in services.items()}
        assert ports.pop("proxy") == [(proxy_address, "8080")]
        # the UIs (RabbitMQ's administrator, every email's links) only on this host
        assert ports.pop("rabbitmq") == [("127.0.0.1", "15672")]
        assert ports.pop("mailpit") == [("127.0.0.1", "8025")]
        assert not any(ports.values()), ports  # nothing else, not even on 127.0.0.1


def test_the_mail_catcher_runs_only_in_the_dev_profile(compose):
    services = compose()["services"]
    assert services["mailpit"]["profiles"] == ["dev"]
    assert all("profiles" not in s for name, s in services.items() if name != "mailpit")


def credentials(uri: str) -> tuple[str, str, str]:
    parts = urlsplit(uri)
    return parts.username, parts.password, parts.path


def test_the_services_log_in_as_tilts_users_never_as_administrators(compose):
    services = compose()["services"]
    setup = services["rabbitmq-users"]["environment"]
    mongo = services["mongo"]["environment"]
    for name in SERVICES:
        env = services[name]["environment"]
        user, secret, vhost = credentials(env["AMQP_URI"])
        assert (user, secret, vhost) == ("tilts", setup["RABBITMQ_PASSWORD"], "/tilts")
        assert (setup["RABBITMQ_USER"], setup["RABBITMQ_VHOST"]) == ("tilts", "tilts")
        assert setup["RABBITMQ_ADMIN_PASSWORD"] not in env.values()
        assert mongo["MONGO_INITDB_ROOT_PASSWORD"] not in str(env)
        if name in BACKENDS:
            user, secret, _ = credentials(env["MONGO_URI"])
            assert (user, secret) == (mongo["MONGO_APP_USER"], mongo["MONGO_APP_PASSWORD"])
    # the administrator is the one the node creates; the services' user is another
    assert services["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_USER"] != "tilts"
    assert mongo["MONGO_INITDB_ROOT_USERNAME"] != mongo["MONGO_APP_USER"]


def test_each_service_holds_only_the_secrets_it_uses(compose):
    services = compose(SMTP_PASSWORD="smtp-secret")["services"]
    gateway = services["gateway"]["environment"]
    assert "MONGO_URI" not in gateway and "SMTP_PASSWORD" not in gateway
    holders = {n for n in SERVICES if "SMTP_PASSWORD" in services[n]["environment"]}
    assert holders == {"notify"}
    assert services["notify"]["environment"]["SMTP_PASSWORD"] == "smtp-secret"
    assert {n for n in SERVICES if "AUTH_SECRET" in services[n]["environment"]} == {
        "gateway",
        "notify",
    }


def test_the_mongo_user_may_use_exactly_the_services_databases():
    script = (ROOT / "deploy/mongo/initdb/tilts-user.js").read_text()
    listed = re.search(r"const DATABASES = \[(.*?)\];", script).group(1)
    granted = set(re.findall(r'"([a-z_]+)"', listed))
    owners = {
        path.parent.name
        for path in ROOT.glob("services/*/*/service.py")
        if "MongoDatabase(" in path.read_text()
    }
    assert owners == set(BACKENDS)
    assert granted == {settings.database_name(name) for name in owners}
    assert 'role: "readWrite"' in script and "root" not in script.split("createUser")[1]


def test_every_container_drops_privileges(compose):
    for name, service in compose(COMPOSE_PROFILES="dev")["services"].items():
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["cap_drop"] == ["ALL"], name
        if name != "proxy":  # nginx-unprivileged's own user, 101
            assert service["user"] not in ("0", "root", "0:0") and service["user"], name
        if name not in WRITABLE_ROOT:
            assert service["read_only"] is True, name
        if name in (*SERVICES, "proxy"):  # heartbeat files, spooled uploads, nginx's temp
            assert any(t.startswith("/tmp:") for t in service["tmpfs"]), name


def test_the_proxy_reaches_the_gateway_and_nothing_else(compose):
    config = compose()
    services, networks = config["services"], config["networks"]
    on = {name: set(service["networks"]) for name, service in services.items()}
    assert on["proxy"] == {"edge"} and on["gateway"] == {"edge", "backend"}
    assert networks["backend"]["internal"] is True  # no way out of the host from there
    assert "edge" not in on["rabbitmq"] | on["mongo"]
    assert {name for name, nets in on.items() if "mail" in nets} == {"notify", "mailpit"}
    assert services["proxy"]["volumes"][0].endswith(
        "deploy/proxy/nginx.conf:/etc/nginx/nginx.conf:ro"
    )


def test_compose_health_checks_can_fail(compose):
    services = compose()["services"]
    mongo = services["mongo"]["healthcheck"]["test"]
    assert mongo[-2:] == ["--file", "/healthcheck.js"]
    script = (ROOT / "deploy/mongo/healthcheck.js").read_text()
    # mongosh exits 0 whatever a script prints: only quit() makes "not primary yet" fail
    assert "quit(admin.hello().isWritablePrimary ? 0 : 1)" in script
    assert "process.env.MONGO_INITDB_ROOT_PASSWORD" in script  # never on a command line
    for name in BACKENDS:
        assert services[name]["healthcheck"]["test"][-2:] == ["tilts_runtime.probe", "live"]
    assert "/health/live" in " ".join(services["gateway"]["healthcheck"]["test"])


def test_the_rabbitmq_users_step_runs_before_any_service(compose):
    services = compose()["services"]
    setup = services["rabbitmq-users"]
    assert setup["restart"] == "no"
    assert setup["command"] == ["python", "/setup/rabbitmq_users.py"]
    assert setup["volumes"][0].startswith(str(ROOT / "deploy/rabbitmq/rabbitmq_users.py"))
    for name in SERVICES:
        wanted = services[name]["depends_on"]["rabbitmq-users"]["condition"]
        assert wanted == "service_completed_successfully"


def test_prometheus_finds_every_service_and_no_metrics_port_is_published(compose):
    services = compose()["services"]
    for name in BACKENDS:
        port = services[name]["environment"]["METRICS_PORT"]
        assert services[name]["labels"]["prometheus.io/port"] == port == "9100", name
        assert "ports" not in services[name]
    assert services["gateway"]["labels"]["prometheus.io/port"] == "8000"
    assert "METRICS_PORT" not in services["gateway"]["environment"]
