"""What erasure and retention leave of a message, without a database."""

from datetime import UTC, datetime

import pytest

from notify import privacy, rules
from tilts_contracts.errors import Conflict
from tilts_runtime.store import OUTBOX

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TO = "info@klusaosta.example.org"
REFUSED = f"SMTPRecipientsRefused: {{'{TO}': (550, b'5.1.1 <{TO}>: Recipient address rejected')}}"


def to_org(status: str = "failed", **fields) -> dict:
    note = rules.queue(
        rules.Outgoing(
            "ev1.match_proposed",
            TO,
            "match_proposed",
            "lv",
            {"organisation": {"id": "org_1", "name": "Klusā Osta"}, "need": {"title": "Ārsts"}},
            reply_to="anna@example.org",
            organisation_id="org_1",
        ),
        NOW,
    )
    return {**note, "status": status, "last_error": REFUSED, **fields}


def test_erasure_leaves_no_address_or_name_in_a_message_its_errors_or_its_unsent_events():
    event = {"type": "notification_failed", "payload": {"recipient": TO, "last_error": REFUSED}}
    note = to_org(resends=[{"status": "failed", "last_error": REFUSED}], **{OUTBOX: [event]})
    cleared = privacy.erased(note, "org_1", ("Klusā Osta", TO), NOW)
    text = repr(cleared)
    assert TO not in text and "Klusā Osta" not in text and "anna@" not in text
    assert "Ārsts" not in text  # the message's content went with it
    assert cleared["recipient"] == cleared[OUTBOX][0]["payload"]["recipient"] == "erased"
    assert "Recipient address rejected" in cleared["last_error"]  # the reason stays
    assert "Recipient address rejected" in cleared["resends"][0]["last_error"]
    assert cleared["status"] == "failed" and cleared[OUTBOX][0]["type"] == "notification_failed"
    assert privacy.erased(cleared, "org_1", (), NOW) is cleared  # a second delivery: no change


@pytest.mark.parametrize("status", ["pending", "held", "in_digest", "building"])
def test_an_erased_organisations_unsent_message_is_never_sent(status):
    cleared = privacy.erased(to_org(status), "org_1", (), NOW)
    assert (cleared["status"], cleared["last_error"]) == ("failed", privacy.ERASED_REASON)


def test_a_coordinators_message_about_it_keeps_its_recipient_and_loses_what_it_said():
    review = {**to_org("sent"), "recipient": "k@example.org", "organisation_id": None}
    cleared = privacy.erased({**review, "about_organisation": "org_1"}, "org_1", (), NOW)
    assert cleared["recipient"] == "k@example.org" and cleared["status"] == "sent"
    assert cleared["context"] == {"organisation": {"id": "org_1", "erased": True}}


def test_ninety_days_on_a_sent_message_keeps_its_status_and_counts_but_not_whom_or_what():
    cleared = privacy.expired(to_org("sent", last_error=None), NOW)
    assert (cleared["recipient"], cleared["context"], cleared["reply_to"]) == (None, {}, None)
    assert (cleared["status"], cleared["attempts"], cleared["cleared"]) == ("sent", 0, "retention")
    with pytest.raises(Conflict):  # nobody to send it to any more
        rules.resend(cleared, NOW)
