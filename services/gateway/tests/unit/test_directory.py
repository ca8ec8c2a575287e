"""CSV reading and the HSDS/HXL shapes, without a stack."""

import json
from pathlib import Path

import jsonschema
import pytest

from gateway import directory
from tilts_contracts.errors import Invalid

SCHEMA = json.loads(
    (Path(directory.__file__).parent / "schemas/hsds-3.0-organizations.schema.json").read_text()
)


def test_rows_are_read_with_lists_and_a_bom():
    rows = directory.read_csv("\ufeffName,Email,Domains\nA,a@x.org,legal; social\n\n")
    assert rows == [{"name": "A", "email": "a@x.org", "domains": ["legal", "social"]}]


def test_a_bad_header_is_refused_whole():
    with pytest.raises(Invalid) as caught:
        directory.read_csv("name,telefax\nA,1\n")
    assert "_header" in caught.value.details


def test_a_short_line_is_reported_not_fatal():
    rows = directory.read_csv('name,email\nA,a@x.org\n"B"\nC,c@x.org\n')
    assert rows[0]["name"] == "A" and "_error" in rows[1] and rows[2]["name"] == "C"


def test_hsds_output_validates_and_an_invalid_one_does_not():
    orgs = [
        {
            "id": "org_1",
            "name": "Drošā māja",
            "email": "a@x.org",
            "website": None,
            "status": "verified",
            "domains": ["social"],
            "regions": ["riga"],
        }
    ]
    offers = [
        {
            "id": "off_1",
            "organisation_id": "org_1",
            "title": "Konsultācijas",
            "status": "active",
            "domain": "social",
            "regions": ["riga"],
            "languages": ["lv"],
        }
    ]
    document = directory.hsds(orgs, offers)
    jsonschema.validate(document, SCHEMA)
    document["organizations"][0]["services"][0]["status"] = "open-ish"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_hxl_has_the_hashtag_row():
    text = directory.hxl(
        [
            {
                "name": "A",
                "email": "a@x.org",
                "status": "verified",
                "domains": ["health"],
                "regions": ["riga", "latgale"],
            }
        ]
    )
    lines = text.splitlines()
    assert lines[1] == "#org,#sector,#adm1,#contact+email,#status"
    assert lines[2:] == ["A,health,riga,a@x.org,verified", "A,health,latgale,a@x.org,verified"]
