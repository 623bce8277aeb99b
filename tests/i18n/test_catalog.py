"""The Spanish catalog is complete and safe: every patient text marked, every entry translated
(none fuzzy), no placeholder dropped or changed, the compiled catalog the one in use, and the
clinical texts flagged for a medical translator's review."""

import gettext

import pytest
from django.utils import translation

from tests.i18n.catalog import SPANISH_MO, Entry, entries, placeholders
from tests.i18n.unmarked import (
    patient_templates,
    python_modules,
    unmarked_refusals,
    unmarked_text,
)
from triage import advice

CATALOG = entries()
REVIEW_NOTE = "qualified medical translator"


def test_the_template_check_finds_visible_words_outside_translation_tags():
    # The check below is only worth something if it notices a missed string.
    assert unmarked_text("<p>Book now</p>") == ["Book now"]
    assert unmarked_text('<a href="{{ url }}" aria-label="Open it">{{ name }}</a>') == ["Open it"]
    assert unmarked_text('{% load i18n %}<p>{% translate "Book now" %}</p>') == []
    assert unmarked_text("<p>{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}</p>") == []
    assert unmarked_text("{% comment %}Notes for us{% endcomment %}<b>Backstride</b> 911") == []


@pytest.mark.parametrize("template", patient_templates(), ids=lambda path: path.name)
def test_every_visible_word_of_a_patient_template_is_marked_for_translation(template):
    assert unmarked_text(template.read_text()) == []


def test_the_refusal_check_finds_one_raised_or_returned_in_plain_english():
    # As above: the check below must notice a refusal that skips gettext.
    assert unmarked_refusals('raise NotAllowed("No.")') == ["No."]
    assert unmarked_refusals('raise NotAllowed(f"No {why}.")') == ["f'No {why}.'"]
    assert unmarked_refusals('raise SlotTaken(message="Taken.")') == ["Taken."]
    assert unmarked_refusals('LATE = "Too late."\nraise errors.NotAllowed(LATE)') == ["Too late."]
    assert unmarked_refusals('raise NotAllowed(gettext("No.") + " " + "Call us.")') == ["Call us."]
    assert unmarked_refusals('raise NotAllowed(gettext(f"No {why}."))') == ["f'No {why}.'"]
    assert unmarked_refusals('def offer_refusal(offer):\n    return "It ended."') == ["It ended."]
    marked = 'raise NotAllowed(gettext("No %(why)s.") % {"why": why})\nraise SlotTaken()'
    assert unmarked_refusals(marked) == []
    assert unmarked_refusals('def online_refusal(d):\n    return _("Not online.")') == []


def test_every_refusal_a_patient_may_read_is_translated_when_raised():
    modules = python_modules()
    assert {"rules.py", "booking.py", "waitlist.py", "services.py"} <= {m.name for m in modules}
    found = {str(m): words for m in modules if (words := unmarked_refusals(m.read_text()))}
    assert found == {}


def test_the_spanish_catalog_has_no_untranslated_or_fuzzy_entry():
    assert len(CATALOG) > 500
    assert [e.msgid for e in CATALOG if not e.msgstr] == []
    assert [e.msgid for e in CATALOG if "fuzzy" in e.flags] == []


def test_no_translation_drops_or_changes_a_placeholder():
    changed = [
        (e.msgid, e.msgstr) for e in CATALOG if placeholders(e.msgid) != placeholders(e.msgstr)
    ]
    assert changed == []


def test_the_placeholder_check_notices_a_dropped_or_renamed_one():
    assert placeholders("Hello %(name)s, {when}") != placeholders("Hola, {cuando}")
    assert placeholders("Hola %(nombre)s") != placeholders("Hello %(name)s")


def test_the_compiled_catalog_matches_the_source():
    # The .mo is committed; an edit to the .po without `compilemessages` would not be seen.
    compiled = gettext.GNUTranslations(SPANISH_MO.open("rb"))
    stale = []
    for entry in CATALOG:
        shown = (
            compiled.pgettext(entry.context, entry.msgid)
            if entry.context
            else compiled.gettext(entry.msgid)
        )
        if shown != entry.msgstr:
            stale.append(entry.msgid)
    assert stale == []


def _advice_texts() -> list[str]:
    texts = [words for question in advice.QUESTIONS.values() for words in question if words]
    texts += [words for labels in advice.CHOICE_LABELS.values() for words in labels.values()]
    for table in (
        advice.PATHWAY_TITLES,
        advice.URGENCY_TITLES,
        advice.SBST_RISK_TITLES,
        advice.REASONS,
        advice.SBST_REASONS,
        advice.ALSO_CHECKED,
        advice.SAFETY_NET_ADVICE,
        advice.SAFETY_NET_CHECK_IN_ADVICE,
    ):
        texts += table.values()
    texts += [words for _, words in advice.EMERGENCY_SIGNS]
    texts += [*advice.SEEK_HELP_SOONER, *advice.BONE_STRESS_ADVICE, *advice.MRI_NOTES]
    texts += [note for notes in advice.REMINDER_NOTES.values() for note in notes]
    return texts


def test_every_advice_text_a_patient_reads_has_a_spanish_translation():
    spanish = {e.msgid: e.msgstr for e in CATALOG if e.context is None}
    assert [text for text in _advice_texts() if not spanish.get(text)] == []
    with translation.override("es"):
        assert translation.gettext(advice.REASONS["R1"]).startswith("Sus respuestas muestran")


def _clinical(entry: Entry) -> bool:
    return any(REVIEW_NOTE in comment for comment in entry.comments)


def test_red_flag_and_emergency_texts_carry_the_medical_review_note():
    by_id = {e.msgid: e for e in CATALOG if e.context is None}
    clinical = [
        *(words for _, words in advice.EMERGENCY_SIGNS),
        *(advice.REASONS[rule] for rule in ("R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8")),
        *advice.SAFETY_NET_ADVICE.values(),
        "Call 911 or go to an emergency department now if you have any of these:",
        "Call 911 for an ambulance if you cannot get there safely, or if you get any of these:",
        "<strong>Do not drive yourself.</strong> Ask someone to drive you. If no one can, or you "
        "cannot get there safely, call 911.",
    ]
    assert [text for text in clinical if not _clinical(by_id[text])] == []
    assert sum(_clinical(e) for e in CATALOG) >= 40
