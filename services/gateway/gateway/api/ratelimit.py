"""Per-client request limits (the `limits` library, in this process's memory).

Each gateway replica counts on its own: behind N replicas a client gets up to N times
the limit. Good enough to stop a flood of questionnaires; a shared store would be next.
"""

from limits import parse, storage, strategies


class Limit:
    def __init__(self, rate: str, name: str):
        self.rate = parse(rate)
        self.name = name
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def allow(self, client: str) -> bool:
        return self.limiter.hit(self.rate, self.name, client)
