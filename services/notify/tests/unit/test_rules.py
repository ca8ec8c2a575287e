"""The outbox rules without SMTP: backoff, failure, digest choice, reminders."""

from datetime import UTC, date, datetime, timedelta

import pytest

from notify import rules
from notify.rules import Outgoing
from tilts_contracts.errors import Conflict

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def note():
    return rules.queue(
        Outgoing("ev.match_proposed", "a@example.org", "match_proposed", "lv", {}), NOW
    )


def test_eight_attempts_wait_from_ten_seconds_up_to_an_hour():
    """Issue 7: "10 s ... 1 h, 8 attempts": the 7 waits between 8 attempts are 10 s,
    30 s, 90 s, 270 s, 810 s, 2430 s and 1 h, about two hours in all."""
    first = timedelta(seconds=10)
    waits = [rules.backoff(n, first).total_seconds() for n in range(1, 8)]
    assert waits == [10, 30, 90, 270, 810, 2430, 3600]
    assert sum(waits) == 7240
    assert rules.backoff(20, first) == timedelta(hours=1)


def test_the_last_failed_attempt_marks_the_message_failed():
    n = note()
    for _ in range(7):
        n = rules.failed_attempt(n, "refused", NOW, timedelta(seconds=10), 8)
        assert n["status"] == "pending"
    n = rules.failed_attempt(n, "refused", NOW, timedelta(seconds=10), 8)
    assert n["status"] == "failed" and n["attempts"] == 8 and n["last_error"] == "refused"


def test_a_resend_keeps_the_history_and_gets_a_full_round_of_attempts():
    n = note()
    for _ in range(8):
        n = rules.failed_attempt(n, "refused", NOW, timedelta(seconds=10), 8)
    again = rules.resend(n, NOW, "<new@tilts>")
    assert again["status"] == "pending" and again["attempts"] == 8
    assert again["message_id"] is None  # failed, never delivered: same Message-ID
    assert again["resends"] == [
        {
            "at": rules.iso(NOW),
            "status": "failed",
            "attempts": 8,
            "last_error": "refused",
            "message_id": None,
            "sent_at": None,
        }
    ]
    n = rules.failed_attempt(again, "refused", NOW, timedelta(seconds=10), 8)
    assert n["status"] == "pending" and n["attempts"] == 9  # a new round of 8
    assert n["next_attempt_at"] == rules.iso(NOW + timedelta(seconds=10))


def test_a_sent_message_is_resent_under_a_new_message_id():
    sending = {**note(), "message_id": "<old@tilts>", "claimed_until": "2026-11-24T12:03:00Z"}
    sent = rules.sent(sending, NOW)
    assert sent["claimed_until"] == rules.NEVER  # sent, not "being sent" for 3 minutes
    later = NOW + timedelta(minutes=5)
    again = rules.resend(sent, later, "<new@tilts>")
    assert again["message_id"] == "<new@tilts>"
    assert again["resends"][0]["message_id"] == "<old@tilts>"


@pytest.mark.parametrize(
    "change",
    [
        {"status": "pending", "claimed_until": "2026-11-24T12:00:20Z"},  # being sent now
        {"status": "sent", "sent_at": "2026-11-24T11:59:50Z"},  # a double click
        {"status": "held"},
        {"status": "in_digest"},
        {"status": "dropped"},
    ],
)
def test_a_resend_is_refused_while_sending_just_after_sending_or_for_a_digest(change):
    with pytest.raises(Conflict):
        rules.resend({**note(), **change}, NOW)


def test_a_message_that_cannot_be_written_fails_at_once():
    n = rules.unsendable(note(), "cannot compose the message: ValueError", NOW)
    assert n["status"] == "failed" and n["attempts"] == 1
    assert n["last_error"].startswith("cannot compose")


def test_only_non_urgent_requests_wait_for_a_digest():
    digest, later = {"delivery": "digest"}, NOW + timedelta(hours=72)
    assert rules.wants_digest(digest, "normal", later, NOW, 7)
    assert rules.wants_digest(digest, "low", NOW + timedelta(days=7), NOW, 7)
    assert not rules.wants_digest(digest, "critical", later, NOW, 7)
    assert not rules.wants_digest(digest, "high", later, NOW, 7)
    assert not rules.wants_digest({"delivery": "immediate"}, "low", later, NOW, 7)
    assert not rules.wants_digest(None, "low", later, NOW, 7)


def test_a_request_due_before_the_digest_is_sent_at_once():
    """A normal need due tomorrow: matching cut the deadline to the start of that day,
    12 h away, while the next digest is tomorrow 07:00 in Riga (05:00 UTC), 17 h away."""
    digest = {"delivery": "digest"}
    tomorrow = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert not rules.wants_digest(digest, "normal", tomorrow, NOW, 7, proposed_at=NOW)
    assert not rules.wants_digest(digest, "low", tomorrow, NOW, 7, proposed_at=NOW)


def test_a_request_is_held_only_if_its_digest_goes_before_its_reminder():
    digest = {"delivery": "digest"}
    # due in 30 h: the digest (in 17 h) comes before the deadline but after the
    # half-way reminder (in 15 h), which would be the first the organisation heard of it
    due = NOW + timedelta(hours=30)
    assert not rules.wants_digest(digest, "normal", due, NOW, 7, proposed_at=NOW)
    assert rules.wants_digest(digest, "normal", NOW + timedelta(hours=34), NOW, 7)
    # the event came late (notify was down): its reminder is already due
    proposed = NOW - timedelta(hours=40)
    assert not rules.wants_digest(
        digest, "normal", proposed + timedelta(hours=72), NOW, 7, proposed
    )
    # 06:00 in Riga, the digest within the hour: even a 4 h deadline may wait for it
    early = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert rules.wants_digest(digest, "normal", early + timedelta(hours=4), early, 7, early)


