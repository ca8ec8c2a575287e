"""What the /org forms send, as the services take it, and refusals beside fields."""

import re

from werkzeug.datastructures import MultiDict

from gateway.web import org_data, org_forms, org_offers
from gateway.web.org_words import ORG
from gateway.web.pages import environment
from tilts_contracts import taxonomy
from tilts_contracts.errors import Conflict, Invalid


def test_a_profile_form_is_a_whole_patch_with_typed_languages_added():
    form = MultiDict(
        [
            ("name", " Drošā māja "),
            ("email", "info@x.lv"),
            ("website", ""),
            ("regions", "riga"),
            ("regions", "latgale"),
            ("languages", "lv"),
            ("other_languages", "DE; pl, lv"),
        ]
    )
    changes = org_forms.profile_changes(form)
    assert changes["name"] == "Drošā māja" and changes["website"] is None
    assert changes["domains"] == [] and changes["regions"] == ["riga", "latgale"]
    assert changes["languages"] == ["lv", "de", "pl"]


def test_the_profile_form_shows_what_waits_for_review_and_other_languages_as_codes():
    org = {"name": "Vecais", "email": "a@x.lv", "languages": ["lv", "iu"]}
    typed = org_forms.profile_typed({**org, "pending_changes": {"name": "Jaunais"}})
    assert typed["name"] == "Jaunais" and typed["other_languages"] == "iu"


def test_an_offer_form_keeps_a_number_typed_wrong_for_the_schema_to_name():
    form = MultiDict([("title", "Zupa"), ("capacity", "trīs"), ("regions", "riga")])
    offer = org_forms.offer_fields(form, "org_1")
    assert offer["capacity"] == "trīs" and offer["organisation_id"] == "org_1"
    assert offer["public"] is False and offer["available_from"] is None
    assert org_forms.offer_fields(MultiDict([("capacity", "12")]), "org_1")["capacity"] == 12


def test_every_refusal_lands_beside_a_field_of_the_form():
    exc = Invalid("bad", {"capacity": ["too small"], "organisation_id": ["erased"]})
    errors = org_forms.field_errors(exc, ORG["en"], ("title", "capacity"))
    assert errors["capacity"] == ["Check this field: too small"]
    assert errors["title"] == ["Check this field: erased"]  # not a field here: the first


def test_a_new_offers_id_follows_from_its_form_its_words_and_its_organisation():
    soup, bread = {"title": "Zupa"}, {"title": "Maize"}
    assert org_offers.creation_id("org_1", "n", soup) == org_offers.creation_id("org_1", "n", soup)
    assert org_offers.creation_id("org_1", "n", soup) != org_offers.creation_id("org_2", "n", soup)
    # the same form sent again with other words (after going back) is another offer
    assert org_offers.creation_id("org_1", "n", soup) != org_offers.creation_id("org_1", "n", bread)


def test_erasure_asks_for_the_name_spacing_and_case_aside():
    assert org_data.same_name("  drošā   MĀJA ", "Drošā māja")
    assert not org_data.same_name("Droša maja", "Drošā māja")
    assert not org_data.same_name("", "Drošā māja")


def test_a_duplicate_does_not_tell_which_organisation_holds_the_name():
    # the registry's Conflict names the holder for staff; a contact sees only "taken"
    exc = Conflict("taken", {"existing_id": "org_other", "name": ["already registered"]})
    errors = org_forms.field_errors(exc, ORG["en"], ("name", "email"))
    assert "org_other" not in str(errors)
    assert errors == {"name": ["Check this field: already registered"]}


def test_every_button_of_an_offer_names_the_offer_for_a_screen_reader():
    # a list of offers each with "Pause" and "Withdraw" buttons reads as one name each
    card = environment().get_template("org/_offer_card.html")
    offer = {
        "id": "off_1",
        "title": "Zupas virtuve",
        "status": "active",
        "domain": "social",
        "capacity": 3,
        "remaining": 3,
        "unit": "",
        "regions": ["riga"],
    }
    words = {"o": ORG["en"], "lang": "en", "csrf": "c", "taxonomy": taxonomy}
    refused = {"id": "off_1", "action": "withdraw", "details": {"reserved": ["2 held"]}}
    for shown in (offer, {**offer, "status": "paused"}):
        html = card.render(offer=shown, refused=refused, **words)
        buttons = re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)
        assert len(buttons) == 3 and all("Zupas virtuve" in b for b in buttons), buttons
