"""The privacy guard: the people helped are never data (DESIGN, "Privacy rules").

Free text of needs, offers and organisation descriptions is refused when it holds an
email address, a phone number, a Latvian personal code, a date of birth, a passport or
ID card number, a street address or a link to a personal profile. The answer names the
kind of data, never the text found.

Linear by construction: every repetition in the patterns below has an upper bound (and
where a run could be re-read from each of its characters, a look-behind starts it only
at the run's first), so a search does a bounded amount of work at each position; and
the guard reads at most LONGEST characters, whatever it is given. The tests check the
bounds on the compiled patterns themselves. (A look-ahead for a letter before a list of
words only spares the engine trying each word where none can start.)
"""

import re
from collections.abc import Callable
from datetime import date

from marshmallow import ValidationError
from marshmallow.validate import Validator

LONGEST = 5000  # the longest free-text field (a description): nothing past it is read

KINDS = {  # in the order a field's findings are told
    "email": "looks like an email address",
    "profile": "looks like a link to a personal profile",
    "personal_code": "looks like a personal identity code",
    "birth_date": "looks like a date of birth",
    "document": "looks like a passport or ID card number",
    "phone": "looks like a phone number",
    "address": "looks like a street address",
}
ABOUT_PEOPLE = "describe the situation, not the person"


def alt(*choices: str) -> str:
    return "(?:" + "|".join(choices) + ")"


# the pieces the patterns are written with, named <LIKE_THIS> in them
PARTS: dict[str, str] = {
    "LETTER": r"[^\W\d_]",
    "DASH": "[\\-\u2010\u2011\u2012\u2013\u2014\u2212]",  # what editors paste for "-"
    "GAP": r"\s{0,2}+",
    "LABEL": r"[\w-]{1,63}+",  # one part of a domain name
    "OPEN": r"[\[({<]",
    "CLOSE": r"[\])}>]",
    "AT": alt("at", "et", "собака", "собачка", "равлик"),
    "DOT": alt("dot", "punkts", "точка", "крапка"),
    "TLD": alt(*"lv com org net eu ee lt ru ua de uk pl se fi no info gov edu io".split()),
    "SITE": alt(
        *r"""facebook\.com fb\.com fb\.me instagram\.com instagr\.am t\.me
        telegram\.me vk\.com vk\.ru x\.com twitter\.com tiktok\.com threads\.net
        ok\.ru""".split()
    ),
    "SOCIAL": alt(
        *"""facebook fb instagram insta telegram twitter vk tiktok threads
        телеграм інстаграм инстаграм вконтакте""".split()
    ),
    # a word ending in a letter ends there: "borne" says nothing
    "BIRTH_WORD": (
        r"(?:dz\.|dzim\.|dzimš\.|dzimis\b|dzimusi\b|dzimšanas\b"
        r"|born\b|dob\b|d\.o\.b\.?|date of birth\b|birth\s?date\b"
        r"|д\.\s?р\.|дата рождения\b|родил(?:ся|ась)\b|рожд\."
        r"|д\.\s?н\.|дата народження\b|народи(?:вся|лася|лась)\b)"
    ),
    "YEAR": r"(?:19|20)\d\d(?!\d)",
    "DOCUMENT_WORD": (
        r"(?:pase|pases|pasi|pasē|pasu|passports?|паспорт\w{0,3}"
        r"|id[\s-]?kart\w{0,2}|id[\s-]?cards?|identity card|id[\s-]?карт\w{0,3}|eid"
        r"|personas apliecīb\w{0,2}|uzturēšanās atļauj\w{0,2}|residence permit"
        r"|удостоверени\w{0,2}|посвідченн\w{0,2}|посвідк\w{0,2}|вид на жительство)"
    ),
    # a street word after the street's name ("Brīvības iela 12-5")...
    "STREET_AFTER": alt(
        *"""iela ielā ielas ielu prospekts prospektā prospekta prospektu bulvāris
        bulvārī bulvāra gatve gatvē gatves gatvi šoseja šosejā šoseju laukums laukumā
        laukumu krastmala krastmalā krastmalu aleja alejā aleju dambis dambī dambi
        street road avenue boulevard""".split()
    ),
    # ...or before it, as Ukrainian and Russian write it ("вул. Шевченка, 12")
    "STREET_BEFORE": alt(
        *"""вул вулиця вулиці ул улица улице улицы просп проспект
        проспекте пр-т бульвар бульв б-р провулок пров переулок пер шоссе площа площадь
        набережна набережная наб""".split()
    ),
    "HOUSE": r"\d{1,3}(?!\d)",
    "SEP": r"(?:[\s.]|<DASH>)",
    # a year and more digits: "RIX-2025-0017", "mācību gads 2025-2026", an invalid date
    "YEAR_FIRST": r"(?:19|20)\d\d(?:[\s./]|<DASH>)",
    "PHONE_WORD": r"\b"
    + alt(
        *r"""tel tālr talr telefon\w{0,4} tālru\w{0,5} mob mobil(?:ais|ā|o|ajam|e)
        zvan\w{0,6} phone call gsm whatsapp viber telegram signal тел телефон\w{0,3} моб
        звон\w{0,5} дзвон\w{0,5} телефонуй\w{0,3}""".split()
    )
    + r"\b[\s.:]{0,4}+",
    "CURRENCY": alt(r"eur\b", "euro", "eiro", "€", r"usd\b", r"\$", "грн", "uah"),
    "MONEY": alt(
        *r"""amount sum summa kopsumma kopā total budžet\w{0,4} budget\w{0,2}
        cost\w{0,2} izmaks\w{0,4} eur euro eiro usd сумма сума бюджет\w{0,2} итого разом
        всього грн""".split()
    ),
}


