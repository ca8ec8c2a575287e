"""Which organisations a directory export lists."""

from tilts_contracts import taxonomy


def listed(organisations: list[dict]) -> list[dict]:
    """The organisations a directory export lists: an erased one (no address left, so no
    one can reach it) is left out."""
    return [org for org in organisations if org.get("email")]


def unnamed(org: dict) -> dict:
    """An organisation as the public exports show it: a private person (kind
    individual) by no name, description or contact, only as "a private person"."""
    if org.get("kind") != taxonomy.INDIVIDUAL:
        return org
    hidden = dict.fromkeys(("email", "phone", "website"))
    return {**org, **hidden, "name": taxonomy.PRIVATE_PERSON["en"], "description": None}
