"""A first deployment starts every service at once, so registry and pledges may publish
before matching and notify have ever run; RabbitMQ drops what no queue is bound for.
The producers declare their consumers' queues, so nothing is lost."""

import pytest
import requests

pytestmark = pytest.mark.integration


def test_a_need_posted_before_matching_and_notify_first_ran_is_matched_and_mailed(
    own_stack, needs_flow, wait_until
):
    running = own_stack(services=("registry", "pledges"))  # a broker that never saw the rest
    running.start_service("gateway")

    def live():
        try:
            return requests.get(f"{running.url}/health/live", timeout=2).status_code
        except requests.RequestException:
            return None

    assert wait_until(live, lambda status: status == 200, timeout=60) == 200
    flow = needs_flow(running, "first-start@example.org")  # registered, verified, an offer
    need = flow.post_need(1)

    running.start_service("matching")
    running.start_service("notify")
    running.wait_healthy(60)
    matches = wait_until(flow.proposals, lambda ms: len(ms) == 1, timeout=60)
    assert [(m["need_id"], m["status"]) for m in matches] == [(need["id"], "proposed")]
    running.mail.wait_for(flow.email, count=1, subject="Lūgums palīdzēt", timeout=60)
