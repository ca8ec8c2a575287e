"""Who changed a need or an offer, in a running pledges service over RabbitMQ and
NX-27017: the account the gateway names, kept with ids and field names only."""

import pytest
from nameko.testing.services import entrypoint_hook

from pledges.service import PledgesService

pytestmark = pytest.mark.integration

NEED = {"domain": "social", "title": "Gultas ģimenei", "region": "riga", "quantity": 2}


@pytest.fixture
def pledges(container_factory, service_config):
    container = container_factory(PledgesService, service_config)
    container.start()
    return container


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as hook:
        return hook(*args, **kwargs)


def test_the_audit_log_names_who_posted_edited_and_cancelled_a_need(pledges):
    need = call(pledges, "post_need", NEED, None, "lead@example.lv", by="staff:stf_1")
    call(pledges, "update_need", need["id"], {"quantity": 3}, by="staff:stf_2")
    call(pledges, "cancel_need", need["id"], by="staff:stf_1")
    log = call(pledges, "audit_log", None, need["id"], None, 10)
    assert [(e["by"], e["action"], e["summary"]) for e in log] == [
        ("staff:stf_1", "need_cancelled", ""),
        ("staff:stf_2", "need_updated", "quantity"),
        ("staff:stf_1", "need_posted", ""),
    ]
    assert "Gultas" not in str(log)  # ids and field names, no free text
    mine = call(pledges, "audit_log", "staff:stf_2", None, None, 10)
    assert [e["action"] for e in mine] == ["need_updated"]
