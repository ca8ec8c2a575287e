"""What every fault test starts from: one organisation with a large offer, and needs
posted by a careful client that retries with the same Idempotency-Key."""

import time
from dataclasses import dataclass

import jwt
import pytest
import requests


@dataclass
class NeedsFlow:
    session: requests.Session
    url: str
    email: str
    domain: str
    region: str
    store: object

    def post_need(self, n: int) -> dict:
        body = {
            "domain": self.domain,
            "title": f"Palīdzība ģimenei nr. {n}",
            "region": self.region,
            "quantity": 1,
        }
        return self.store(self.session, f"{self.url}/api/needs", body, f"need-{n}", deadline=180)

    def proposals(self) -> list[dict]:
        try:
            reply = self.session.get(f"{self.url}/api/matches", params={"limit": 500}, timeout=10)
            return reply.json()["items"]
        except (requests.RequestException, ValueError, KeyError):
            return []  # the stack is still coming back


def any_release_token(secret: str) -> str:
    """A coordinator's operator token in the oldest form (no aud, no kind): today's
    gateway reads it as the operator's, and so does a release from before personal
    tokens, which the queue migration test runs first."""
    now = int(time.time())
    claims = {"role": "coordinator", "sub": "coordinator", "iat": now, "exp": now + 86400}
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture
def needs_flow(store_with_retries):
    """`needs_flow(running, email, domain, region)`: a verified organisation with an offer
    of 100 in `running`, ready for needs; every write retried until stored."""

    def make(running, email: str, domain: str = "social", region: str = "riga") -> NeedsFlow:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {any_release_token(running.secret)}"
        url = running.url
        org = store_with_retries(
            session,
            f"{url}/api/organisations",
            {
                "name": f"Izturīgā biedrība {domain}",
                "email": email,
                "domains": [domain],
                "regions": [region],
            },
            "org",
        )
        session.post(f"{url}/api/organisations/{org['id']}/verify").raise_for_status()
        offer = {
            "organisation_id": org["id"],
            "domain": domain,
            "title": "Pārtikas paciņas",
            "capacity": 100,
            "regions": [region],
        }
        store_with_retries(session, f"{url}/api/offers", offer, "offer")
        return NeedsFlow(session, url, email, domain, region, store_with_retries)

    return make
