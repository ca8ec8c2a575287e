"""An SMTP server that keeps what it accepts, as the sink does, and refuses every
recipient while a file named `refuse` lies in its directory, quoting the address as
real servers do ("550 5.1.1 <anna@example.lv>: Recipient address rejected").
Run in its own process: the tests' eventlet must not run its loop."""

import argparse
import signal
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
from smtp_sink import MaildirHandler  # noqa: E402


class RefusingHandler(MaildirHandler):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if (self.directory / "refuse").exists():
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    controller = Controller(RefusingHandler(Path(args.dir)), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
