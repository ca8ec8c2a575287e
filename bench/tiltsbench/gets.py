"""Gateway reads: GET /api/offers from several clients at once."""

import threading
import time

from .common import coordinator


def get_throughput(url: str, seconds: float = 5, clients: int = 8) -> float:
    """Answers per second to `clients` coordinators listing offers as fast as they can."""
    count, stop = [0] * clients, time.perf_counter() + seconds

    def client(k: int) -> None:
        session = coordinator()
        while time.perf_counter() < stop:
            reply = session.get(f"{url}/api/offers", params={"limit": 20})
            if reply.status_code != 200:
                raise RuntimeError(f"GET /api/offers: {reply.status_code} {reply.text[:200]}")
            count[k] += 1

    pool = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(count) / seconds