NAMED_PART = re.compile(r"<([A-Z_]+)>")


def _expand(text: str) -> str:
    return NAMED_PART.sub(lambda m: _expand(PARTS[m[1]]), text)


def rule(*choices: str, flags: int = 0) -> re.Pattern:
    """One pattern matching any of `choices`, each written with <PARTS> by name."""
    return re.compile(_expand(alt(*choices)), flags)


ANY_CASE = re.IGNORECASE
EMAIL = rule(
    # jan@x.lv, jan @ x.lv: a letter of the address, an @, a domain with a dot in it
    r"(?<=[\w.+-])<GAP>[@＠]<GAP><LABEL>\.<LETTER>{2}",
    # janis [at] inbox.lv, janis(at)inbox(dot)lv
    r"(?<=[\w.+-])<GAP><OPEN><GAP>(?:<AT>|@)<GAP><CLOSE><GAP><LABEL>"
    r"(?:\.|<GAP><OPEN><GAP><DOT><GAP><CLOSE><GAP>)\w",
    # janis at inbox dot lv: spelled out only when it ends in a domain's last part
    # ("look at the dot com era" is no address)
    r"(?<![\w.+-])[\w.+-]{1,64}+\s{1,3}+<AT>\s{1,3}+(?!the\b|an?\b)<LABEL>"
    r"(?:\s{1,3}+<DOT>\s{1,3}+<LABEL>){0,3}\s{1,3}+<DOT>\s{1,3}+<TLD>\b",
    flags=ANY_CASE,
)
PROFILE = rule(
    # facebook.com/jan.berzins, https://t.me/janis, vk.com/id123
    r"(?<![\w.@-])(?=<LETTER>)(?:https?://)?(?:www\.|m\.|mobile\.|web\.)?<SITE>/[\w@%+~.-]",
    r"\b<SOCIAL>\b[\s:.,-]{0,3}+@\w{2}",  # "Telegram: @janis_b"
    flags=ANY_CASE,
)
# DDMMYY-NNNNN (old) and 32NNNN-NNNNN (new, since 2017), the dash maybe a space or an en
# dash, with a space either side of it or not
PERSONAL_CODE = rule(r"(?<![\d+])(?:[0-3]\d[01]\d\d\d|32\d{4})(?:\s?<DASH>\s?|\s)?\d{5}(?!\d)")
BIRTH_DATE = rule(
    # a birth word, perhaps two short words ("born on", "dzimšanas datums:"), a date:
    r"(?<!\w)(?=<LETTER>)<BIRTH_WORD>(?:[\s.:,;]|<DASH>){0,3}+(?:<LETTER>{1,10}+\.?[\s:,]{1,3}+){0,2}"
    + alt(
        r"\d{1,2}\s?[./-]\s?\d{1,2}\s?[./-]\s?(?:\d{4}|\d\d)(?!\d)",  # 12.03.1990, 12/03/90
        r"(?:19|20)\d\d[./-]\d{1,2}[./-]\d{1,2}",  # 1990-03-12
        r"\d{1,2}\.?\s{1,2}<LETTER>{3,12}\.?,?\s{1,2}<YEAR>",  # 12. martā 1990
        r"<LETTER>{3,12}\.?\s{1,2}\d{1,2},?\s{1,2}<YEAR>",  # March 12, 1990
        r"<YEAR>",  # a year of birth
    ),
    r"(?<!\d)<YEAR>\s{0,2}+(?:г\.\s?р\.|р\.\s?н\.|г\.\s?рожд)",  # 1990 г.р., 1990 р.н.
    flags=ANY_CASE,
)
DOCUMENT = rule(
    # a document word, a few characters with no digit ("Nr. LV", "серии"), a number:
    # "pase LV1234567", "паспорт серии 45 06 номер 123456", "passport no. 123456789"
    r"(?<!\w)(?=<LETTER>)(?i:<DOCUMENT_WORD>)\b[^\d\n]{0,24}+"
    r"(?:\d\d\s?\d\d\s{1,3}+(?:<LETTER>{1,8}+\.?\s{1,3}+)?\d{6}|\d{6,9})(?!\d)",
    # the shapes alone: Latvian passports and ID cards (two letters, seven digits),
    # Ukrainian and Russian passports (two Cyrillic capitals, six digits)
    r"(?<!\w)[A-Z]{2}\s?\d{7}(?!\w)",
    r"(?<!\w)[А-ЯІЇЄҐ]{2}\s?\d{6}(?!\w)",
)
ADDRESS = rule(
    r"(?<!\w)(?=<LETTER>)<STREET_AFTER>\b\.?[\s,]{0,2}+<HOUSE>",
    r"(?<!\w)(?=<LETTER>)<STREET_BEFORE>\b\.?(?:[\s,]{0,2}+<LETTER>[\w'’-]{0,30}+\.?){1,3}"
    r"[\s.,]{1,3}+(?:д|дом|буд|будинок|№)?\.?\s{0,2}+<HOUSE>",
    flags=ANY_CASE,
)
# "12 Baker Street": a number, capitalised names, a street word (letter case told apart)
ADDRESS_EN = rule(
    r"(?<![\w.,-])\d{1,4}[A-Za-z]?,?\s{1,2}+(?:[A-Z][\w'’.-]{0,24}+\s{1,2}+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Boulevard|Blvd|Drive)\b"
)

