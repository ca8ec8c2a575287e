"""The code a stack runs: this working copy, or an older commit taken out of git.

An older commit's services run from a plain copy (`git archive`) put ahead of the
editable installs on PYTHONPATH, with that commit's own nameko.yml; the bench, the
stack supervisor and the shared venv stay this working copy's.
"""

import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from .common import ROOT

PACKAGES = (
    "contracts",
    "runtime",
    *(f"services/{s}" for s in ("registry", "pledges", "matching", "notify", "gateway")),
)


@dataclass
class Code:
    label: str  # the column's name in the table
    root: Path
    shared_storage: bool  # one NX-27017 for every service, as before issue 19
    env: dict = field(default_factory=dict)

    @property
    def nameko_config(self) -> Path:
        return self.root / "deploy" / "nameko.yml"


def current() -> Code:
    return Code("new", ROOT, shared_storage=False)


def older(ref: str, into: Path) -> Code:
    """Commit `ref` unpacked into `into`, its packages first on the import path."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "code.tar"
    with open(archive, "wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    # an older tree may lack a package (tilts_runtime came with issue 20)
    path = ":".join(str(into / p) for p in PACKAGES if (into / p).is_dir())
    return Code(f"old ({ref[:9]})", into, shared_storage=True, env={"PYTHONPATH": path})
