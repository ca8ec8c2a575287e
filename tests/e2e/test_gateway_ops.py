"""Operating the gateway: CORS, `tilts status`, and 503 (never a hang) when a service is gone."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from tilts_contracts.clock import utcnow
from tilts_contracts.tokens import issue_token, sign_response_link

pytestmark = pytest.mark.integration


def test_cors_status_and_a_missing_service(own_stack):
    running = own_stack(CORS_ORIGINS="https://koordinatori.example.lv", RPC_TIMEOUT="2")
    url = running.url
    auth = {"Authorization": f"Bearer {issue_token(running.secret, 'coordinator')}"}

    preflight = requests.options(
        f"{url}/api/needs",
        headers={
            "Origin": "https://koordinatori.example.lv",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://koordinatori.example.lv"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    stranger = requests.get(f"{url}/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers

    env = {
        **os.environ,
        "PUBLIC_URL": url,
        "AUTH_SECRET": running.secret,
        "AMQP_URI": running.env["AMQP_URI"],
    }
    tilts = str(Path(sys.executable).parent / "tilts")
    status = subprocess.run([tilts, "status"], env=env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert "matching   ok" in status.stdout and "needs:" in status.stdout
    assert "evt-pledges-need_posted--matching.on_need_posted" in status.stdout

    probe = [sys.executable, "-m", "tilts_runtime.probe"]
    assert subprocess.run([*probe, "matching"], env=env, timeout=30).returncode == 0

    running.stop_service("notify")
    assert (
        subprocess.run([*probe, "notify"], env=env, timeout=30, capture_output=True).returncode == 1
    )
    began = time.monotonic()
    reply = requests.get(f"{url}/api/notifications", headers=auth)
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "unavailable"
    assert time.monotonic() - began < 10
    health = requests.get(f"{url}/health")
    assert health.status_code == 503 and health.json()["services"]["notify"] == "down"
    admin = {"Authorization": f"Bearer {issue_token(running.secret, 'admin')}"}
    stats = requests.get(f"{url}/api/admin/stats", headers=admin)
    assert stats.status_code == 200, stats.text  # the others' counts, notify's null
    assert stats.json()["down"] == ["notify"] and stats.json()["notifications"] is None
    assert isinstance(stats.json()["needs"], dict)
    down = subprocess.run([tilts, "status"], env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 1 and "notify     down" in down.stdout
    assert "Traceback" not in down.stderr, down.stderr
    assert "needs: open" in down.stdout  # what it got, printed
    assert "notifications: unknown (notify did not answer)" in down.stdout


def test_pages_with_a_backend_down_answer_a_page_in_the_readers_language(own_stack):
    running = own_stack(RPC_TIMEOUT="2")
    url = running.url
    running.stop_service("pledges")
    running.stop_service("matching")

    for path in ("/wall", "/dashboard", "/commitments"):
        reply = requests.get(url + path, headers={"Accept-Language": "en-GB,en;q=0.8"})
        assert reply.status_code == 503, path
        assert reply.headers["Content-Type"].startswith("text/html"), path
        assert "Please try again in a few minutes." in reply.text, path
        assert '<html lang="en">' in reply.text
    latvian = requests.get(f"{url}/wall?lang=lv", headers={"Accept-Language": "en"})
    assert latvian.status_code == 503 and '<html lang="lv">' in latvian.text
    for fmt in ("json", "md", "csv"):  # the downloads keep the API's error
        reply = requests.get(f"{url}/commitments", params={"format": fmt})
        assert reply.status_code == 503 and reply.json()["error"]["code"] == "unavailable"

    # an organisation clicking its email link while matching is down
    ends = utcnow() + timedelta(days=1)
    token = sign_response_link(running.secret, "mat_0123456789abcdef01234567", "org_0a", ends)
    for reply in (
        requests.get(f"{url}/respond/{token}", params={"lang": "en"}),
        requests.post(f"{url}/respond/{token}?lang=en", data={"action": "accept"}),
    ):
        assert reply.status_code == 503 and reply.headers["Content-Type"].startswith("text/html")
        assert "Your link still works: open it again later." in reply.text

    bad = requests.get(f"{url}/wall", params={"region": "xx", "lang": "en"})
    assert bad.status_code == 400 and bad.headers["Content-Type"].startswith("text/html")
    assert "region" in bad.text and '"error"' not in bad.text
