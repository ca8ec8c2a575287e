"""PledgeStore over a real NX-27017: which offers each public view is built from."""

import pytest
from pymongo import MongoClient

from pledges import rules
from pledges.storage import PledgeStore
from tilts_contracts.clock import utcnow
from tilts_contracts.settings import database_name

pytestmark = pytest.mark.integration


@pytest.fixture
def store(mongo_uri):
    with MongoClient(mongo_uri) as client:
        store = PledgeStore(client[database_name("pledges")])
        store.ensure_indexes()
        yield store


def test_an_erased_organisations_offers_leave_the_wall_and_free_capacity_not_the_record(store):
    def pledge(offer_id, org_id):
        data = {"organisation_id": org_id, "domain": "social", "title": "t", "capacity": 2}
        offer = rules.pledge_offer(
            {**data, "regions": ["riga"], "public": True}, offer_id, utcnow()
        )
        store.db.offers.insert_one(offer)
        return offer

    pledge("off_kept", "org_here")
    gone = pledge("off_gone", "org_erased")
    store.db.offers.replace_one({"_id": "off_gone"}, rules.forget_offer_text(gone, utcnow()))
    assert [o["_id"] for o in store.public_offers("riga", with_erased=False)] == ["off_kept"]
    assert [o["_id"] for o in store.live_offers()] == ["off_kept"]  # the dashboard's capacity
    record = store.public_offers(None, with_erased=True)  # the commitment document
    assert [o["_id"] for o in record] == ["off_gone", "off_kept"]
