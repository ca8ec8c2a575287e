"""The privacy guard: what it finds (each rule in Latvian, English, Russian and
Ukrainian text), what it lets through, and that it reads any text in linear time."""

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tilts_contracts import privacy
from tilts_contracts.errors import Invalid
from tilts_contracts.schemas.common import load
from tilts_contracts.schemas.needs import NeedIn
from tilts_contracts.schemas.offers import OfferEdit, OfferIn
from tilts_contracts.schemas.organisations import OrganisationIn

# (text, the kind the guard must find)
FOUND = [
    # -- email addresses ------------------------------------------------------------
    ("rakstiet anna.berzina@example.lv", "email"),
    ("Rakstiet: anna.berzina at gmail dot com", "email"),
    ("janis et inbox punkts lv", "email"),
    ("janis at inbox dot lv", "email"),
    ("jan @ x.lv", "email"),
    ("write to jan.smith@mail.example.com", "email"),
    ("janis [at] inbox.lv", "email"),
    ("janis(at)inbox.lv", "email"),
    ("JANIS (AT) INBOX (DOT) LV", "email"),
    ("пишите ivan.petrov@mail.ru", "email"),
    ("пишите: ivan собака mail точка ru", "email"),
    ("пишіть olena(at)ukr.net", "email"),
    ("пишіть olena равлик ukr крапка net", "email"),
    # -- links to personal profiles -------------------------------------------------
    ("viņa profils facebook.com/janis.berzins", "profile"),
    ("see https://www.instagram.com/jan.smith", "profile"),
    ("follow x.com/jansmith or twitter.com/jansmith", "profile"),
    ("пишите в t.me/ivan_petrov", "profile"),
    ("сторінка vk.com/id12345", "profile"),
    ("Telegram: @olena_k", "profile"),
    # -- Latvian personal codes -----------------------------------------------------
    ("personas kods 120385-12345", "personal_code"),
    ("p.k. 12038512345", "personal_code"),
    ("jaunais kods 321234-56789", "personal_code"),
    ("p.k. 120385 12345", "personal_code"),  # a space in a personal code
    ("p.k. 120385–12345", "personal_code"),  # an en dash, as Word and Docs paste it
    ("p.k. 010190 - 12345", "personal_code"),  # spaces around the dash
    ("320123 – 45678", "personal_code"),
    ("p.k. 010190 -12345", "personal_code"),
    ("personal code 120385-12345", "personal_code"),
    ("персональный код 120385-12345", "personal_code"),
    ("персональний код 32123456789", "personal_code"),
    # -- dates of birth next to a birth word ----------------------------------------
    ("dz. 12.03.1990", "birth_date"),
    ("Zēns, dzimis 2019. gadā", "birth_date"),
    ("dzimšanas datums: 1990-03-12", "birth_date"),
    ("born on 12 March 1990", "birth_date"),
    ("DOB: 12/03/1990", "birth_date"),
    ("born March 12, 1990", "birth_date"),
    ("Иван, д.р. 12.03.1990", "birth_date"),
    ("мальчик 2019 г.р.", "birth_date"),
    ("дата рождения 12.03.1990", "birth_date"),
    ("Олена, народилася 12 березня 1990", "birth_date"),
    ("д.н. 12.03.1990", "birth_date"),
    # -- passports and ID cards -------------------------------------------------------
    ("pase LV1234567", "document"),
    ("ID karte PA1234567", "document"),
    ("mātes pases Nr. 123456789", "document"),
    ("passport no. 123456789", "document"),
    ("passport FA123456", "document"),
    ("паспорт серии 45 06 номер 123456", "document"),
    ("паспорт КВ 123456", "document"),
    ("ID-картка 001234567", "document"),
    ("LV1234567", "document"),  # the shape alone
    ("МЕ 123456", "document"),
    # -- street addresses --------------------------------------------------------------
    ("Brīvības iela 12-5", "address"),
    ("dzīvo Brīvības ielā 12, dz. 5", "address"),
    ("Brīvības iela 214-12, LV-1050", "address"),
    ("Maskavas prospekts 3", "address"),
    ("atnāciet uz Brīvības ielu 12", "address"),
    ("lives at 12 Baker Street", "address"),
    ("Baker Street 221b", "address"),
    ("живёт: ул. Ленина 5, кв. 3", "address"),
    ("улица Гоголя, д. 7", "address"),
    ("вул. Т. Шевченка, 12", "address"),
    ("вулиця Хрещатик 22", "address"),
    # -- phone numbers: Latvian, Ukrainian and international ---------------------
    ("Zvanīt uz +371 29 123 456", "phone"),
    ("tālr. 29123456", "phone"),
    ("mob. 2912-3456", "phone"),
    ("fiksētais 67 123 456", "phone"),
    ("WhatsApp +44 7700 900123", "phone"),
    ("call 00 49 30 1234567", "phone"),
    ("tel. 2612-34-56", "phone"),  # 4-2-2 looked like a date
    ("+371 2612-34-56", "phone"),
    ("mob. 26.12.34.56", "phone"),  # so did a dotted number
    ("zvaniet 29.123.456", "phone"),
    ("mob: 2 612 3456", "phone"),
    ("tel. 2025 1234", "phone"),  # year-shaped, but said to be a phone
    ("tālrunis: 6712 3456", "phone"),
    ("zvaniet 2025-1234", "phone"),
    ("tel. 20261201", "phone"),  # date-shaped, but said to be a phone
    ("+371 20261201", "phone"),
    ("Summa 26 500 000, zvanīt 29123456", "phone"),  # the amount goes, the phone stays
    ("(+371) 29 123 456", "phone"),
    ("+37126123456", "phone"),
    ("00371 29123456", "phone"),
    ("call me on +1 (202) 555-0143", "phone"),
    ("звоните 29 123 456", "phone"),
    ("тел. 8 (912) 345-67-89", "phone"),
    ("телефон +380 67 123 4567", "phone"),
    ("дзвоніть (067) 123-45-67", "phone"),
    ("моб. 067.123.45.67", "phone"),
    ("0501234567", "phone"),
    ("2612-34-56", "phone"),  # no month 34: no date, so a phone
    ("26.12.34.56", "phone"),
    # said of the field alone, as a case_ref is
    ("32123456789", "personal_code"),
    ("120385–12345", "personal_code"),
]