# -- phone numbers, read after dates and sums of money are set aside -----------------
INTERNATIONAL = rule(r"(?<![\w+])(?:\+|00)\s?[1-9][\d\s().\-\u2013]{6,16}\d")
PHONE = rule(
    # Latvian: 8 digits from 2 or 6, however grouped ("2 612 3456", "29.123.456"),
    # unless they read as a year and a number, or as a sum ("26 000 000 EUR")
    r"(?<!\w|<DASH>)(?:371<SEP>?)?(?!<YEAR_FIRST>)[26](?:<SEP>?\d){7}"
    r"(?!\d|\s?<CURRENCY>)",
    # Ukrainian (067) 123-45-67 and Russian 8 (912) 345-67-89
    r"(?<!\w|\+|<DASH>)(?:\(?0[3-9]\d\)?|8\s?\(?9\d\d\)?)"
    r"[\s.-]?\d{3}[\s.-]?\d\d[\s.-]?\d\d(?!\d)",
    # after a word that says phone, any grouping of the 8 digits
    r"<PHONE_WORD>(?:\+?371<SEP>?)?[26](?:<SEP>?\d){7}(?!\d)",
    flags=ANY_CASE,
)
# dates look like phone numbers to a digit pattern ("2026-11-24" is 8 digits from a 2),
# so real dates are set aside first; "2612-34-56" or "26.12.34.56" is no date and stays
ISO_DATE = rule(r"(?<![\d.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-]|\.\d)")
LV_DATE = rule(r"(?<![\d.-])(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d|\.\d)")
# "20261201": a date too, unless a phone word or +371 stands before it ("tel. 20261201")
COMPACT_DATE = rule(r"(?<![\w+])(\d{4})(\d\d)(\d\d)(?!\w)")
PHONE_BEFORE = rule(r"(?:<PHONE_WORD>|(?<![\w+])(?:\+|00)?371<SEP>?)$", flags=ANY_CASE)
# a sum of money is no phone, though "26 500 000" has a phone's 8 digits: a number in
# groups of three after a word or sign that says money ("summa: € 2 650 000")
AMOUNT = rule(
    r"(?:(?<![\w$€])(?=<LETTER>)<MONEY>\b|(?<![$€])[€$])[\s.:]{0,3}+"
    r"(?:(?:<MONEY>\b|[€$])[\s.:]{0,3}+){0,2}+\d{1,3}(?:[\s.,]\d{3}){1,6}(?![\d.,]\d)",
    flags=ANY_CASE,
)


