"""The gateway's edge: security headers on every answer, /metrics kept to the cluster
network, no other organisation's id in a duplicate's 409, and a site that stays up
while clients dribble their bodies and a backend does not answer."""

import re
import socket
import threading
import time

import pytest
import requests

from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration


def test_every_answer_carries_the_security_headers(stack):
    answers = [
        requests.get(f"{stack.url}/wall", timeout=15),
        requests.get(f"{stack.url}/respond/not-a-token", timeout=15),
        requests.get(f"{stack.url}/api/needs", timeout=15),  # 401
        requests.get(f"{stack.url}/no/such/page", timeout=15),  # 404, no route
        requests.get(f"{stack.url}/health/live", timeout=15),
        requests.post(f"{stack.url}/api/questionnaire", data="{", timeout=15),
    ]
    for reply in answers:
        where = f"{reply.request.method} {reply.request.path_url} {reply.status_code}"
        csp = dict(
            d.strip().split(" ", 1) for d in reply.headers["Content-Security-Policy"].split(";")
        )
        assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'", where
        assert csp["frame-ancestors"] == "'none'", where
        assert reply.headers["X-Content-Type-Options"] == "nosniff", where
        assert reply.headers["X-Frame-Options"] == "DENY", where
        assert reply.headers["Referrer-Policy"] == "no-referrer", where
    assert "no-store" in answers[1].headers["Cache-Control"]  # a link's token, never kept
    page = answers[0].text
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []  # nothing inline to run


def test_metrics_are_for_the_cluster_network_or_the_token_holder(stack):
    url = f"{stack.url}/metrics"
    inside = requests.get(url, timeout=15)
    assert inside.status_code == 200 and "tilts_http_requests_total" in inside.text
    proxied = {"X-Forwarded-For": "203.0.113.7"}
    refused = requests.get(url, headers=proxied, timeout=15)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert "tilts_" not in refused.text
    wrong = {**proxied, "Authorization": "Bearer not-the-token"}
    assert requests.get(url, headers=wrong, timeout=15).status_code == 403
    right = {**proxied, "Authorization": f"Bearer {stack.env['METRICS_TOKEN']}"}
    allowed = requests.get(url, headers=right, timeout=15)
    assert allowed.status_code == 200 and "tilts_service_up" in allowed.text


def test_a_taken_email_tells_an_organisation_nothing_of_the_other_one(stack, verified_org, client):
    mine, theirs = verified_org(), verified_org()
    url = f"{stack.url}/api/organisations/{mine['id']}"
    as_org = client("organisation", mine["id"]).patch(url, json={"email": theirs["email"]})
    assert as_org.status_code == 409
    error = as_org.json()["error"]
    assert error["code"] == "conflict" and "email" in error["details"]
    assert "existing_id" not in error["details"] and theirs["id"] not in as_org.text
    as_staff = client("coordinator").patch(url, json={"email": theirs["email"]})
    assert as_staff.status_code == 409
    assert as_staff.json()["error"]["details"]["existing_id"] == theirs["id"]


class Dribbler(threading.Thread):
    """A client that sends a body's headers, then one byte every half second."""

    def __init__(self, port: int, length: int = 400):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        head = (
            "POST /api/questionnaire HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
        )
        self.sock.sendall(head.encode())
        self.length, self.answer, self.sent = length, b"", 0

    def run(self):
        try:
            while self.sent < self.length - 1:  # never quite all of it
                self.sock.sendall(b" ")
                self.sent += 1
                time.sleep(0.5)
        except OSError:  # the gateway hung up: what it said is read below
            pass

    def read_answer(self) -> bytes:
        while chunk := self.sock.recv(4096):
            self.answer += chunk
        self.sock.close()
        return self.answer


def timed_get(url: str) -> tuple[int, float]:
    began = time.monotonic()
    reply = requests.get(url, timeout=30)
    return reply.status_code, time.monotonic() - began


def test_twenty_dribbling_clients_stall_neither_the_probe_nor_the_wall(own_stack):
    running = own_stack(BODY_TIMEOUT="6")
    port = int(running.env["HTTP_PORT"])
    assert timed_get(f"{running.url}/wall")[0] == 200
    slow = [Dribbler(port) for _ in range(20)]  # twice the gateway's 10 workers
    for client in slow:
        client.start()
    time.sleep(1)
    for _ in range(3):  # while every one of them is still sending
        for path in ("/health/live", "/wall"):
            status, took = timed_get(f"{running.url}{path}")
            assert status == 200 and took < 5, (path, status, took)
    answers = [client.read_answer() for client in slow]  # the deadline cuts them off
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers[0][:200]
    assert all(client.sent < client.length - 1 for client in slow)
    assert timed_get(f"{running.url}/wall")[0] == 200


def test_public_pages_show_their_last_copy_while_pledges_does_not_answer(own_stack):
    running = own_stack()
    fresh = requests.get(f"{running.url}/wall?lang=en", timeout=30)
    assert fresh.status_code == 200 and 'class="stale"' not in fresh.text
    assert "Age" not in fresh.headers
    assert requests.get(f"{running.url}/commitments", timeout=30).status_code == 200
    running.stop_service("pledges")

    began = time.monotonic()
    wall = requests.get(f"{running.url}/wall?lang=en", timeout=30)
    assert time.monotonic() - began < 8  # a short deadline, not RPC_TIMEOUT
    assert wall.status_code == 200 and 'class="stale"' in wall.text
    assert "the last copy we had" in wall.text and int(wall.headers["Age"]) >= 0
    latvian = requests.get(f"{running.url}/commitments?lang=lv", timeout=30)
    assert latvian.status_code == 200 and "pēdējo saņemto kopiju" in latvian.text
    never_seen = requests.get(f"{running.url}/dashboard?lang=en", timeout=30)
    assert never_seen.status_code == 503  # no copy to show: the trouble page

    text = requests.get(f"{running.url}/metrics", timeout=30).text
    assert re.search(r'tilts_stale_pages_total\{page="/wall"\} [1-9]', text)
    assert re.search(
        r'tilts_rpc_client_calls_total\{method="resource_wall",outcome="timeout",'
        r'service="pledges"\} [1-9]',
        text,
    )
    token = issue_token(running.secret, "coordinator")
    health = requests.get(
        f"{running.url}/health", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert health.json()["services"]["pledges"] == "down"