# text the guard must let through: situations, amounts, years, ranges, ordinary dates
PASSES = [
    "RIX-2025-0017",  # a year and a sequence number
    "RIX 2025 0017",
    "2025-0017",
    "Lieta 2024/0017",
    "RIX-17",
    "mācību gads 2025-2026",
    "mācību gads 2025–2026",
    "2025./2026. mācību gads",
    "Kopā 26 000 000 EUR",
    "Kopā 1 000 000 000 EUR",
    "1 200 000 €",
    "no 2026-12-01 līdz 2026-12-24",
    "01.12.2026.–24.12.2026.",
    "mobilitātes programma 2025 2026",
    "Telpa 2025-2026",
    "ISBN 978-9934-0-1234-5",
    "Kontakts caur koordinatori (at the office)",
    "Amount 26 500 000",
    "Budžets: EUR 2 650 000 gadā",
    "summa € 26 500 000,00",
    "20261201",  # a compact date
    "no 20261201 līdz 20261224",
    "Meet at the office, look at the dot com era",
    "Gatavi dot padomu at any time, punkts 3",
    "LV-1050, zvanīt 112",  # a postal code and the emergency number
    "līdz 2026-12-24 vai 24.12.2026",
    "3 ģimenes, 2 bērni, vajadzīgas 4 gultas",
    "Vajadzīgs līdz 2026-12-24, apmēram 120 stundas",
    "Tikšanās 24.11.2026 plkst. 10:00, telpa 214",
    "Ģimenei no Sīrijas vajag tulku (arābu valoda) 2 reizes nedēļā",
    "Budžets 2500 EUR, 15 konsultācijas",
    "Biedrība Rīgas iela",  # a street in an organisation's name, no house number
    "Rīgas ielā pie veikala",
    "Sarunu vakari Brīvības ielas bibliotēkā",
    "Family of 4 needs winter clothes by 1 December 2026",
    "Budget $ 12 500 for 2026, 20-30 people",
    "$" * 60,
    "street food for 50 people",
    "A newborn needs a cot, born 3 weeks ago",
    "Passport photos for 12 people",
    "Семья из 4 человек, с 01.12.2026 по 24.12.2026",
    "Сім'я з 3 осіб, 2025-2026 навчальний рік, бюджет 26 000 000 грн",
    "паспорт готов через 2 недели",
    "pase derīga līdz 2026-12-01",
    "dz. 5",  # a flat, not a birth
    "Follow our page on Facebook",
    "instagram.com",
    "Sazināties caur koordinatori, 2 reizes nedēļā 10:00-12:00",
    "+2 000 000 EUR budžetā",
    "reģ. nr. 40008012345",  # an organisation's registration number
    "Bērnu un pusaudžu uzticības līnija 116 111",  # a helpline, no street
]


