"""The postman's settings: how the SMTP session is secured, from the environment."""

import pytest

from notify.config import PostmanConfig
from notify.delivery import tls_context
from tilts_contracts import settings


def smtp(**env: str):
    return PostmanConfig.from_config(settings.from_env(env)).smtp


def test_plain_smtp_is_the_local_default_and_is_not_encrypted():
    local = smtp()
    assert (local.host, local.port, local.encrypted) == ("localhost", 1025, False)


def test_port_465_or_smtp_tls_means_implicit_tls_and_starttls_also_encrypts():
    assert smtp(SMTP_PORT="465").implicit_tls
    assert smtp(SMTP_PORT="2465", SMTP_TLS="true").implicit_tls
    assert not smtp(SMTP_PORT="587", SMTP_STARTTLS="true").implicit_tls
    assert smtp(SMTP_PORT="587", SMTP_STARTTLS="true").encrypted


def test_the_tls_context_checks_certificates_and_host_names():
    context = tls_context()
    assert context.check_hostname and context.verify_mode.name == "CERT_REQUIRED"


def test_an_unreadable_ca_file_stops_the_service_saying_which_setting():
    with pytest.raises(SystemExit, match="SMTP_CA_FILE '/nonexistent/ca.pem' cannot be read"):
        tls_context("/nonexistent/ca.pem")
