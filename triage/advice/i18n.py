"""Marking the advice for translation while it stays plain Python (no Django).

`gettext_noop` only marks a text so `makemessages` puts it in the catalog; pages and messages
translate it when they show it (the `translate_advice` filter in triage.templatetags). A text
built from parts is a `Text`: it reads as the English result, and keeps its pattern and parts
so the pattern and each part can be translated on their own.
"""


def gettext_noop(text: str) -> str:
    return text


class Text(str):
    pattern: str
    parts: dict

    def __new__(cls, pattern: str, **parts):
        text = super().__new__(cls, pattern % parts)
        text.pattern = pattern
        text.parts = parts
        return text
