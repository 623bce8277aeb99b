"""Visible words in a template that are not inside a translation tag, and refusals in Python
that are not inside a gettext call."""

import ast
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


# --- Refusals raised in Python ------------------------------------------------------------------
# The services' refusals are shown to patients as they are (the pages and the API show the
# message), so each must be translated when it is raised.
REFUSALS = {"NotAllowed", "SlotTaken"}
# Functions that return a sentence for the patient instead of raising it.
REFUSAL_TEXTS = {"online_refusal", "online_change_refusal", "offer_refusal", "what_happens_next"}
TRANSLATED_AT_CALL = {"gettext", "pgettext", "ngettext", "npgettext", "gettext_lazy", "_"}
APPS = ("clinic", "patients", "triage", "outcomes")


def _called(node) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _plain_words(node, constants: dict) -> list[str]:
    """Text in the expression a reader would see untranslated: string literals and f-strings
    outside a gettext call, also through a module-level constant the expression names."""
    if isinstance(node, ast.Call) and _called(node) in TRANSLATED_AT_CALL:
        # The message must be a literal, or makemessages cannot find it.
        return [ast.unparse(arg) for arg in node.args if isinstance(arg, ast.JoinedStr)]
    if isinstance(node, ast.Constant):
        return (
            [node.value]
            if isinstance(node.value, str) and re.search("[A-Za-z]", node.value)
            else []
        )
    if isinstance(node, ast.JoinedStr):
        return [ast.unparse(node)]
    if isinstance(node, ast.Name) and node.id in constants:
        return _plain_words(constants[node.id], {})
    if isinstance(node, ast.Dict):  # the placeholders' names of "..." % {"name": value}
        children = node.values
    elif isinstance(node, ast.Subscript):
        children = [node.value]
    else:
        children = list(ast.iter_child_nodes(node))
    return [words for child in children for words in _plain_words(child, constants)]


def unmarked_refusals(source: str) -> list[str]:
    """Words given to NotAllowed / SlotTaken, or returned as a refusal sentence, that are not
    inside a gettext call (made when raised, so in the reader's language)."""
    tree = ast.parse(source)
    constants = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in REFUSALS:
            for arg in [*node.args, *(keyword.value for keyword in node.keywords)]:
                found += _plain_words(arg, constants)
        elif isinstance(node, ast.FunctionDef) and node.name in REFUSAL_TEXTS:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and inner.value is not None:
                    found += _plain_words(inner.value, constants)
    return found


def python_modules() -> list[Path]:
    """The apps' code whose messages patients may read (staff/ and fhir/ stay English)."""
    root = TEMPLATES.parent
    return sorted(
        path
        for app in APPS
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
    )
