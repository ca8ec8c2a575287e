"""Every `tilts` command that asks the gateway says in one line, exit code 1, when the
gateway does not answer: the older commands as the daily-work ones do."""

import socket

import pytest

from gateway import cli


@pytest.fixture
def nobody(monkeypatch, tmp_path) -> str:
    """PUBLIC_URL at a port nothing listens on, with the operator's secret set."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("PUBLIC_URL", url)
    monkeypatch.setenv("AUTH_SECRET", "unit-test-secret-of-at-least-32-bytes")
    monkeypatch.setenv("HOME", str(tmp_path))  # no token stored by `tilts login`
    monkeypatch.delenv("TILTS_TOKEN", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return url


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["export", "--format", "csv"],
        ["export", "--format", "hsds"],
        ["import", "ORGS", "--quiet"],
        ["seed-demo"],
        ["staff", "list"],
        ["needs", "list"],
    ],
)
def test_a_gateway_that_does_not_answer_is_one_line_and_exit_code_1(
    argv, nobody, tmp_path, capsys, monkeypatch
):
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("name,email\nDrošā māja,info@drosa.lv\n", encoding="utf-8")
    if "needs" in argv:  # the daily-work commands need a personal token
        from tilts_contracts.tokens import issue_token

        token = issue_token("unit-test-secret-of-at-least-32-bytes", "coordinator")
        monkeypatch.setenv("TILTS_TOKEN", token)
    code = cli.main([str(orgs) if a == "ORGS" else a for a in argv])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == [
        f"tilts: cannot reach the gateway at {nobody} (ConnectionError) / vārteja {nobody} neatbild"
    ]
    assert out == ""


def test_the_operator_token_needs_no_gateway(nobody, capsys):
    assert cli.main(["token", "admin"]) == 0
    assert capsys.readouterr().out.count(".") == 2  # a JWT, made here
