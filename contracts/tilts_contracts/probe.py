"""Container probe: `python -m tilts_contracts.probe <service>` exits 0 if the service
answers its health RPC within 5 seconds (its storage included), 1 otherwise."""

import sys

from nameko.standalone.rpc import ClusterRpcProxy

from . import settings


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tilts_contracts.probe <service>", file=sys.stderr)
        return 2
    config = {"AMQP_URI": settings.from_env()["AMQP_URI"], "serializer": "json"}
    try:
        with ClusterRpcProxy(config, timeout=5) as cluster:
            state = getattr(cluster, argv[0]).health()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        print(f"{argv[0]}: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"{argv[0]}: {state['status']}")
    return 0 if state["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
