"""The outbox rules without SMTP: backoff, failure, digest choice, reminders."""

from datetime import UTC, datetime, timedelta

from notify import domain

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def note():
    return domain.queue("ev.match_proposed", "a@example.org", "match_proposed", "lv", {}, NOW)


def test_backoff_doubles_from_the_first_wait_up_to_an_hour():
    first = timedelta(seconds=10)
    waits = [domain.backoff(n, first).total_seconds() for n in range(1, 11)]
    assert waits[:4] == [10, 20, 40, 80]
    assert max(waits) == 3600


def test_the_last_failed_attempt_marks_the_message_failed():
    n = note()
    for _ in range(7):
        n = domain.failed_attempt(n, "refused", NOW, timedelta(seconds=10), 8)
        assert n["status"] == "pending"
    n = domain.failed_attempt(n, "refused", NOW, timedelta(seconds=10), 8)
    assert n["status"] == "failed" and n["attempts"] == 8 and n["last_error"] == "refused"
    again = domain.resend(n, NOW)
    assert again["status"] == "pending" and again["attempts"] == 0


def test_only_non_urgent_requests_wait_for_a_digest():
    digest = {"delivery": "digest"}
    assert domain.wants_digest(digest, "normal") and domain.wants_digest(digest, "low")
    assert not domain.wants_digest(digest, "critical")
    assert not domain.wants_digest(digest, "high")
    assert not domain.wants_digest({"delivery": "immediate"}, "low")
    assert not domain.wants_digest(None, "low")


def test_a_reminder_is_half_way_to_the_deadline():
    assert domain.reminder_at("2026-11-24T12:00:00Z", "2026-11-25T12:00:00Z") == (
        "2026-11-25T00:00:00Z"
    )


def test_reasons_in_words_follow_the_score():
    full = {"language": 1.0, "capacity": 1.0, "responsiveness": 0.8, "fairness": 1.0}
    assert domain.why_chosen(full, True) == [
        "region",
        "language",
        "capacity",
        "responsiveness",
        "fairness",
    ]
    assert domain.why_chosen({"capacity": 0.5}, False) == ["nationwide"]


def test_the_next_digest_is_today_or_tomorrow():
    assert domain.next_digest(NOW, 7) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    assert domain.next_digest(NOW, 18) == datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
