"""The gateway is one class made of many route groups: a name two groups both define
would make one of them silently answer for the other (seen once: accepting a request
from /org ran another page's helper of the same name)."""

from collections import defaultdict

from gateway.service import GatewayService


def test_no_two_route_groups_define_the_same_name():
    groups = [cls for cls in GatewayService.__mro__[1:] if cls.__module__.startswith("gateway.")]
    owners = defaultdict(list)
    for cls in groups:
        for name in vars(cls):
            if not (name.startswith("__") and name.endswith("__")):
                owners[name].append(f"{cls.__module__}.{cls.__qualname__}")
    # a name kept by a class and overridden on purpose by its own subclass is fine
    clashes = {
        name: classes
        for name, classes in owners.items()
        if len(classes) > 1 and not _overrides_its_base(name, classes)
    }
    assert not clashes, clashes


def _overrides_its_base(name: str, classes: list[str]) -> bool:
    """Whether every class defining `name` is a subclass of the next one that does, as
    in the MRO: one chain of deliberate overrides, not two groups side by side."""
    by_name = {f"{c.__module__}.{c.__qualname__}": c for c in GatewayService.__mro__}
    chain = [by_name[c] for c in classes]
    return all(issubclass(a, b) for a, b in zip(chain, chain[1:], strict=False))
