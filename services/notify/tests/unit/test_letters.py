"""What each event makes notify write, to whom, without SMTP or a broker."""

from datetime import UTC, datetime, timedelta

from notify import letters, rules
from notify.config import PostmanConfig, SmtpConfig
from tilts_contracts import lifecycles
from tilts_contracts.clock import iso, utcnow
from tilts_contracts.tokens import read_response_link

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 14:00 in Riga
SECRET = "unit-test-secret-of-32-bytes-or-more!!"
ENV = {"event_id": "ev1", "occurred_at": "2026-11-24T12:00:00Z"}


def config(coordinator: str = "") -> PostmanConfig:
    return PostmanConfig(
        sender="Tilts <tilts@tilts.test>",
        coordinator_email=coordinator,
        public_url="http://tilts.test",
        secret=SECRET,
        first_retry=timedelta(seconds=10),
        max_attempts=8,
        digest_hour=7,
        smtp=SmtpConfig("localhost", 1025, False, "", ""),
    )


def test_every_status_group_names_statuses_of_the_lifecycle():
    groups = (rules.DIGEST_BOUND, rules.IN_A_DIGEST, rules.UNSENT, rules.SETTLED)
    for group in groups:
        assert set(group) <= set(lifecycles.NOTIFICATION_STATUSES), group


def test_a_match_request_carries_a_link_signed_for_that_match_and_organisation():
    match = {
        "id": "mat_1",
        "organisation_id": "org_1",
        "quantity": 2,
        "respond_by": iso(utcnow() + timedelta(hours=72)),  # a link still valid
        "score_breakdown": {"language": 1.0},
        "need": {"region": "riga", "languages": ["ru"], "case_ref": "RIX-1", "posted_by": "x"},
        "offer": {"regions": ["riga"]},
        "organisation": {"id": "org_1", "email": "org@example.org", "preferred_language": "en"},
    }
    msg = letters.about_match(
        config("k@example.org"), "ev1.match_proposed", "match_proposed", match
    )
    assert (msg.recipient, msg.language, msg.organisation_id) == ("org@example.org", "en", "org_1")
    assert msg.reply_to == "k@example.org"  # the need's poster is no address
    assert "case_ref" not in msg.context["need"] and "posted_by" not in msg.context["need"]
    token = msg.context["respond_url"].rsplit("/", 1)[1]
    claims = read_response_link(SECRET, token)
    assert (claims["match"], claims["org"]) == ("mat_1", "org_1")


def test_replies_go_to_the_coordinator_who_posted_the_need_when_that_is_an_address():
    assert letters.reply_to_for(config(), {"posted_by": "anna@example.org"}) == "anna@example.org"
    assert letters.reply_to_for(config("all@example.org"), {"posted_by": "admin"}) == (
        "all@example.org"
    )
    assert letters.reply_to_for(config(), None) is None


def test_an_organisation_without_an_address_is_written_nothing():
    assert letters.to_organisation(ENV, {"id": "org_1", "email": None}, "x", {}) == []
    assert letters.registration_repeated(ENV, {"organisation_id": "org_1"}, {}) == []


def test_a_repeated_registration_is_keyed_by_the_day_so_one_goes_a_day():
    contact = {"email": "org@example.org", "name": "Dzīvības koks"}
    attempt = {"organisation_id": "org_1", "matched": "email"}
    [first] = letters.registration_repeated(ENV, attempt, contact)
    later = {**ENV, "event_id": "ev2", "occurred_at": "2026-11-24T18:00:00Z"}
    [second] = letters.registration_repeated(later, attempt, contact)
    assert first.key == second.key == "registration_repeated.org_1.2026-11-24"


def test_reviews_are_about_the_organisation_and_fall_back_to_the_coordinator_address():
    assert letters.fallback_subscriber(config()) == []
    [fallback] = letters.fallback_subscriber(config("k@example.org"))
    org = {"id": "org_1", "name": "Bērnu prieks", "domains": ["children"]}
    [review] = letters.reviews(config(), ENV, org, [fallback])
    assert review.recipient == "k@example.org" and review.about_organisation == "org_1"
    assert review.organisation_id is None  # written to a coordinator, not to it
    assert review.context["organisation"]["name"] == "Bērnu prieks"


def test_a_gap_alert_waits_for_a_digest_only_for_who_chose_it_and_not_when_urgent():
    subs = [
        {"_id": "sub_a", "email": "a@example.org", "delivery": "digest", "language": "en"},
        {"_id": "sub_b", "email": "b@example.org"},
    ]
    gap = {"need": {"id": "need_1", "urgency": "normal", "needed_by": None}, "covered": 0}
    held, at_once = letters.gap_alerts(config(), ENV, gap, subs, NOW)
    assert (held.hold, held.digest_holder, held.language) == (True, "sub_a", "en")
    assert (at_once.hold, at_once.digest_holder, at_once.language) == (False, None, "lv")
    urgent = {**gap, "need": {**gap["need"], "urgency": "critical"}}
    assert not any(a.hold for a in letters.gap_alerts(config(), ENV, urgent, subs, NOW))


def test_a_held_message_waits_in_its_holders_digest():
    msg = rules.Outgoing("k", "a@example.org", "need_unmatched", "lv", {}, hold=True)
    assert rules.queue(msg, NOW)["digest_holder"] == "a@example.org"
    msg = rules.Outgoing("k", "a@example.org", "x", "lv", {}, hold=True, organisation_id="org_1")
    assert rules.queue(msg, NOW)["digest_holder"] == "org_1"
    assert "digest_holder" not in rules.queue(rules.Outgoing("k", "a@x.lv", "x", "lv", {}), NOW)


def test_a_reminder_is_the_request_with_its_own_opening_in_each_language():
    from notify import rendering

    env = rendering.environment()
    context = {
        "organisation": {"name": "Drošā māja"},
        "offer": {"title": "Istaba ģimenei"},
        "need": {"title": "Gulta", "region": "riga", "quantity": 2},
        "match": {"respond_by": "2026-12-07T12:00:00Z", "quantity": 2},
        "respond_url": "http://tilts.test/respond/x",
        "org_url": "http://tilts.test/org",
    }
    openings = {
        "en": ("your offer", "A reminder: we are still waiting"),
        "lv": ("jūsu piedāvājums", "Atgādinām: mēs vēl gaidām"),
    }
    for lang, (asked, reminded) in openings.items():
        _, text, html = rendering.render(env, "match_proposed", lang, context)
        _, again, again_html = rendering.render(env, "match_reminder", lang, context)
        assert asked in text and reminded not in text
        assert reminded in again and asked not in again and reminded in again_html
        # everything after the opening line is the request's own
        assert again.split(reminded)[1].split("\n", 1)[1] == text.split(asked)[1].split("\n", 1)[1]
        assert again_html.count("http://tilts.test/respond/x") == 1
