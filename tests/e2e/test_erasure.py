"""Erasure, end to end: an organisation that pledged offers, was matched, was mailed
(one request sent, one refused by its mail server and resent), has events parked in
every service that reads it and events a writer left unpublished, is erased through the
API. Afterwards no database of any service (each opened directly) and no API answer
holds its name, email, phone, website or the text of its offers."""

import email
import email.policy
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from nameko.standalone.events import event_dispatcher
from pymongo import MongoClient
from stack import free_port, wait_for_port

from tilts_contracts.events import envelope
from tilts_contracts.settings import database_name
from tilts_contracts.tokens import issue_token
from tilts_runtime.store import OUTBOX, OUTBOX_AT, PENDING, VERSION

pytestmark = pytest.mark.integration

REFUSING = Path(__file__).with_name("refusing_smtp.py")
STORED = ("registry", "pledges", "matching", "notify")


class RefusingSmtp:
    """A mail server that refuses every recipient while `refuse()` is on."""

    def __init__(self, directory: Path, port: int):
        self.dir, self.port, self.host, self.proc = directory, port, "127.0.0.1", None

    def start(self):
        command = [sys.executable, str(REFUSING), "--port", str(self.port), "--dir", str(self.dir)]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for_port(self.host, self.port, 30, self.proc)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def refuse(self) -> None:
        (self.dir / "refuse").touch()

    def wait_for(self, to: str, subject: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in self.dir.glob("*.eml"):
                msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if to in str(msg["To"]) and subject in str(msg["Subject"]):
                    return
            time.sleep(0.3)
        raise AssertionError(f"no message to {to} about {subject!r} in {timeout} s")


@pytest.fixture
def mail(tmp_path):
    server = RefusingSmtp(tmp_path / "mail", free_port())
    server.dir.mkdir()
    server.start()
    yield server
    server.stop()


class Api:
    def __init__(self, running):
        self.url, self.secret = running.url, running.secret

    def as_(self, role: str, org: str | None = None) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {issue_token(self.secret, role, org=org)}"
        return session

    def ok(self, reply: requests.Response) -> dict:
        assert reply.status_code in (200, 201, 202), reply.text
        return reply.json()


def databases(running):
    """Each service's own database, opened directly."""
    for service in STORED:
        uri = running.mongo_uris.get(service, running.env["MONGO_URI"])
        client = MongoClient(uri)
        try:
            yield service, client[database_name(service)]
        finally:
            client.close()


def found_in_databases(running, needles) -> list[str]:
    found = []
    for service, db in databases(running):
        for name in db.list_collection_names():
            for doc in db[name].find({}):
                text = json.dumps(doc, default=str, ensure_ascii=False)
                found += [f"{service}.{name}/{doc['_id']}: {n}" for n in needles if n in text]
    return found


# where a writer may leave an event naming the organisation, and of which type
UNPUBLISHED = {
    "registry": ("organisations", "organisation_updated"),
    "pledges": ("offers", "offer_updated"),
    "matching": ("matches", "match_accepted"),
    "notify": ("notifications", "notification_failed"),
}


def left_unpublished(running, ids: dict[str, str]) -> None:
    """In each service, an event made from one of its documents about the organisation
    waits in that document's outbox, as a writer that died before publishing leaves it
    (stamped ahead, so the relay leaves it for the erasure to find)."""
    for service, db in databases(running):
        collection, event_type = UNPUBLISHED[service]
        doc = db[collection].find_one({"_id": ids[service]})
        event = envelope(event_type, {**doc, "id": doc["_id"]})
        waiting = {OUTBOX: [*doc.get(OUTBOX, []), event], PENDING: True}
        stamp = {OUTBOX_AT: "2999-01-01T00:00:00Z", VERSION: doc[VERSION] + 1}
        db[collection].replace_one({"_id": doc["_id"]}, {**doc, **waiting, **stamp})


def park_everywhere(running, org: dict) -> None:
    """An organisation_updated every reader parks (it lacks its status), naming the
    organisation whole: matching, notify and pledges each keep it for an admin."""
    dispatch = event_dispatcher({"AMQP_URI": running.env["AMQP_URI"], "serializer": "json"})
    broken = envelope("organisation_updated", {**org, "status": "verified"})
    broken["payload"] = {k: v for k, v in org.items() if k != "status"}
    dispatch("registry", "organisation_updated", broken)


def test_an_erased_organisation_leaves_nothing_anywhere(own_stack, mail, wait_until):
    running = own_stack(SMTP_HOST=mail.host, SMTP_PORT=str(mail.port), NOTIFY_MAX_ATTEMPTS="1")
    api = Api(running)
    admin, coordinator = api.as_("admin"), api.as_("coordinator")
    tag = uuid.uuid4().hex[:8]
    name, address = f"Ozoliņu ģimenes virtuve {tag}", f"ozolini-{tag}@example.lv"
    phone = "+371 26 444 321"
    website = f"https://ozolini-{tag}.example.lv"
    org = api.ok(
        coordinator.post(
            f"{api.url}/api/organisations",
            json={
                "name": name,
                "kind": "ngo",
                "email": address,
                "phone": phone,
                "website": website,
                "description": f"Vada Ilze Ozoliņa {tag}",
                "domains": ["social"],
                "regions": ["riga"],
                "languages": ["lv"],
            },
        )
    )
    api.ok(coordinator.post(f"{api.url}/api/organisations/{org['id']}/verify"))
    own = api.as_("organisation", org["id"])
    texts = {
        "title": f"Ozoliņu zupa {tag}",
        "description": f"Vāra Ilze Ozoliņa {tag}",
        "unit": f"Ozoliņu porcijas {tag}",
    }
    offer = api.ok(
        own.post(
            f"{api.url}/api/offers",
            json={"domain": "social", "capacity": 3, "regions": ["riga"], **texts},
        )
    )
    need = {"domain": "social", "title": "Zupa ģimenei", "region": "riga", "quantity": 1}
    first = api.ok(coordinator.post(f"{api.url}/api/needs", json=need))
    mail.wait_for(address, "Lūgums palīdzēt")  # a request sent
    [match] = wait_until(
        lambda: admin.get(f"{api.url}/api/matches", params={"need_id": first["id"]}).json(),
        lambda page: page.get("items"),
    )["items"]
    api.ok(own.post(f"{api.url}/api/matches/{match['id']}/accept"))

    mail.refuse()  # its mail server now refuses it, quoting its address
    api.ok(coordinator.post(f"{api.url}/api/needs", json=need))
    failed = wait_until(
        lambda: admin.get(
            f"{api.url}/api/notifications",
            params={"organisation_id": org["id"], "status": "failed"},
        ).json()["items"],
        bool,
        timeout=60,
    )
    resent = api.ok(admin.post(f"{api.url}/api/notifications/{failed[0]['id']}/resend"))
    assert address in json.dumps(resent)  # the refusal quotes the address, as servers do

    park_everywhere(running, {**org, "phone": phone, "website": website})
    parked = wait_until(
        lambda: admin.get(f"{api.url}/api/admin/parked-events").json()["items"],
        lambda items: {"matching", "notify", "pledges"} <= {e["service"] for e in items},
    )
    assert {"matching", "notify", "pledges"} <= {e["service"] for e in parked}
    left_unpublished(
        running,
        {
            "registry": org["id"],
            "pledges": offer["id"],
            "matching": match["id"],
            "notify": failed[0]["id"],
        },
    )
    needles = (name, tag, address, phone, website, "Ozoliņ", "26 444 321")
    assert len(found_in_databases(running, needles)) > 8  # every copy, before

    erased = admin.delete(f"{api.url}/api/organisations/{org['id']}")
    assert erased.status_code == 200, erased.text

    left = wait_until(lambda: found_in_databases(running, needles), lambda f: not f, timeout=60)
    assert left == []
    asked = [
        (f"/api/organisations/{org['id']}", {}),
        (f"/api/organisations/{org['id']}/export", {}),
        ("/api/organisations", {}),
        ("/api/offers", {"organisation_id": org["id"]}),
        (f"/api/offers/{offer['id']}", {}),
        ("/api/matches", {"organisation_id": org["id"]}),
        ("/api/notifications", {"organisation_id": org["id"]}),
        ("/api/notifications", {}),
        ("/api/admin/parked-events", {}),
        ("/wall", {"lang": "lv"}),
        ("/dashboard", {"lang": "en"}),
        ("/commitments", {"format": "json"}),
        ("/commitments", {"lang": "lv"}),
    ]
    answers = {}
    for path, params in asked:
        reply = admin.get(f"{api.url}{path}", params=params)
        assert reply.status_code == 200, (path, reply.text)
        assert [n for n in needles if n in reply.text] == [], (path, params)
        answers.setdefault(path, reply)
    # what it gave is still counted, under no name
    kept = answers[f"/api/offers/{offer['id']}"].json()
    assert (kept["title"], kept["capacity"]) == ("—", 3)
    assert [m["status"] for m in answers["/api/matches"].json()["items"]].count("accepted") == 1
