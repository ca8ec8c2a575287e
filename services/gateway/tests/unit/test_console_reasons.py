"""A match's score in words, as the console shows it."""

from gateway.web.console_reasons import reasons


def match(**over) -> dict:
    return {
        "quantity": 2,
        "score_breakdown": {"region": 1.0, "language": 1.0, "fairness": 1.0},
        "need": {"region": "riga", "languages": ["ru"], "quantity": 2},
        "offer": {"regions": ["riga"], "languages": ["lv", "ru"]},
        **over,
    }


def test_a_close_match_reads_as_the_design_says():
    record = {"accepted": 7, "declined": 2, "expired": 1}
    assert reasons(match(), record, "en") == [
        "same region (Riga)",
        "speaks Russian",
        "covers all that is needed (2)",
        "answered 9 of 10 requests",
        "not asked in the last 30 days",
    ]
    assert reasons(match(), record, "lv") == [
        "tas pats reģions (Rīga)",
        "runā krievu valodā",
        "nosedz visu vajadzīgo (2)",
        "atbildēja uz 9 no 10 pieprasījumiem",
        "pēdējās 30 dienās nav lūgta",
    ]


def test_a_nationwide_partial_match_of_a_new_organisation_says_so():
    partly = match(
        quantity=1,
        score_breakdown={"region": 0.5, "fairness": 0.25},
        need={"region": "latgale", "languages": ["ru", "uk"], "quantity": 3},
        offer={"regions": ["nationwide"], "languages": ["uk"]},
    )
    assert reasons(partly, None, "en") == [
        "works nationwide",
        "speaks Ukrainian (not Russian)",
        "covers 1 of 3",
        "no answers on record yet",
        "asked 3 times in the last 30 days",
    ]
    said = reasons({**partly, "score_breakdown": {"fairness": 0.5}}, {}, "lv")
    assert said[-1] == "pēdējās 30 dienās lūgta 1 reizi"
    no_language = {**partly, "need": {"region": "latgale", "quantity": 1}}
    assert not any("speaks" in r for r in reasons(no_language, {}, "en"))
