"""The mail sink's folder, read as it fills: which bench need each email was about."""

import email
import email.policy
import os
import re
import time
from collections import Counter
from pathlib import Path


def subject_of(path: Path) -> str:
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    return str(msg["Subject"] or "")


class Mailbox:
    """Requests for help about needs titled `<label> <run> <n>` (the subject carries the
    need's title): the first arrival per need, and how many came per need."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.seen: set[Path] = set()
        self.first: dict[str, float] = {}  # "<run> <n>" -> arrival, time.time()
        self.count: Counter = Counter()

    def poll(self) -> None:
        title = re.compile(r"(?:Lūgums palīdzēt|Request for help): \w+ ([a-z]{6} \d+) \(")
        for path in set(self.folder.glob("*.eml")) - self.seen:
            self.seen.add(path)
            found = title.search(subject_of(path))
            if found:
                key = found.group(1)
                self.count[key] += 1
                self.first.setdefault(key, os.stat(path).st_mtime_ns / 1e9)

    def wait_for(self, keys: list[str], timeout: float) -> None:
        """Until an email came about every one of `keys` (or `timeout` passed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            if all(k in self.first for k in keys):
                return
            time.sleep(0.05)

    def duplicates(self, keys: list[str]) -> int:
        """How many of `keys` got more than one email (each should get one)."""
        self.poll()
        return sum(1 for k in keys if self.count[k] > 1)
