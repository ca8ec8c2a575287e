"""Large walls of offers written straight into matching's database, as if matching had
stored them from events over months (sending 100k events would take the bench an hour)."""

import random
import uuid

from matching.storage import with_open_ends
from tilts_contracts.taxonomy import DOMAINS, REGIONS

LANGS = ["lv", "ru", "en", "uk", "ar"]
ORGS = 500


def org_id(i: int) -> str:
    return f"org_{i % ORGS:012x}"


def offers(n: int, rng: random.Random) -> list[dict]:
    """`n` active offers of ORGS verified organisations, any working group and region."""
    docs = []
    for i in range(n):
        doc = {"_id": f"off_{i:012x}{uuid.uuid4().hex[:8]}", "organisation_id": org_id(i)}
        doc.update(domain=rng.choice(list(DOMAINS)), status="active", org_status="verified")
        doc.update(title=f"Wall offer {i}", public=True)
        doc.update(regions=[rng.choice(list(REGIONS) + ["nationwide"])])
        doc.update(languages=rng.sample(LANGS, 2), capacity=50, remaining=rng.randint(1, 50))
        docs.append(with_open_ends({**doc, "_version": 1}))
    return docs


def organisations() -> list[dict]:
    """matching's copies of the ORGS organisations (what organisation_verified leaves)."""
    return [
        {
            "_id": org_id(i),
            "name": f"Bench org {i}",
            "email": f"o{i}@example.org",
            "preferred_language": "lv",
            "status": "verified",
            "revision": 2,
        }
        for i in range(ORGS)
    ]


def fill(db, size: int, seed: int = 1) -> None:
    """`size` offers and their organisations into matching database `db`; a starting
    matching worker builds the offers' candidate slots, as after an upgrade."""
    db.organisations.insert_many(organisations())
    docs = offers(size, random.Random(seed))
    for start in range(0, size, 5000):
        db.offers.insert_many(docs[start : start + 5000])
