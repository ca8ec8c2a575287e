"""An SMTP server (aiosmtpd) that misbehaves as slow or broken mail servers do: it
stalls at each step of its first sessions, answers RCPT, DATA or QUIT as it is told.
It may also speak TLS (STARTTLS or implicit, with the certificate it is given) and take
logins, writing each login it gets to `auth.log`, so a test sees whether one came.
Run in its own process, as the sink is (the tests' eventlet must not run its loop)."""

import argparse
import asyncio
import signal
import ssl
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "deploy" / "local"))
from smtp_sink import MaildirHandler  # noqa: E402


class FaultyHandler(MaildirHandler):
    def __init__(
        self, directory: Path, stall: float, stalled: int, rcpt: str, data: str, quit: str
    ):
        super().__init__(directory)
        self.stall, self.stalled = stall, stalled
        self.rcpt, self.data, self.quit = rcpt, data, quit
        self.sessions = 0

    async def _wait(self, session) -> None:
        if getattr(session, "number", 0) <= self.stalled:
            await asyncio.sleep(self.stall)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.number = self.sessions
        session.host_name = hostname  # what the hook must do in aiosmtpd's place
        await self._wait(session)
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await self._wait(session)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._wait(session)
        if self.rcpt:  # "{address}" stands for the recipient, as servers quote it
            return self.rcpt.replace("{address}", address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await self._wait(session)
        if self.data:
            return self.data
        return await super().handle_DATA(server, session, envelope)

    async def handle_QUIT(self, server, session, envelope):
        return self.quit or "221 Bye"


def authenticator(directory: Path):
    """Accept any login, noting who logged in and whether the connection was encrypted."""

    def check(server, session, envelope, mechanism, auth_data):
        how = "tls" if server.transport.get_extra_info("ssl_object") else "plaintext"
        with open(directory / "auth.log", "a") as log:
            log.write(f"{mechanism} {auth_data.login.decode()} {how}\n")
        return AuthResult(success=True)

    return check


def security(args) -> dict:
    """The Controller's arguments for `--tls` (none, starttls, implicit) and `--auth`."""
    options: dict = {}
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        else:
            options.update(ssl_context=context)
    if args.auth:  # offered over plaintext too: the client must refuse to use it there
        options.update(authenticator=authenticator(Path(args.dir)), auth_require_tls=False)
    return options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--stall", type=float, default=0, help="seconds at each step")
    parser.add_argument("--stalled", type=int, default=0, help="how many first sessions")
    parser.add_argument("--rcpt", default="", help="the answer to RCPT instead of 250")
    parser.add_argument("--data", default="", help="the answer to DATA instead of 250")
    parser.add_argument("--quit", default="", help="the answer to QUIT instead of 221")
    parser.add_argument("--tls", choices=("none", "starttls", "implicit"), default="none")
    parser.add_argument("--cert", help="PEM certificate for --tls")
    parser.add_argument("--key", help="PEM private key for --tls")
    parser.add_argument("--auth", action="store_true", help="offer AUTH, any login passes")
    args = parser.parse_args()
    handler = FaultyHandler(
        Path(args.dir), args.stall, args.stalled, args.rcpt, args.data, args.quit
    )
    controller = Controller(handler, hostname="127.0.0.1", port=args.port, **security(args))
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
