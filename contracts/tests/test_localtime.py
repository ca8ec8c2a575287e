"""Deadlines as people read them: Riga time, the zone named, Latvian or English."""

from tilts_contracts.localtime import at, until


def test_a_winter_deadline_is_two_hours_ahead_of_utc():
    assert until("2026-11-26T05:49:05Z", "lv") == (
        "2026. gada 26. novembrim plkst. 07:49 (Rīgas laiks)"
    )
    assert until("2026-11-26T05:49:05Z", "en") == "26 November 2026, 07:49 (Riga time)"


def test_a_summer_deadline_is_three_hours_ahead_and_may_be_the_next_day():
    assert until("2026-07-01T22:30:00Z", "lv") == (
        "2026. gada 2. jūlijam plkst. 01:30 (Rīgas laiks)"
    )
    assert until("2026-07-01T22:30:00Z", "en") == "2 July 2026, 01:30 (Riga time)"


def test_a_date_is_a_day_alone_and_odd_values_pass_through():
    assert until("2031-12-24", "lv") == "2031. gada 24. decembrim"
    assert until("2031-12-24", "en") == "24 December 2031"
    assert until("soon", "en") == "soon"
    assert until(None, "lv") == ""


def test_when_a_document_was_made_reads_in_the_locative():
    assert at("2026-11-25T06:50:08Z", "lv") == "2026. gada 25. novembrī plkst. 08:50 (Rīgas laiks)"
    assert at("2026-03-01T22:10:00Z", "lv") == "2026. gada 2. martā plkst. 00:10 (Rīgas laiks)"
    assert at("2026-11-25T06:50:08Z", "en") == "25 November 2026, 08:50 (Riga time)"
    assert at("not a time", "en") == "not a time"
