"""Where matching forgets: retention of a need's text and erasure of an organisation,
in every collection that holds a copy. `privacy` decides what each copy keeps; this
finds the copies and writes them back over the version read, so a worker that read one
before writes again from what is left instead of putting the text back."""

from collections.abc import Callable

from tilts_runtime.store import VERSION, StaleWrite, retry_stale

from . import privacy


class Forgetting:
    """A mixin of MatchingStore (`self.db` is matching's database)."""

    def forget_need_text(self, need_id: str, forgotten_at: str) -> None:
        """Retention: the need's description and case_ref go from every copy."""
        self._rewrite("needs", need_id, lambda d: privacy.need_forgotten(d, forgotten_at))
        for match in self.db.matches.find({"need_id": need_id}, {"_id": 1}):
            self._rewrite(
                "matches", match["_id"], lambda m: privacy.match_need_forgotten(m, forgotten_at)
            )

    def forget_organisation(self, org: dict, known: dict | None) -> None:
        """Erasure: `org` as registry left it (anonymous, no address), `known` as it was
        held before, whose name and address are looked for in parked events."""
        org_id = org["_id"]
        for offer_id in self.offers_of(org_id):
            self.change_offer(offer_id, privacy.offer_forgotten)
        contact = {
            "id": org_id,
            "name": org.get("name") or "",
            "email": None,
            "preferred_language": org.get("preferred_language") or "lv",
        }
        for match in self.db.matches.find({"organisation_id": org_id}, {"_id": 1}):
            self._rewrite("matches", match["_id"], lambda m: privacy.match_forgotten(m, contact))
        # its answer record only ranked it among candidates, which it never is again
        self.db.org_stats.delete_one({"_id": org_id})
        known = known or {}
        words = {known.get("name"), known.get("email")} - {org.get("name"), None}
        self.forget_parked(org_id, words)

    def _rewrite(self, collection: str, doc_id: str, decide: Callable[[dict], dict | None]):
        """Write `decide`'s document over the version read; again while another writer
        got there first. Its revision stays: nothing its owner said changed."""

        def attempt() -> None:
            doc = self.db[collection].find_one({"_id": doc_id})
            new = None if doc is None else decide(doc)
            if new is None:
                return
            version = doc[VERSION]
            result = self.db[collection].replace_one(
                {"_id": doc_id, VERSION: version}, {**new, VERSION: version + 1}
            )
            if result.matched_count != 1:
                raise StaleWrite(f"{collection}/{doc_id}")

        retry_stale(attempt)
