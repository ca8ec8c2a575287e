"""The last good answer behind each public page, so that /wall, /dashboard and
/commitments stay up when a backend is slow or down: they ask with a short deadline
and, when no answer comes, show the last copy this process had, saying how old it is."""

import time
from collections import OrderedDict

from nameko.extensions import DependencyProvider

from tilts_contracts.errors import Unavailable
from tilts_runtime import metrics

from ..api.http import BackendFailed
from ..api.rpc import call

PAGE_SECONDS = 3.0  # how long a public page waits for a backend
KEPT = 64  # answers kept: a page asks with few arguments (a region, organisation ids)


class LastGood(DependencyProvider):
    """This process's last good answers, by (service, method, arguments)."""

    def __init__(self):
        super().__init__()
        self.answers: OrderedDict[tuple, tuple[float, object]] = OrderedDict()

    def get_dependency(self, worker_ctx):
        return self

    def keep(self, key: tuple, answer) -> None:
        self.answers[key] = (time.time(), answer)
        self.answers.move_to_end(key)
        while len(self.answers) > KEPT:
            self.answers.popitem(last=False)

    def last(self, key: tuple) -> tuple[float, object] | None:
        return self.answers.get(key)


class Staleness:
    """What one page request showed from memory: the oldest copy's time, if any."""

    def __init__(self, page: str):
        self.page, self.since = page, None

    def note(self, at: float) -> None:
        self.since = at if self.since is None else min(self.since, at)

    @property
    def age(self) -> int | None:
        """Seconds since the oldest copy shown was fresh; None when all of it is."""
        return None if self.since is None else max(0, int(time.time() - self.since))


def public_call(kept: LastGood, stale: Staleness, proxy, method: str, *args, timeout: float):
    """`method` on `proxy` within `timeout` seconds, else its last good answer (noted in
    `stale`); Unavailable or BackendFailed as before when there is none."""
    key = (proxy.service_name, method, repr(args))
    try:
        answer = call(proxy, method, *args, timeout=timeout)
    except (Unavailable, BackendFailed):
        last = kept.last(key)
        if last is None:
            raise
        metrics.STALE_PAGES.labels(stale.page).inc()
        stale.note(last[0])
        return last[1]
    kept.keep(key, answer)
    return answer


def age_words(seconds: int, lang: str) -> str:
    """How old a copy is, in words a reader takes in at a glance."""
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h" if lang == "en" else f"{seconds // 3600} st."
