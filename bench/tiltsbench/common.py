"""What every scenario shares: the token secret, coordinator sessions, names, percentiles."""

import random
import string
import sys
import time
from pathlib import Path

import jwt
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))  # the stack code make run uses

SECRET = "bench-secret-of-at-least-thirty-two-bytes"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def coordinator() -> requests.Session:
    session = requests.Session()
    # the oldest token form (no aud): the code before issue 19 reads it, as does today's
    now = int(time.time())
    claims = {"role": "coordinator", "sub": "coordinator", "iat": now, "exp": now + 86400}
    session.headers["Authorization"] = f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"
    return session


def run_name() -> str:
    """Letters only: a title like 'burst 607061 10' reads as a Latvian phone number to
    the privacy guard, which refuses the need (as it should)."""
    return "".join(random.choices(string.ascii_lowercase, k=6))


def checked(reply: requests.Response) -> dict:
    """The JSON of a reply the bench relies on; the reply itself in the error if refused."""
    if reply.status_code >= 300:
        raise RuntimeError(f"{reply.request.method} {reply.url}: {reply.status_code} {reply.text}")
    return reply.json()


def organisation(url: str, name: str, email: str, domain: str, region: str) -> str:
    """A verified organisation (through the gateway, as a coordinator); its id."""
    session = coordinator()
    body = {"name": name, "email": email, "domains": [domain], "regions": [region]}
    org = checked(session.post(f"{url}/api/organisations", json=body))
    checked(session.post(f"{url}/api/organisations/{org['id']}/verify"))
    return org["id"]


def offer(url: str, org_id: str, domain: str, region: str, capacity: int) -> str:
    body = {"organisation_id": org_id, "domain": domain, "title": "Bench offer"}
    body.update(capacity=capacity, regions=[region])
    return checked(coordinator().post(f"{url}/api/offers", json=body))["id"]


def post_need(session: requests.Session, url: str, title: str, domain: str, region: str):
    body = {"domain": domain, "title": title, "region": region, "quantity": 1}
    return session.post(f"{url}/api/needs", json=body)