@pytest.mark.parametrize("text, kind", FOUND)
def test_the_guard_finds_each_kind_of_personal_data(text, kind):
    assert kind in privacy.findings(text)


@pytest.mark.parametrize("text", PASSES)
def test_the_guard_lets_situations_amounts_years_and_dates_through(text):
    assert privacy.findings(text) == []


def test_an_address_is_an_address_and_its_numbers_no_phone():
    # it passed before addresses were refused: the numbers in it read as no phone
    assert privacy.findings("Brīvības iela 214-12, LV-1050, zvanīt 112") == ["address"]


@pytest.mark.parametrize(
    "paste",
    ["a" * 50_000, "a." * 25_000, "2" * 50_000, "2-" * 25_000, "26.12." * 8_000, "$" * 50_000],
)
def test_the_guard_reads_a_long_paste_at_once(paste):
    """A 50 KB paste with no spaces (base64, a long link) once held the pledges service
    for minutes, and 5,000 dollar signs for seconds. The bound detects a hang; it is ten
    times what the guard takes on a slow machine, not a timing."""
    began = time.monotonic()
    privacy.findings(paste)
    assert time.monotonic() - began < 1


def test_the_table_is_large_and_covers_every_rule():
    assert len(FOUND) + len(PASSES) >= 60
    assert {kind for _, kind in FOUND} == set(privacy.KINDS)


def test_the_answer_names_the_kind_and_never_the_text():
    said = privacy.problems("Jānis, Brīvības iela 12-5, tel. 29123456")
    assert said == [
        "looks like a phone number; describe the situation, not the person",
        "looks like a street address; describe the situation, not the person",
    ]
    assert not any("12-5" in line or "29123456" in line for line in said)


def test_only_the_longest_field_is_read():
    assert privacy.findings("x" * privacy.LONGEST + " tel. 29123456") == []
    assert privacy.findings("x" * (privacy.LONGEST - 20) + " tel. 29123456") == ["phone"]


def _repeats(node) -> list[tuple[int, int]]:
    """Every (min, max) repetition in a parsed regular expression, nested ones too."""
    found = []
    for op, arg in node:
        if op in (re._parser.MAX_REPEAT, re._parser.MIN_REPEAT, re._parser.POSSESSIVE_REPEAT):
            found.append((arg[0], arg[1]))
            found += _repeats(arg[2])
        elif op == re._parser.SUBPATTERN:
            found += _repeats(arg[-1])
        elif op == re._parser.ATOMIC_GROUP:
            found += _repeats(arg)
        elif op == re._parser.BRANCH:
            for branch in arg[1]:
                found += _repeats(branch)
        elif op in (re._parser.ASSERT, re._parser.ASSERT_NOT):
            found += _repeats(arg[1])
    return found


@pytest.mark.parametrize("pattern", privacy.PATTERNS, ids=lambda p: p.pattern[:30])
def test_every_pattern_reads_a_bounded_window(pattern):
    """Linear by construction: no repetition without an upper bound, so from each position
    a search reads at most a fixed number of characters."""
    bounds = _repeats(re._parser.parse(pattern.pattern, pattern.flags))
    assert bounds and all(high != re._constants.MAXREPEAT and high <= 64 for _, high in bounds)


