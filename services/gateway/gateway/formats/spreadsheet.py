"""Cells a spreadsheet reads as text, not as formulas, both ways."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value):
    """A cell a spreadsheet shows as text: one starting like a formula gets a `'` first."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unguard(cell: str) -> str:
    """A cell our own export guarded against spreadsheet formulas ('=...) reads as written."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_START):
        return cell[1:]
    return cell
