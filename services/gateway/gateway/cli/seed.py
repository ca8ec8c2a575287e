"""`tilts seed-demo`: the 2015 lead organisations, verified, with an offer each."""

from . import demo
from .common import api_session


def _ensure_org(session, base: str, fields: dict) -> str:
    reply = session.post(f"{base}/api/organisations", json=fields, timeout=30)
    if reply.status_code == 409:
        return reply.json()["error"]["details"]["existing_id"]
    reply.raise_for_status()
    return reply.json()["id"]


def run(args, config) -> int:
    """Register, verify and pledge for the 2015 lead organisations (safe to run twice)."""
    session, base = api_session(config, "coordinator")
    for entry in demo.ORGANISATIONS:
        fields = {k: v for k, v in entry.items() if k != "offer"}
        org_id = _ensure_org(session, base, fields)
        org = session.get(f"{base}/api/organisations/{org_id}", timeout=30).json()
        if org["status"] == "pending":
            session.post(f"{base}/api/organisations/{org_id}/verify", timeout=30).raise_for_status()
        offers = session.get(
            f"{base}/api/offers", params={"organisation_id": org_id}, timeout=30
        ).json()
        if not offers["items"]:
            reply = session.post(
                f"{base}/api/offers", json={**entry["offer"], "organisation_id": org_id}, timeout=30
            )
            reply.raise_for_status()
        print(f"{org_id}  {fields['name']}")
    return 0


def register(sub) -> None:
    seed = sub.add_parser("seed-demo", help="load the 2015 organisations and their offers")
    seed.set_defaults(run=run)
