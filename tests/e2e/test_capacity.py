"""What an offer can still give, as a coordinator and an organisation see it, when
needs are accepted, cut, cancelled and edited under it."""

import uuid

import pytest

pytestmark = pytest.mark.integration

# a district nobody else's offers reach, so other tests' offers stay out of the way
REGION, DOMAIN = "zemgale", "employment"


def test_accepted_help_is_never_cut_and_a_cancelled_need_gives_it_back(
    stack, client, verified_org, wait_until
):
    org = verified_org(domains=[DOMAIN], regions=[REGION], preferred_language="en")
    ours = client("organisation", org["id"])
    coordinator = client()
    offer = ours.post(
        f"{stack.url}/api/offers",
        json={
            "domain": DOMAIN,
            "title": f"CV workshops {uuid.uuid4().hex[:6]}",
            "capacity": 5,
            "regions": [REGION],
            "languages": ["lv", "en"],
            "available_from": "2040-01-01",
            "available_until": "2040-12-31",
        },
    ).json()
    need = coordinator.post(
        f"{stack.url}/api/needs",
        json={
            "domain": DOMAIN,
            "title": "CV help for two adults",
            "region": REGION,
            "quantity": 2,
            "needed_by": "2040-06-01",
        },
    ).json()

    def matches():
        reply = ours.get(f"{stack.url}/api/matches", params={"need_id": need["id"]})
        return reply.json()["items"]

    [match] = wait_until(matches, lambda items: len(items) == 1)
    assert ours.post(f"{stack.url}/api/matches/{match['id']}/accept").status_code == 200
    offer_url = f"{stack.url}/api/offers/{offer['id']}"
    wait_until(lambda: ours.get(offer_url).json(), lambda o: o["remaining"] == 3)

    # not even force takes back what the organisation has accepted
    refused = ours.patch(f"{offer_url}?force=true", json={"capacity": 1})
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {"capacity": ["at least 2 (accepted)"]}
    cut = ours.patch(f"{offer_url}?force=true", json={"capacity": 2})
    assert cut.status_code == 200 and cut.json()["remaining"] == 0

    # the family no longer needs it: the accepted match is cancelled, the capacity comes
    # back, and the organisation is told
    assert coordinator.post(f"{stack.url}/api/needs/{need['id']}/cancel").status_code == 200
    [gone] = wait_until(matches, lambda items: items[0]["status"] == "cancelled")
    assert gone["status"] == "cancelled"
    freed = wait_until(lambda: ours.get(offer_url).json(), lambda o: o["remaining"] == 2)
    assert freed["remaining"] == 2 and freed["status"] == "active"
    [told] = stack.mail.wait_for(org["email"], subject="Request withdrawn")
    assert "CV help for two adults" in told["Subject"]
    assert "You accepted the request" in told.get_body(("plain",)).get_content()
    fulfil = ours.post(f"{stack.url}/api/matches/{match['id']}/fulfil")
    assert fulfil.status_code == 409
