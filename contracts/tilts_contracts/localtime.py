"""Times as people in Latvia read them: Riga local time, the zone named, in lv or en.

Stored and sent times stay UTC ISO-8601 (`clock.iso`); this is only for what a person
reads in an email or on a page. Every use follows "līdz" / "by", and Latvian "līdz"
takes the dative: "līdz 2026. gada 26. novembrim plkst. 07:49 (Rīgas laiks)".
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

RIGA = ZoneInfo("Europe/Riga")

MONTHS = {
    # dative, after "līdz"
    "lv": (
        "janvārim",
        "februārim",
        "martam",
        "aprīlim",
        "maijam",
        "jūnijam",
        "jūlijam",
        "augustam",
        "septembrim",
        "oktobrim",
        "novembrim",
        "decembrim",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
ZONE_NAME = {"lv": "Rīgas laiks", "en": "Riga time"}
# locative, for when something happened: "sagatavots 2026. gada 25. novembrī"
MONTHS_IN = (
    "janvārī",
    "februārī",
    "martā",
    "aprīlī",
    "maijā",
    "jūnijā",
    "jūlijā",
    "augustā",
    "septembrī",
    "oktobrī",
    "novembrī",
    "decembrī",
)


def _read(value: object) -> datetime | date | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def day(value: date, lang: str) -> str:
    """A calendar day after "līdz" / "by": "2031. gada 24. decembrim" / "24 December 2031"."""
    month = MONTHS["lv" if lang == "lv" else "en"][value.month - 1]
    if lang == "lv":
        return f"{value.year}. gada {value.day}. {month}"
    return f"{value.day} {month} {value.year}"


def at(value: object, lang: str = "lv") -> str:
    """When something happened, in Riga time: "2026. gada 25. novembrī plkst. 08:50
    (Rīgas laiks)" / "25 November 2026, 08:50 (Riga time)"; unreadable values as they came."""
    moment = _read(value)
    if not isinstance(moment, datetime):
        return "" if value is None else str(value)
    local = moment.astimezone(RIGA)
    if lang == "lv":
        when = f"{local.year}. gada {local.day}. {MONTHS_IN[local.month - 1]}"
        return f"{when} plkst. {local:%H:%M} ({ZONE_NAME['lv']})"
    return f"{day(local.date(), 'en')}, {local:%H:%M} ({ZONE_NAME['en']})"


def until(value: object, lang: str = "lv") -> str:
    """A deadline or a date as a person reads it, in Riga time with the zone named.

    A UTC time becomes "2026. gada 26. novembrim plkst. 07:49 (Rīgas laiks)" or
    "26 November 2026, 07:49 (Riga time)"; a date (`YYYY-MM-DD`) is a day alone.
    Anything unreadable is shown as it came, never an error in an email.
    """
    moment = _read(value)
    if moment is None:
        return "" if value is None else str(value)
    lang = "lv" if lang == "lv" else "en"
    if not isinstance(moment, datetime):
        return day(moment, lang)
    local = moment.astimezone(RIGA)
    clock = f"{local:%H:%M}"
    if lang == "lv":
        return f"{day(local.date(), lang)} plkst. {clock} ({ZONE_NAME[lang]})"
    return f"{day(local.date(), lang)}, {clock} ({ZONE_NAME[lang]})"
