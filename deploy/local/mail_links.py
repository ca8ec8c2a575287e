"""Print the /respond/ links of the newest message in a mail directory (default var/mail).

The messages are MIME-encoded (base64 for non-ASCII text), so grep cannot see links.
"""

import email
import email.policy
import re
import sys
from pathlib import Path


def main() -> int:
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "var/mail")
    messages = sorted(directory.glob("*.eml"))
    if not messages:
        print(f"no messages in {directory}/", file=sys.stderr)
        return 1
    msg = email.message_from_bytes(messages[-1].read_bytes(), policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    for link in dict.fromkeys(re.findall(r"https?://\S+/respond/[\w.-]+", text)):
        print(link)
    return 0


if __name__ == "__main__":
    sys.exit(main())
