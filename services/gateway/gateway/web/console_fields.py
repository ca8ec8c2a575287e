"""A refusal's details as the words beside each field of a console form: the API's
messages in English, the privacy guard's findings in Latvian too."""

from tilts_contracts.privacy import KINDS

from .console_words import ABOUT_PEOPLE_LV, CHECK_FIELD_LV, GUARD_LV


def _latvian(message: str) -> str:
    for kind, said in KINDS.items():
        if message.startswith(said):
            said = GUARD_LV[kind]
            return f"{said[0].upper()}{said[1:]}; {ABOUT_PEOPLE_LV}."
    return f"{CHECK_FIELD_LV} ({message})."


def _messages(value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if not isinstance(v, dict | list)] or [str(value)]
    if isinstance(value, dict):  # a list field's errors by position
        return [m for v in value.values() for m in _messages(v)]
    return [str(value)]


def field_errors(details: dict, lang: str, fields: tuple[str, ...]) -> dict[str, list[str]]:
    """{field: [words]} for the form's fields; a detail naming no field of the form goes
    under the first, so nothing the API said is hidden."""
    errors: dict[str, list[str]] = {}
    for name, value in (details or {}).items():
        said = _messages(value)
        if lang == "lv":
            said = [_latvian(m) for m in said]
        errors.setdefault(name if name in fields else fields[0], []).extend(said)
    return errors
