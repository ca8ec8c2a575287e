"""schemathesis over /openapi.json: whatever it sends, the gateway never answers 5xx."""

import subprocess
import sys
from pathlib import Path

import pytest

from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("role", ["coordinator", "organisation"])
def test_no_input_makes_the_gateway_fail(stack, role, tmp_path):
    token = issue_token(
        stack.secret, role, org="org_0123456789abcdef" if role != "coordinator" else None
    )
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{stack.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "6",
            "--workers",
            "1",
            "--phases",
            "examples,fuzzing",
            "--header",
            f"Authorization: Bearer {token}",
            "--exclude-path",
            "/api/questionnaire",  # rate-limited per address on purpose
            "--request-timeout",
            "20",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
