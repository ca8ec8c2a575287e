"""An organisation's own change of name held for review, over the whole stack: the
coordinator finds it under `pending_changes=true`, refuses it, and the organisation
keeps its verified name and is emailed that the change was not accepted."""

import uuid

import pytest

from conftest import eventually

pytestmark = pytest.mark.integration


def orgs_listed(stack, client, **filters) -> list[str]:
    reply = client().get(f"{stack.url}/api/organisations", params=filters)
    assert reply.status_code == 200, reply.text
    return [o["id"] for o in reply.json()["items"]]


def test_a_refused_name_change_is_dropped_and_the_organisation_is_told(stack, client, verified_org):
    suffix = uuid.uuid4().hex[:8]
    org = verified_org(name=f"Palīgu biedrība {suffix}", preferred_language="en")
    url = f"{stack.url}/api/organisations/{org['id']}"
    asked = client("organisation", org["id"]).patch(url, json={"name": f"Jaunais vārds {suffix}"})
    assert asked.status_code == 200, asked.text
    assert asked.json()["pending_changes"] == {"name": f"Jaunais vārds {suffix}"}
    assert orgs_listed(stack, client, pending_changes="true", q=suffix) == [org["id"]]
    assert orgs_listed(stack, client, pending_changes="false", q=suffix) == []

    # only staff refuse, and only with a well-formed reason
    mine = client("organisation", org["id"]).post(f"{url}/changes/reject")
    assert mine.status_code == 403
    bad = client().post(f"{url}/changes/reject", json={"reason": ["?"]})
    assert bad.status_code == 400 and "reason" in bad.json()["error"]["details"]

    reason = "Nosaukums neatbilst reģistram"
    refused = client().post(f"{url}/changes/reject", json={"reason": reason})
    assert refused.status_code == 200, refused.text
    assert (refused.json()["name"], refused.json()["pending_changes"]) == (org["name"], {})
    shown = client().get(url).json()
    assert (shown["name"], shown["pending_changes"]) == (org["name"], {})
    assert shown["history"][-1]["action"] == "changes_rejected"
    assert orgs_listed(stack, client, pending_changes="true", q=suffix) == []
    assert orgs_listed(stack, client, pending_changes="false", q=suffix) == [org["id"]]

    [msg] = stack.mail.wait_for(org["email"], subject="was not accepted")
    assert msg["Subject"] == "Your requested change was not accepted"
    text = msg.get_body(("plain",)).get_content()
    assert org["name"] in text and "(name)" in text and reason in text
    assert "Jaunais vārds" not in text  # the value asked for is not repeated

    again = client().post(f"{url}/changes/reject")
    assert again.status_code == 409
    assert again.json()["error"]["details"] == {"pending_changes": ["nothing held"]}
    trail = eventually(
        lambda: client("admin").get(f"{stack.url}/api/audit", params={"object_id": org["id"]}),
        lambda r: "changes_rejected" in r.text,
    )
    assert [e["summary"] for e in trail.json()["items"] if e["action"] == "changes_rejected"] == [
        "name"
    ]


def test_a_bad_filter_value_or_unknown_organisation_is_named(stack, client):
    bad = client().get(f"{stack.url}/api/organisations", params={"pending_changes": "yes"})
    assert bad.status_code == 400
    assert "pending_changes" in bad.json()["error"]["details"]
    nobody = client().post(f"{stack.url}/api/organisations/org_000000000000/changes/reject")
    assert nobody.status_code == 404