def _is_date(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return 1900 <= int(year) <= 2100


def _compact_date(match: re.Match) -> str:
    # only the few characters before it can say phone (a window: many dates stay linear)
    said_phone = PHONE_BEFORE.search(match.string, max(0, match.start() - 40), match.start())
    return " " if _is_date(*match.groups()) and not said_phone else match[0]


def _without_dates_and_sums(text: str) -> str:
    """The text with real dates and sums of money set aside (digits that are no person)."""
    text = ISO_DATE.sub(lambda m: " " if _is_date(*m.groups()) else m[0], text)
    text = LV_DATE.sub(lambda m: " " if _is_date(*reversed(m.groups())) else m[0], text)
    text = COMPACT_DATE.sub(_compact_date, text)
    return AMOUNT.sub(" ", text)


def _international(match: re.Match) -> bool:
    """A number after + or 00 with at least 8 digits ("+2 000 000" is a sum)."""
    return sum(c.isdigit() for c in match[0]) >= 8


Accept = Callable[[re.Match], bool] | None
# (kind, pattern, whether a match counts): on the text as written...
AS_WRITTEN: tuple[tuple[str, re.Pattern, Accept], ...] = (
    ("email", EMAIL, None),
    ("profile", PROFILE, None),
    ("birth_date", BIRTH_DATE, None),
    ("document", DOCUMENT, None),
    ("address", ADDRESS, None),
    ("address", ADDRESS_EN, None),
)
# ...and on the text with its dates and sums set aside
DIGITS_ONLY: tuple[tuple[str, re.Pattern, Accept], ...] = (
    ("personal_code", PERSONAL_CODE, None),
    ("phone", INTERNATIONAL, _international),
    ("phone", PHONE, None),
)
PATTERNS = tuple(p for _, p, _ in AS_WRITTEN + DIGITS_ONLY) + (
    ISO_DATE,
    LV_DATE,
    COMPACT_DATE,
    PHONE_BEFORE,
    AMOUNT,
)


def _found(pattern: re.Pattern, text: str, accept: Accept) -> bool:
    if accept is None:
        return pattern.search(text) is not None
    return any(accept(m) for m in pattern.finditer(text))


def findings(text: str) -> list[str]:
    """The kinds of personal data the text seems to hold (keys of KINDS), in KINDS order;
    only its first LONGEST characters are read."""
    text = text[:LONGEST]
    found = {kind for kind, pattern, accept in AS_WRITTEN if _found(pattern, text, accept)}
    plain = _without_dates_and_sums(text)
    found |= {kind for kind, pattern, accept in DIGITS_ONLY if _found(pattern, plain, accept)}
    return [kind for kind in KINDS if kind in found]


def problems(text: str, advice: str = ABOUT_PEOPLE) -> list[str]:
    """What to tell the writer of `text`: one line per kind of data found, never the text."""
    return [f"{KINDS[kind]}; {advice}" for kind in findings(text)]


class Guard(Validator):
    """A marshmallow validator refusing free text that holds personal data.

    Use it on a `schemas.common.Text` with a Length (`common.free_text` does): Text refuses
    longer text before any validator runs, so the guard only reads what fits the field."""

    error = "personal data"

    def __init__(self, advice: str = ABOUT_PEOPLE):
        self.advice = advice

    def _repr_args(self) -> str:
        return f"advice={self.advice!r}"

    def __call__(self, value: object) -> object:
        found = problems(value, self.advice) if isinstance(value, str) else []
        if found:
            raise ValidationError(found)
        return value
