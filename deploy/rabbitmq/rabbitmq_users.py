"""Create or update the RabbitMQ vhost and users Tilts needs, over the management API.

The services' user gets every permission on the Tilts vhost, none elsewhere and no
management tag: it can do what the services do and cannot log in to the UI, see other
vhosts or add users. An optional monitoring user (KEDA's queue-length reader) may read
queue lengths through the management API and nothing else: no publishing, no consuming.

Settings from the environment: RABBITMQ_API (http://rabbitmq:15672), RABBITMQ_ADMIN_USER,
RABBITMQ_ADMIN_PASSWORD, RABBITMQ_VHOST, RABBITMQ_USER, RABBITMQ_PASSWORD and, for the
monitoring user, RABBITMQ_MONITOR_USER and RABBITMQ_MONITOR_PASSWORD. Each run sets the
passwords again, so changing one is: set it, run this, restart the services.

Standard library only: compose runs it in the plain python image.
"""

import base64
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote

# they go into amqp:// and http:// URIs unescaped; hex from `openssl rand -hex 32` fits
PASSWORD = re.compile(r"[A-Za-z0-9._~-]{16,}")
NOTHING = "^$"  # a permission pattern no name matches


class Refused(Exception):
    """A setting this script will not use, or an answer it did not expect."""


def require(env, name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise Refused(f"{name} is not set")
    return value


def password(env, name: str) -> str:
    value = require(env, name)
    if not PASSWORD.fullmatch(value) or "change-me" in value.lower():
        raise Refused(
            f"{name} must be at least 16 letters, digits or '._~-' and no placeholder "
            "(it goes into URIs unescaped): use `openssl rand -hex 32`"
        )
    return value


class ManagementAPI:
    """The few calls of RabbitMQ's HTTP API this needs, as the administrator."""

    def __init__(self, url: str, user: str, secret: str):
        self.url = url.rstrip("/")
        token = base64.b64encode(f"{user}:{secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, headers=self.headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                text = answer.read()
        except urllib.error.HTTPError as error:
            raise Refused(f"{method} {path}: {error.code} {error.read()[:200]!r}") from None
        return json.loads(text) if text else None

    def wait(self, seconds: float) -> None:
        """Wait until the API answers (the plugin starts after the node)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.call("GET", "/api/overview")
                return
            except (OSError, Refused) as problem:
                if time.monotonic() > deadline:
                    message = f"the management API at {self.url} did not answer: {problem}"
                    raise Refused(message) from None
                time.sleep(2)


def grant_only(api: ManagementAPI, user: str, vhost: str, patterns: tuple[str, str, str]):
    """`user`'s permissions: `patterns` (configure, write, read) on `vhost`, none elsewhere."""
    name = quote(user, safe="")
    for held in api.call("GET", f"/api/users/{name}/permissions"):
        if held["vhost"] != vhost:
            api.call("DELETE", f"/api/permissions/{quote(held['vhost'], safe='')}/{name}")
    configure, write, read = patterns
    body = {"configure": configure, "write": write, "read": read}
    api.call("PUT", f"/api/permissions/{quote(vhost, safe='')}/{name}", body)


def provision(env) -> list[str]:
    """Make the vhost and users the environment names; say what was done."""
    api = ManagementAPI(
        require(env, "RABBITMQ_API"),
        require(env, "RABBITMQ_ADMIN_USER"),
        require(env, "RABBITMQ_ADMIN_PASSWORD"),
    )
    vhost, user = require(env, "RABBITMQ_VHOST"), require(env, "RABBITMQ_USER")
    secret = password(env, "RABBITMQ_PASSWORD")
    monitor = env.get("RABBITMQ_MONITOR_USER", "")
    monitor_secret = password(env, "RABBITMQ_MONITOR_PASSWORD") if monitor else ""
    api.wait(float(env.get("RABBITMQ_WAIT_SECONDS", "120")))
    api.call("PUT", f"/api/vhosts/{quote(vhost, safe='')}", {})
    # tags "": no management login (a user of an older setup loses its administrator tag)
    api.call("PUT", f"/api/users/{quote(user, safe='')}", {"password": secret, "tags": ""})
    grant_only(api, user, vhost, (".*", ".*", ".*"))
    done = [f"user {user}: every permission on vhost {vhost}, none elsewhere, no tags"]
    if monitor:
        body = {"password": monitor_secret, "tags": "management"}
        api.call("PUT", f"/api/users/{quote(monitor, safe='')}", body)
        grant_only(api, monitor, vhost, (NOTHING, NOTHING, NOTHING))
        done.append(f"user {monitor}: reads queue lengths of vhost {vhost} over HTTP only")
    return done


def main() -> int:
    try:
        for line in provision(os.environ):
            print(f"rabbitmq_users: {line}")
    except Refused as problem:
        print(f"rabbitmq_users: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
