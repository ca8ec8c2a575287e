"""Why matching proposed an offer, in words a coordinator reads ("same region, speaks
Russian, answered 9 of 10 requests"), from the score's breakdown, the need and offer
the match was made with, and the organisation's answers so far. Pure."""

from tilts_contracts import taxonomy

WORDS = {
    "lv": {
        "same_region": "tas pats reģions ({region})",
        "nationwide": "strādā visā Latvijā",
        "speaks": "runā {names} valodā",
        "not_speaks": "(ne {names})",
        "and": " un ",
        "covers_all": "nosedz visu vajadzīgo ({n})",
        "covers_part": "nosedz {n} no {of}",
        "answered": "atbildēja uz {n} no {of} pieprasījumiem",
        "no_record": "vēl nav atbilžu vēstures",
        "not_asked": "pēdējās 30 dienās nav lūgta",
        "asked": "pēdējās 30 dienās lūgta {n} {times}",
        "times": ("reizi", "reizes"),
    },
    "en": {
        "same_region": "same region ({region})",
        "nationwide": "works nationwide",
        "speaks": "speaks {names}",
        "not_speaks": "(not {names})",
        "and": " and ",
        "covers_all": "covers all that is needed ({n})",
        "covers_part": "covers {n} of {of}",
        "answered": "answered {n} of {of} requests",
        "no_record": "no answers on record yet",
        "not_asked": "not asked in the last 30 days",
        "asked": "asked {n} {times} in the last 30 days",
        "times": ("time", "times"),
    },
}


def _plural(n: int, forms: tuple[str, str], lang: str) -> str:
    """Latvian takes the singular after 1, 21, 31... (not 11); English after 1 only."""
    one = (n % 10 == 1 and n % 100 != 11) if lang == "lv" else n == 1
    return forms[0] if one else forms[1]


def _names(codes, lang: str) -> str:
    named = [taxonomy.name(taxonomy.LANGUAGE_NAMES, c, lang) for c in sorted(codes)]
    return WORDS[lang]["and"].join(named)


def _region(need: dict, offer: dict, w: dict, lang: str) -> str:
    if need.get("region") in (offer.get("regions") or []):
        return w["same_region"].format(region=taxonomy.name(taxonomy.REGIONS, need["region"], lang))
    return w["nationwide"]


def _languages(need: dict, offer: dict, w: dict, lang: str) -> str | None:
    wanted = set(need.get("languages") or [])
    if not wanted:
        return None
    shared = wanted & set(offer.get("languages") or [])
    said = w["speaks"].format(names=_names(shared, lang)) if shared else ""
    missing = wanted - shared
    return f"{said} {w['not_speaks'].format(names=_names(missing, lang))}" if missing else said


def _answers(record: dict | None, w: dict) -> str:
    record = record or {}
    answered = record.get("accepted", 0) + record.get("declined", 0)
    ended = answered + record.get("expired", 0)
    return w["answered"].format(n=answered, of=ended) if ended else w["no_record"]


def _fairness(breakdown: dict, w: dict, lang: str) -> str | None:
    share = breakdown.get("fairness")
    if not share:
        return None
    asked = round(1 / share - 1)  # fairness is 1 / (1 + asked recently)
    if asked <= 0:
        return w["not_asked"]
    return w["asked"].format(n=asked, times=_plural(asked, w["times"], lang))


def reasons(match: dict, record: dict | None, lang: str) -> list[str]:
    """The reasons of one match (as matching's match_details gives it, with `need` and
    `offer`), each a short phrase; `record` the organisation's answers so far."""
    w = WORDS[lang]
    need, offer = match.get("need") or {}, match.get("offer") or {}
    breakdown = match.get("score_breakdown") or {}
    said = [_region(need, offer, w, lang), _languages(need, offer, w, lang)]
    wanted, given = need.get("quantity"), match.get("quantity")
    if wanted and given:
        if given >= wanted:
            said.append(w["covers_all"].format(n=given))
        else:
            said.append(w["covers_part"].format(n=given, of=wanted))
    said += [_answers(record, w), _fairness(breakdown, w, lang)]
    return [s for s in said if s]
