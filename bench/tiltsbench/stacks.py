"""A whole Tilts stack for one measurement: its own vhost, storage, mail sink, services.

Storage as `make run` lays it out (deploy/local's `Stack.start_storage`: one NX-27017
per service database), or one NX-27017 for all, as the stack ran before issue 19.
"""

import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests
from pymongo import MongoClient
from stack import STORED, Stack, free_port
from testbed import RABBIT_API, make_vhost, start_nx

from tilts_contracts import settings
from tilts_contracts.settings import from_env

from .code import Code
from .common import SECRET


class BenchStack:
    """`with BenchStack(code, var) as s:` a healthy stack at `s.url`, gone afterwards.

    `prepare(stack)` runs once storage is up and before any service starts (to fill a
    database the services then find as they would after an upgrade)."""

    def __init__(self, code: Code, var: Path, workers: int = 1, prepare: Callable | None = None):
        self.code, self.var, self.prepare = code, var, prepare
        self.workers = workers
        self.extra: list = []  # an NX-27017 of our own to stop, and the vhost to drop

    def __enter__(self) -> "BenchStack":
        self.amqp, drop = make_vhost()
        self.extra.append(drop)
        port = free_port()
        env = {**os.environ, **from_env({}), "AMQP_URI": self.amqp, "AUTH_SECRET": SECRET}
        env.update(HTTP_PORT=str(port), PUBLIC_URL=f"http://127.0.0.1:{port}", **self.code.env)
        self.url = env["PUBLIC_URL"]
        self.stack = Stack(env, self.var, workers={"matching": self.workers})
        self.stack.nameko_config = self.code.nameko_config
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        if self.code.shared_storage:
            uri, nx = start_nx(self.var / "nx")
            self.extra.append(nx.terminate)
            self.stack.env["MONGO_URI"] = uri
        else:
            self.stack.start_storage([free_port() for _ in STORED])
        if self.prepare is not None:
            self.prepare(self)
        self.stack.start_smtp(free_port())
        self.stack.start_services()
        self.stack.wait_healthy(300)  # 100k offers: matching builds their slots first

    def db(self, service: str):
        """A service's own database, wherever it lives in this layout."""
        uri = self.stack.mongo_uris.get(service) or self.stack.env["MONGO_URI"]
        client = MongoClient(uri)
        self.extra.append(client.close)
        return client[settings.database_name(service)]

    def settle(self, timeout: float = 600) -> None:
        """Wait until every queue of the stack's vhost is empty (ready and unacknowledged)
        twice, a statistics interval apart (the management API counts every 5 s), so
        what a measurement times is not the tail of what its setup set moving."""
        vhost = urlsplit(self.amqp).path.lstrip("/")  # quoted already
        deadline, empty_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            queues = requests.get(f"{RABBIT_API}/queues/{vhost}?columns=messages", timeout=10)
            if any(q.get("messages") for q in queues.json()):
                empty_since = None
            elif empty_since is None:
                empty_since = time.monotonic()
            elif time.monotonic() - empty_since > 6:
                return
            time.sleep(0.5)
        raise RuntimeError(f"the stack's queues were not empty within {timeout:.0f} s")

    @property
    def mail_dir(self) -> Path:
        return self.stack.mail_dir

    def __exit__(self, *exc) -> None:
        if hasattr(self, "stack"):
            self.stack.stop()
        for undo in reversed(self.extra):
            undo()
