"""The coordinator's daily work from the `tilts` command line, against the running stack:
tables by default, the API's JSON with --json, exit 0 / 1 (refused, the API's message)
/ 2 (bad usage), and never a traceback."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from stack import free_port

from gateway.cli import main
from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration

TILTS = str(Path(sys.executable).parent / "tilts")
DOMAIN, REGION = "children", "latgale"
# languages no other test's offers speak: the needs posted here take no one else's
# capacity, and the one meant to be matched can only be matched with our offer
PASSING, MATCHED = "ti", "so"


@pytest.fixture
def tilts(stack, monkeypatch, capsys):
    """`tilts(*argv, role=...)`: run the CLI's main() as a coordinator (or `role`) would,
    with TILTS_TOKEN and PUBLIC_URL set; (exit code, stdout, stderr)."""
    monkeypatch.setenv("PUBLIC_URL", stack.url)
    monkeypatch.setenv("COLUMNS", "160")  # rich's width where there is no terminal
    capsys.readouterr()

    def run(*argv, role="coordinator", org=None):
        monkeypatch.setenv("TILTS_TOKEN", issue_token(stack.secret, role, org=org))
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's own exit, on bad usage
            code = exc.code
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run


def run_binary(*argv, env: dict) -> subprocess.CompletedProcess:
    """The installed `tilts` itself, as a coordinator's shell runs it."""
    return subprocess.run(
        [TILTS, *argv], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def post_need(tilts, title: str, *extra, language=PASSING) -> dict:
    code, out, err = tilts(
        "needs", "post", "--domain", DOMAIN, "--region", REGION, "--title", title,
        "--quantity", "1", "--language", language, *extra, "--json",
    )  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def test_a_need_posted_from_the_command_line_round_trips_as_json(tilts):
    title = f"Bērnudārza vieta {uuid.uuid4().hex[:6]}"
    posted = post_need(tilts, title, "--urgency", "high", "--case-ref", "LV-2026-17")
    assert posted["status"] == "open" and posted["title"] == title
    assert posted["languages"] == [PASSING] and posted["urgency"] == "high"

    listed, cursor = None, None
    while listed is None:  # the shared stack holds others' needs too: read every page
        more = ("--cursor", cursor) if cursor else ()
        code, out, _ = tilts("needs", "list", "--domain", DOMAIN, "--limit", "500", *more, "--json")
        assert code == 0
        page = json.loads(out)
        listed = next((n for n in page["items"] if n["id"] == posted["id"]), None)
        cursor = page["next"]
        assert listed or cursor, "the posted need is not listed"
    for field in ("title", "domain", "region", "quantity", "urgency", "case_ref", "languages"):
        assert listed[field] == posted[field]

    code, out, _ = tilts("needs", "show", posted["id"], "--lang", "lv")
    assert code == 0
    assert posted["id"] in out and title in out and "steidzamība" in out
    assert tilts("needs", "cancel", posted["id"])[0] == 0  # nobody waits on it


def test_a_bad_working_group_exits_1_with_the_apis_message(tilts):
    code, out, err = tilts(
        "needs", "post", "--domain", "cooking", "--region", REGION, "--title", "Zupa",
        "--quantity", "1",
    )  # fmt: skip
    assert code == 1 and out == ""
    assert "400 invalid" in err and "domain" in err and "cooking" in err


def test_the_privacy_guard_refuses_a_phone_number_naming_the_field(tilts):
    code, _, err = tilts(
        "needs", "post", "--domain", DOMAIN, "--region", REGION, "--title", "Zvanīt",
        "--quantity", "1", "--description", "mamma, tālr. +371 29 123 456",
    )  # fmt: skip
    assert code == 1 and "400 invalid" in err and "description" in err


def test_a_table_by_default_shows_what_matching_proposed(
    tilts, stack, verified_org, client, wait_until
):
    org = verified_org(domains=[DOMAIN], regions=[REGION], languages=[MATCHED, "lv"])
    offer = {"domain": DOMAIN, "title": "Auklīte", "capacity": 1, "regions": [REGION]}
    reply = client("organisation", org["id"]).post(
        f"{stack.url}/api/offers", json={**offer, "languages": [MATCHED]}
    )
    assert reply.status_code == 201, reply.text
    need = post_need(tilts, f"Auklīte vakaros {uuid.uuid4().hex[:6]}", language=MATCHED)

    def listed():
        code, out, _ = tilts("matches", "list", "--need", need["id"], "--json")
        return json.loads(out)["items"] if code == 0 else []

    [match] = wait_until(listed, lambda items: len(items) == 1)
    assert match["organisation_id"] == org["id"] and match["status"] == "proposed"
    code, out, _ = tilts("matches", "list", "--need", need["id"])
    assert code == 0
    header = out.splitlines()[1]
    assert "status" in header and "organisation" in header and "respond by" in header
    assert match["id"] in out and org["id"] in out and "proposed" in out
    code, out, _ = tilts("needs", "show", need["id"])
    assert "matches" in out and match["id"] in out

    # cancelled once; a second time the API says why not
    code, out, _ = tilts("needs", "cancel", need["id"])
    assert code == 0 and "cancelled" in out
    code, out, err = tilts("needs", "cancel", need["id"])
    assert code == 1 and out == "" and "409 conflict" in err and "cancelled" in err


def test_a_registration_is_reviewed_from_the_command_line(tilts, stack, client):
    name = f"Ģimeņu atbalsta centrs {uuid.uuid4().hex[:6]}"
    reply = client().post(
        f"{stack.url}/api/organisations",
        json={"name": name, "email": f"centrs-{uuid.uuid4().hex[:6]}@example.org"},
    )
    assert reply.status_code == 201, reply.text
    org_id = reply.json()["id"]

    code, out, _ = tilts("orgs", "list", "--status", "pending", "--q", name[-6:])
    assert code == 0 and org_id in out and name in out and "pending" in out
    code, out, _ = tilts("orgs", "verify", org_id)
    assert code == 0 and "verified" in out and name in out
    code, _, err = tilts("orgs", "verify", org_id)
    assert code == 1 and "409 conflict" in err
    code, out, _ = tilts("orgs", "suspend", org_id, "--json")
    assert code == 0 and json.loads(out)["status"] == "suspended"
    code, out, _ = tilts("orgs", "show", org_id, "--lang", "lv")
    assert code == 0 and "statuss" in out and "suspended" in out
    code, _, err = tilts("orgs", "show", "org_000000000000")
    assert code == 1 and "404 not_found" in err


def test_an_organisation_token_is_refused_the_coordinators_work(tilts, verified_org):
    org = verified_org()
    code, out, err = tilts("orgs", "verify", org["id"], role="organisation", org=org["id"])
    assert code == 1 and out == "" and "403 forbidden" in err


def test_bad_usage_exits_2_and_says_how(tilts):
    code, _, err = tilts("needs", "post", "--domain", DOMAIN, "--quantity", "1")
    assert code == 2 and "--title" in err
    code, _, err = tilts("needs", "post", "--domain", DOMAIN, "--region", REGION,
                         "--title", "t", "--quantity", "many")  # fmt: skip
    assert code == 2 and "many" in err
    code, _, err = tilts("orgs", "erase", "org_000000000000")
    assert code == 2 and "erase" in err


def test_without_a_token_or_a_gateway_the_binary_says_so_in_one_line(stack):
    env = {"PATH": "/usr/bin:/bin", "PUBLIC_URL": stack.url, "HOME": "/nonexistent"}
    untold = run_binary("needs", "list", env=env)
    assert untold.returncode == 2 and "TILTS_TOKEN" in untold.stderr
    assert "Traceback" not in untold.stderr

    token = issue_token(stack.secret, "coordinator")
    nobody = f"http://127.0.0.1:{free_port()}"
    down = run_binary("needs", "list", env={**env, "PUBLIC_URL": nobody, "TILTS_TOKEN": token})
    assert down.returncode == 1 and down.stdout == ""
    assert f"cannot reach the gateway at {nobody}" in down.stderr
    assert "Traceback" not in down.stderr and len(down.stderr.splitlines()) == 1

    refused = run_binary(
        "needs", "post", "--domain", "cooking", "--region", REGION, "--title", "Zupa",
        "--quantity", "1", env={**env, "TILTS_TOKEN": token},
    )  # fmt: skip
    assert refused.returncode == 1 and "400 invalid" in refused.stderr
    assert "Traceback" not in refused.stderr

    listed = run_binary("needs", "list", "--status", "open", env={**env, "TILTS_TOKEN": token})
    assert listed.returncode == 0 and listed.stderr == ""


def test_a_held_change_is_listed_shown_and_refused_from_the_command_line(
    tilts, stack, client, verified_org
):
    suffix = uuid.uuid4().hex[:8]
    org = verified_org(name=f"Kopienas centrs {suffix}")
    asked = client("organisation", org["id"]).patch(
        f"{stack.url}/api/organisations/{org['id']}", json={"website": "https://jauns.example.lv"}
    )
    assert asked.status_code == 200, asked.text

    code, out, _ = tilts("orgs", "list", "--changes", "--q", suffix)
    assert code == 0 and org["id"] in out and "held for review" in out
    assert "website: https://jauns.example.lv" in out
    code, out, _ = tilts("orgs", "show", org["id"], "--lang", "lv")
    assert code == 0 and "gaida pārbaudi" in out and "https://jauns.example.lv" in out

    code, out, _ = tilts(
        "orgs", "reject-changes", org["id"], "--reason", "Nav pamatojuma", "--json"
    )
    assert code == 0 and json.loads(out)["pending_changes"] == {}
    code, out, _ = tilts("orgs", "list", "--changes", "--q", suffix)
    assert code == 0 and org["id"] not in out and "nothing found" in out
    code, out, err = tilts("orgs", "reject-changes", org["id"])
    assert code == 1 and out == "" and "409 conflict" in err
    code, _, err = tilts("orgs", "reject-changes", org["id"], "--reason", "r" * 501)
    assert code == 1 and "400 invalid" in err and "reason" in err
    code, _, err = tilts("orgs", "reject-changes")
    assert code == 2 and "id" in err
