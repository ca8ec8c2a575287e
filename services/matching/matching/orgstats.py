"""Each organisation's answer record, kept as counters as its matches move.

Scoring reads them for up to a pool of organisations per need, so they are counted as
matches move (one small document per organisation) instead of scanned from the whole
history each time. They feed a score, not a promise: a worker dying between a match's
write and its count leaves the score a little off, never a need or an offer wrong.
"""

from pymongo.errors import DuplicateKeyError

from tilts_contracts.clock import parse_iso
from tilts_contracts.lifecycles import ANSWERED_MATCH


def hours_between(start: str, end: str) -> float:
    return (parse_iso(end) - parse_iso(start)).total_seconds() / 3600


class OrgStats:
    """A mixin of MatchingStore (`self.db` is matching's database)."""

    def count_asked(self, org_id: str, day: str) -> None:
        self.db.org_stats.update_one(
            {"_id": org_id}, {"$inc": {"asked": 1, f"days.{day}": 1}}, upsert=True
        )

    def count_outcome(self, match: dict) -> None:
        """Count a match's new state: accepted, declined or expired (and how fast)."""
        status = match["status"]
        if status not in ANSWERED_MATCH:
            return
        inc: dict = {status: 1}
        if match.get("answered_at"):
            inc["answered"] = 1
            inc["answer_hours"] = hours_between(match["created_at"], match["answered_at"])
        self.db.org_stats.update_one({"_id": match["organisation_id"]}, {"$inc": inc}, upsert=True)

    def organisation_stats(self, org_ids: set[str], since_day: str) -> dict[str, dict]:
        """Each organisation's answer record, for responsiveness and fairness, in one read."""
        stats: dict[str, dict] = {}
        for doc in self.db.org_stats.find({"_id": {"$in": sorted(org_ids)}}):
            answered = doc.get("answered", 0)
            stats[doc["_id"]] = {
                "asked": doc.get("asked", 0),
                "accepted": doc.get("accepted", 0),
                "declined": doc.get("declined", 0),
                "expired": doc.get("expired", 0),
                "recent": sum(n for day, n in (doc.get("days") or {}).items() if day >= since_day),
                "answer_hours": doc.get("answer_hours", 0) / answered if answered else None,
            }
        return stats

    def backfill_org_stats(self) -> None:
        """Build the counters from the matches stored before they were kept (an upgrade)."""
        if self.db.org_stats.find_one({}) is not None or self.db.matches.find_one({}) is None:
            return
        counters: dict[str, dict] = {}
        fields = {"organisation_id": 1, "status": 1, "created_at": 1, "answered_at": 1}
        for m in self.db.matches.find({}, fields):
            c = counters.setdefault(m["organisation_id"], {"asked": 0, "days": {}})
            c["asked"] += 1
            day = m["created_at"][:10]
            c["days"][day] = c["days"].get(day, 0) + 1
            status = "accepted" if m["status"] == "fulfilled" else m["status"]
            if status in ANSWERED_MATCH:
                c[status] = c.get(status, 0) + 1
            if m.get("answered_at"):
                c["answered"] = c.get("answered", 0) + 1
                hours = hours_between(m["created_at"], m["answered_at"])
                c["answer_hours"] = c.get("answer_hours", 0) + hours
        for org_id, c in counters.items():
            try:
                self.db.org_stats.insert_one({"_id": org_id, **c})
            except DuplicateKeyError:
                pass  # another worker starting at the same time built it
