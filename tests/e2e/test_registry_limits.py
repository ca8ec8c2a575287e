"""The public questionnaire is capped per address and by size."""

import pytest
import requests

pytestmark = pytest.mark.integration


def test_the_questionnaire_is_rate_limited_and_size_capped(own_stack):
    running = own_stack()
    url = f"{running.url}/api/questionnaire"
    huge = requests.post(
        url, json={"name": "x", "email": "a@example.org", "description": "ā" * 70_000}
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
    answers = [
        requests.post(url, json={"name": f"Biedrība nr. {n}", "email": f"b{n}@example.org"})
        for n in range(21)
    ]
    assert [a.status_code for a in answers[:20]] == [202] * 20
    assert answers[20].status_code == 429
    assert answers[20].json()["error"]["code"] == "too_many_requests"