def test_a_gap_alert_waits_for_the_digest_only_when_it_is_not_urgent_nor_due_first():
    """NOW is 2026-11-24 12:00 UTC; the next digest goes tomorrow, 25 November, 07:00
    in Riga."""
    waits = rules.gap_alert_waits
    assert waits("digest", "normal", "2026-11-27", NOW, 7)
    assert waits("digest", "low", None, NOW, 7)  # no day named: the digest is in time
    assert not waits("digest", "critical", "2026-11-27", NOW, 7)
    assert not waits("digest", "high", None, NOW, 7)
    assert not waits("immediate", "low", "2026-11-27", NOW, 7)
    assert not waits(None, "low", "2026-11-27", NOW, 7)
    # needed the day the digest goes, or sooner: the coordinator hears now
    assert not waits("digest", "normal", "2026-11-25", NOW, 7)
    assert not waits("digest", "low", "2026-11-24", NOW, 7)
    assert waits("digest", "normal", "2026-11-26", NOW, 7)


def test_a_reminder_is_half_way_to_the_deadline():
    assert rules.reminder_at("2026-11-24T12:00:00Z", "2026-11-25T12:00:00Z") == (
        "2026-11-25T00:00:00Z"
    )


def test_reasons_in_words_follow_the_score():
    full = {"language": 1.0, "capacity": 1.0, "responsiveness": 0.8, "fairness": 1.0}
    assert rules.why_chosen(full, True) == [
        "region",
        "language",
        "capacity",
        "responsiveness",
        "fairness",
    ]
    assert rules.why_chosen({"capacity": 0.5}, False) == ["nationwide"]


def test_a_language_is_no_reason_when_the_need_named_none():
    assert rules.why_chosen({"language": 1.0}, True, languages_asked=False) == ["region"]


def test_the_digest_is_due_from_its_hour_until_midnight_on_rigas_clock():
    # winter: Riga is UTC+2, so 07:00 there is 05:00 UTC
    assert rules.digest_day(datetime(2026, 11, 24, 4, 59, tzinfo=UTC), 7) is None
    assert rules.digest_day(datetime(2026, 11, 24, 5, 0, tzinfo=UTC), 7) == date(2026, 11, 24)
    # notify was down at 07:00: it catches up in the afternoon
    assert rules.digest_day(datetime(2026, 11, 24, 15, 3, tzinfo=UTC), 7) == date(2026, 11, 24)
    # summer: UTC+3, and Riga's day ends before UTC's
    assert rules.digest_day(datetime(2026, 7, 1, 4, 0, tzinfo=UTC), 7) == date(2026, 7, 1)
    assert rules.digest_day(datetime(2026, 7, 1, 3, 59, tzinfo=UTC), 7) is None
    assert rules.digest_day(datetime(2026, 7, 1, 20, 59, tzinfo=UTC), 7) == date(2026, 7, 1)
    assert rules.digest_day(datetime(2026, 7, 1, 21, 0, tzinfo=UTC), 7) is None  # 00:00 July 2
    assert rules.digest_key("org_1", date(2026, 11, 24)) == "digest.org_1.2026-11-24"


def test_the_next_digest_is_today_or_tomorrow_on_rigas_clock():
    # 12:00 UTC is 14:00 in Riga (UTC+2 in November): today's 07:00 digest may have gone
    assert rules.next_digest(NOW, 7) == datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    assert rules.next_digest(NOW, 18) == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    # summer (UTC+3): 06:59 in Riga is before the hour, 07:00 is not
    assert rules.next_digest(datetime(2026, 7, 1, 3, 59, tzinfo=UTC), 7) == (
        datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
    )
    assert rules.next_digest(datetime(2026, 7, 1, 4, 0, tzinfo=UTC), 7) == (
        datetime(2026, 7, 2, 4, 0, tzinfo=UTC)
    )
    # the night the clocks go forward (29 March 2026): tomorrow's 07:00 is summer time
    assert rules.next_digest(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), 7) == (
        datetime(2026, 3, 29, 4, 0, tzinfo=UTC)
    )


def test_a_logged_error_names_no_address_nor_the_recipient():
    refused = (
        "SMTPRecipientsRefused: {'anna.berzina@example.org': (550, b'5.1.1 "
        "<Anna.Berzina@example.org>: Recipient address rejected')}"
    )
    assert rules.redact(refused, "anna.berzina@example.org") == (
        "SMTPRecipientsRefused: {'<recipient>': (550, b'5.1.1 "
        "<<recipient>>: Recipient address rejected')}"
    )
    assert rules.redact("from tilts@tilts.lv refused") == "from <address> refused"
    # an address that is no address is still the recipient's
    bad = "InvalidHeaderDefect: no-domain-here: local part with no domain"
    assert rules.redact(bad, "no-domain-here", "") == (
        "InvalidHeaderDefect: <recipient>: local part with no domain"
    )
    assert rules.redact("Connection refused", "x") == "Connection refused"
