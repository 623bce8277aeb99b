"""Advice for runners about their kit, and what to bring to each kind of appointment."""

# About 300 to 500 miles is the usual life of a running shoe's cushioning.
from triage.advice.i18n import Text, gettext_noop

SHOE_MILES = 300
_KM_PER_MILE = 1.609
_WEEKS_PER_MONTH = 4.35


def shoe_advice(*, shoe_age_months, weekly_distance_km) -> str:
    """A word on this runner's shoes, from the two optional answers; "" when they say nothing."""
    if shoe_age_months is None:
        return ""
    if weekly_distance_km:
        miles = shoe_age_months * _WEEKS_PER_MONTH * weekly_distance_km / _KM_PER_MILE
        if miles >= SHOE_MILES:
            return Text(
                gettext_noop(
                    "You told us your shoes are %(months)s months old. At your weekly distance "
                    "they may have run about %(miles)s miles. That is past the point where many "
                    "runners replace them."
                ),
                months=shoe_age_months,
                miles=f"{round(miles, -1):.0f}",
            )
        return ""
    if shoe_age_months >= 12:
        return Text(
            gettext_noop(
                "You told us your shoes are %(months)s months old. Check them for wear, and "
                "replace them if the cushioning feels flat."
            ),
            months=shoe_age_months,
        )
    return ""


# Before an appointment, by the service's discipline (clinic.models.Discipline).
REMINDER_NOTES = {
    "physiotherapy": (
        gettext_noop("Wear loose clothes you can move in, such as shorts and a T-shirt."),
        gettext_noop("Bring the running shoes you use most, if you can."),
    ),
    "imaging": (
        gettext_noop("Tell us before your scan if you are or might be pregnant."),
        gettext_noop(
            "Take off jewelry and anything metal before the scan. It is best to leave them at home."
        ),
    ),
    "spine_surgery": (
        gettext_noop("Bring a list of the medicines you take."),
        gettext_noop("Bring any scans or reports about your back that you have."),
    ),
}
MRI_NOTES = (
    gettext_noop(
        "An MRI scan uses a strong magnet. Call us before the day if you have a pacemaker or other "
        "heart device."
    ),
    gettext_noop(
        "Also call us if you have any implant, such as a pump, a nerve stimulator or a cochlear "
        "implant."
    ),
    gettext_noop(
        "Tell us, too, about metal in your body: pins, plates, screws, clips or shrapnel, or metal "
        "ever in your eyes."
    ),
)
DEFAULT_REMINDER_NOTES = (gettext_noop("Wear comfortable clothes you can move in."),)


def reminder_notes(*, discipline: str, service_name: str) -> list[str]:
    """What to bring or tell us, specific to the service booked."""
    notes = list(REMINDER_NOTES.get(discipline, DEFAULT_REMINDER_NOTES))
    if discipline == "imaging" and "mri" in service_name.lower():
        notes = [*MRI_NOTES, *notes]
    return notes
