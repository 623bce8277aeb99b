"""The Spanish catalog as entries, read with the standard library only (no polib here)."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "locale"
SPANISH_PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
SPANISH_MO = LOCALE / "es" / "LC_MESSAGES" / "django.mo"
# %(name)s and %s (Python and Django), {name} (str.format).
PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sd]|%[sd]|\{[A-Za-z_]\w*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgstr: str = ""
    context: str | None = None
    comments: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def entries(path: Path = SPANISH_PO) -> list[Entry]:
    """Every entry but the header, with its translator comments (#.) and flags (#,)."""
    found, entry, part = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry is not None and entry.msgid:
                found.append(entry)
            entry = None
            continue
        entry = entry or Entry()
        if line.startswith("#."):
            entry.comments.append(line[2:].strip())
        elif line.startswith("#,"):
            entry.flags += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        else:
            keyword, _, rest = line.partition(" ")
            if keyword in ("msgid", "msgstr", "msgctxt"):
                part = {"msgid": "msgid", "msgstr": "msgstr", "msgctxt": "context"}[keyword]
                setattr(entry, part, "")
            else:
                rest = line
            setattr(entry, part, (getattr(entry, part) or "") + ast.literal_eval(rest))
    return found


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))
