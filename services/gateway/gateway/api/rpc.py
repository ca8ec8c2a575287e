"""RPC to the backends with a deadline: a service that does not answer is a 503."""

import logging
import time
from contextlib import contextmanager

import eventlet
from nameko.exceptions import RemoteError, UnknownService

from tilts_contracts.errors import TiltsError, Unavailable
from tilts_runtime import metrics

from .http import BackendFailed

log = logging.getLogger(__name__)


OUTCOMES = (
    (eventlet.Timeout, "timeout"),
    (Unavailable, "timeout"),
    (UnknownService, "unavailable"),
    (TiltsError, "refused"),
)


def outcome_of(exc: BaseException | None) -> str:
    """How an RPC ended, for tilts_rpc_client_calls: ok, timeout, unavailable, refused
    (a domain error such as 404 or 409) or error."""
    if exc is None:
        return "ok"
    return next((name for kind, name in OUTCOMES if isinstance(exc, kind)), "error")


@contextmanager
def counted(service: str, method: str):
    """Time the RPC inside and count it by how it ended."""
    began, failure = time.perf_counter(), None
    try:
        yield
    except BaseException as exc:  # eventlet.Timeout too: counted, then raised on
        failure = exc
        raise
    finally:
        metrics.RPC_CLIENT_SECONDS.labels(service, method).observe(time.perf_counter() - began)
        metrics.RPC_CLIENT_CALLS.labels(service, method, outcome_of(failure)).inc()


def call(proxy, method: str, *args, timeout: float, **kwargs):
    """An RPC that gives up after `timeout` seconds with 503, instead of hanging."""
    try:
        with counted(proxy.service_name, method), eventlet.Timeout(timeout):
            return getattr(proxy, method).call_async(*args, **kwargs).result()
    except eventlet.Timeout as exc:
        raise Unavailable(
            f"{proxy.service_name} did not answer within {timeout:g} s",
            {"service": proxy.service_name},
        ) from exc
    except UnknownService as exc:
        raise Unavailable(
            f"{proxy.service_name} is not running", {"service": proxy.service_name}
        ) from exc
    except RemoteError as exc:
        log.error("backend error from %s.%s: %s", proxy.service_name, method, exc)
        raise BackendFailed(
            "something went wrong on our side", {"service": proxy.service_name}
        ) from exc


def call_all(calls: dict, timeout: float) -> dict:
    """Several RPCs at once, `{key: (proxy, method, *args)}`, under one deadline: each
    key gets its result, or the exception (Unavailable when nothing came in time). A
    service that is down costs `timeout` once, not once per service."""
    pending, results = {}, {}
    for key, (proxy, method, *args) in calls.items():
        try:
            pending[key] = getattr(proxy, method).call_async(*args)
        except Exception as exc:  # noqa: BLE001 - the broker refused: this one is down
            results[key] = exc
    deadline = time.monotonic() + timeout
    began = time.perf_counter()
    for key, reply in pending.items():
        try:
            with eventlet.Timeout(max(deadline - time.monotonic(), 0.001)):
                results[key] = reply.result()
        except eventlet.Timeout:
            results[key] = Unavailable(f"no answer within {timeout:g} s", {"call": str(key)})
        except Exception as exc:  # noqa: BLE001 - reported to the caller, not raised
            results[key] = exc
        _count(calls[key], results[key], time.perf_counter() - began)
    return results


def _count(call_spec: tuple, result, seconds: float) -> None:
    proxy, method = call_spec[0], call_spec[1]
    failure = result if isinstance(result, BaseException) else None
    metrics.RPC_CLIENT_SECONDS.labels(proxy.service_name, method).observe(seconds)
    metrics.RPC_CLIENT_CALLS.labels(proxy.service_name, method, outcome_of(failure)).inc()