MiB = 1 << 20
# pieces the patterns care about: what an attacker would repeat to make them work hard
PIECES = [
    "$", "€", " ", "2", "6", "0", "1", "9", "-", "–", ".", ",", ":", "@", "+", "(", ")",
    "[", "]", "/", "a", "ā", "Ж", "\n", "at ", "dot ", "iela ", "вул. ", "dz. ", "born ",
    "д.р. ", "pase ", "tel. ", "371", "1990", "12.03.", "summa ", "EUR", "x.com/", "LV",
]  # fmt: skip


@st.composite
def adversarial(draw) -> str:
    """A pattern-shaped unit repeated up to the 1 MiB body cap, after a little noise."""
    unit = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8)))
    # as often within the longest field (what the guard reads) as up to the cap
    size = draw(st.integers(1, privacy.LONGEST) | st.integers(1, MiB))
    head = draw(st.text(max_size=20))
    return (head + unit * (size // len(unit) + 1))[:size]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # fmt: skip
@given(adversarial())
def test_no_input_up_to_the_body_cap_takes_the_guard_100_ms(text):
    began = time.perf_counter()
    privacy.findings(text)
    assert time.perf_counter() - began < 0.1


# -- where the guard stands: every free-text field of needs, offers and organisations ---
NEED = {"domain": "health", "title": "Ārsts bērnam", "region": "riga", "quantity": 1}
OFFER = {
    "organisation_id": "org_0123456789abcdef",
    "domain": "health",
    "title": "Ārsta konsultācijas",
    "capacity": 2,
    "regions": ["riga"],
}
ORGANISATION = {"name": "Biedrība Rīgas iela", "email": "info@example.org"}
GUARDED = [
    (NeedIn, NEED, "title"),
    (NeedIn, NEED, "description"),
    (NeedIn, NEED, "case_ref"),
    (OfferIn, OFFER, "title"),
    (OfferIn, OFFER, "description"),
    (OfferIn, OFFER, "unit"),
    (OfferEdit, {k: v for k, v in OFFER.items() if k != "organisation_id"}, "unit"),
    (OrganisationIn, ORGANISATION, "description"),
]


@pytest.mark.parametrize("schema, body, field", GUARDED)
def test_each_free_text_field_is_guarded_naming_the_field_and_the_kind(schema, body, field):
    with pytest.raises(Invalid) as refused:
        load(schema(), {**body, field: "Brīvības iela 12-5"})
    [said] = refused.value.details[field]
    assert set(refused.value.details) == {field} and said.startswith("looks like a street address")
    assert "12-5" not in repr(refused.value.details) + refused.value.message


def test_an_organisation_keeps_rigas_iela_in_its_name_and_is_told_where_contacts_go():
    assert load(OrganisationIn(), ORGANISATION)["name"] == "Biedrība Rīgas iela"
    with pytest.raises(Invalid) as refused:
        load(OrganisationIn(), {**ORGANISATION, "description": "Zvaniet: 67 123 456"})
    [said] = refused.value.details["description"]
    assert said.startswith("looks like a phone number") and "email, phone and website" in said


def test_text_over_its_length_is_refused_for_length_alone():
    with pytest.raises(Invalid) as refused:
        load(NeedIn(), {**NEED, "description": "tel. 29123456 " + "ā" * 5000})
    assert refused.value.details == {"description": ["Longer than maximum length 5000."]}


FIELD_SIZES = st.sampled_from([("description", NeedIn, NEED), ("title", OfferIn, OFFER)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FIELD_SIZES, adversarial())
def test_no_body_up_to_the_cap_takes_loading_100_ms(target, text):
    """What a service does with a request: the schema, its length check and the guard."""
    field, schema, body = target
    began = time.perf_counter()
    try:
        load(schema(), {**body, field: text})
    except Invalid:
        pass
    assert time.perf_counter() - began < 0.1
