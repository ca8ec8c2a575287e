"""What every copy keeps of free text once it is to be forgotten (DESIGN, "Privacy
rules"): one vocabulary, so the owner's document and each service's copy agree."""

# retention: a need ended RETENTION_DAYS ago keeps its counts, not its free text
FORGOTTEN_NEED_TEXT = {"description": "", "case_ref": ""}

# erasure: an erased organisation's offers keep no text (a title such as "Drošās mājas
# zupas virtuve" or "Jāņa konsultācijas" names someone as surely as a description can)
ERASED_OFFER_TEXT = {"title": "—", "description": "", "unit": ""}
