"""Visible words in a template that are not inside a translation tag."""

import re
from pathlib import Path

from django.template.base import Lexer, TokenType

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Words that read the same in every language: names, units, the emergency number.
SAME_IN_EVERY_LANGUAGE = {"Backstride", "911", "PT", ".ics"}
_SHOWN_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"{]*[A-Za-z][^"{]*)"')


def unmarked_text(source: str) -> list[str]:
    """Pieces of visible text outside {% translate %} / {% blocktranslate %}, and shown
    attributes (aria-label, title, placeholder, alt) written as plain text."""
    found = []
    in_block = in_comment = in_tag = False
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name == "comment":
                in_comment = True
            elif name == "endcomment":
                in_comment = False
            elif name in ("blocktranslate", "blocktrans"):
                in_block = True
            elif name in ("endblocktranslate", "endblocktrans"):
                in_block = False
            continue
        if token.token_type != TokenType.TEXT or in_comment or in_block:
            continue
        found.extend(_SHOWN_ATTRIBUTE.findall(token.contents))
        # Keep what is between tags; a tag may be split by template syntax, so the state of
        # being inside one carries from one piece of text to the next.
        visible = []
        for char in token.contents:
            if char == "<":
                in_tag = True
            elif char == ">" and in_tag:
                in_tag = False
                visible.append(" ")
            elif not in_tag:
                visible.append(char)
        # Paths and links (/intake/, {{ site_url }}/me/) are not words.
        text = " ".join(w for w in "".join(visible).split() if "/" not in w)
        words = [
            w for w in re.findall(r"[A-Za-z][\w'.-]*", text) if w not in SAME_IN_EVERY_LANGUAGE
        ]
        if words:
            found.append(text)
    return found


def patient_templates() -> list[Path]:
    """Every template a patient sees or is sent; staff pages (admin/) stay English."""
    staff = ("staff_alert",)
    found = sorted(
        path
        for folder in ("patients", "triage", "notifications", "allauth")
        for path in (TEMPLATES / folder).rglob("*")
        if path.suffix in (".html", ".txt") and not path.name.startswith(staff)
    )
    return [*found, TEMPLATES / "base.html", TEMPLATES / "ratelimited.html"]
