"""The directory as Open Referral HSDS 3.0 JSON: organizations and their services."""

import uuid

from tilts_contracts import lifecycles, taxonomy

from .reachable import listed, unnamed

# HSDS ids are UUIDs: each is derived from the Tilts id (and what it names), so the same
# organisation or offer keeps the same id from one export to the next
TILTS_NS = uuid.UUID("6f1c2a9e-1d0b-5b7a-9c1e-7469c174732e")
TAXONOMIES = {
    "domain": ("tilts-domains", taxonomy.DOMAINS, "Tilts working group (domain)"),
    "region": ("tilts-regions", taxonomy.OFFER_REGIONS, "Region of Latvia where help is given"),
    "language": ("ISO 639-1", taxonomy.LANGUAGE_NAMES, "Language spoken"),
}


def hsds_id(*parts: str) -> str:
    """The UUID that stands for a Tilts object (or part of one) in HSDS."""
    return str(uuid.uuid5(TILTS_NS, ":".join(parts)))


def _present(obj: dict) -> dict:
    """HSDS types optional fields as strings: an unknown value is left out, not null."""
    return {k: v for k, v in obj.items() if v is not None and v != ""}


def _attribute(link_id: str, link_entity: str, kind: str, code: str) -> dict:
    name, table, description = TAXONOMIES[kind]
    term = hsds_id("term", kind, code)
    return {
        "id": hsds_id("attribute", link_entity, link_id, kind, code),
        "link_id": link_id,
        "link_type": kind,
        "link_entity": link_entity,
        "taxonomy_term_id": term,
        "value": taxonomy.name(table, code, "en"),
        "taxonomy_term": {
            "id": term,
            "code": code,
            "name": taxonomy.name(table, code, "en"),
            "description": description,
            "taxonomy": name,
        },
    }


def _service(offer: dict, org_uuid: str, org_verified: bool) -> dict:
    service_id = hsds_id("offer", offer["id"])
    live = org_verified and offer["status"] in lifecycles.STANDING_OFFER
    return _present(
        {
            "id": service_id,
            "organization_id": org_uuid,
            "name": offer["title"],
            "description": offer.get("description"),
            "status": "active" if live else "inactive",
            "service_areas": [
                _present(
                    {
                        "id": hsds_id("offer", offer["id"], "region", region),
                        "service_id": service_id,
                        "name": taxonomy.name(taxonomy.OFFER_REGIONS, region, "en"),
                        "extent_type": "text",
                        "extent": taxonomy.name(taxonomy.OFFER_REGIONS, region, "en") + ", Latvia",
                        "description": f"tilts:region:{region}",
                    }
                )
                for region in offer.get("regions") or []
            ],
            "languages": [
                {
                    "id": hsds_id("offer", offer["id"], "language", code),
                    "service_id": service_id,
                    "name": taxonomy.name(taxonomy.LANGUAGE_NAMES, code, "en"),
                    "code": code,
                }
                for code in offer.get("languages") or []
            ],
            "attributes": [_attribute(service_id, "service", "domain", offer["domain"])],
        }
    )


def _phones(org: dict, org_uuid: str) -> list[dict]:
    if not org.get("phone"):
        return []
    return [
        {"id": hsds_id("phone", org["id"]), "organization_id": org_uuid, "number": org["phone"]}
    ]


def _organization(org: dict, offers: list[dict]) -> dict:
    """One organisation as an HSDS organization, with its offers as services."""
    org_uuid = hsds_id("organisation", org["id"])
    verified = org.get("status") == "verified"
    kinds = (("domain", "domains"), ("region", "regions"), ("language", "languages"))
    return _present(
        {
            "id": org_uuid,
            "name": org["name"],
            "description": org.get("description") or org["name"],
            "email": org.get("email"),
            "website": org.get("website"),
            "phones": _phones(org, org_uuid),
            "organization_identifiers": [
                {
                    "id": hsds_id("identifier", org["id"]),
                    "organization_id": org_uuid,
                    "identifier_scheme": "tilts",
                    "identifier_type": "Tilts organisation id",
                    "identifier": org["id"],
                }
            ],
            "attributes": [
                _attribute(org_uuid, "organization", kind, code)
                for kind, key in kinds
                for code in org.get(key) or []
            ],
            "services": [_service(offer, org_uuid, verified) for offer in offers],
        }
    )


def hsds(
    organisations: list[dict],
    offers: list[dict],
    include_unverified: bool = False,
    include_private: bool = False,
) -> dict:
    """Open Referral HSDS 3.0: organizations, each with its services (our offers),
    their service areas and languages.

    A directory for anyone to read: by default only verified organisations and their
    public offers; an erased organisation (no one can reach it) is left out. An offer
    of an organisation that is not verified is an inactive service.
    """
    by_org: dict[str, list[dict]] = {}
    for offer in offers:
        if include_private or offer.get("public", True):
            by_org.setdefault(offer["organisation_id"], []).append(offer)
    return {
        "organizations": [
            _organization(org, by_org.get(org["id"], []))
            for org in map(unnamed, listed(organisations))
            if include_unverified or org.get("status") == "verified"
        ]
    }
