"""Advice for runners about their kit, and what to bring to each kind of appointment."""

# About 300 to 500 miles is the usual life of a running shoe's cushioning.
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
            return (
                f"You told us your shoes are {shoe_age_months} months old. At your weekly "
                f"distance they may have run about {round(miles, -1):.0f} miles. That is past "
                "the point where many runners replace them."
            )
        return ""
    if shoe_age_months >= 12:
        return (
            f"You told us your shoes are {shoe_age_months} months old. Check them for wear, and "
            "replace them if the cushioning feels flat."
        )
    return ""


# Before an appointment, by the service's discipline (clinic.models.Discipline).
REMINDER_NOTES = {
    "physiotherapy": (
        "Wear loose clothes you can move in, such as shorts and a T-shirt.",
        "Bring the running shoes you use most, if you can.",
    ),
    "imaging": (
        "Tell us before your scan if you are or might be pregnant.",
        "Take off jewelry and anything metal before the scan. It is best to leave them at home.",
    ),
    "spine_surgery": (
        "Bring a list of the medicines you take.",
        "Bring any scans or reports about your back that you have.",
    ),
}
MRI_NOTES = (
    "An MRI scan uses a strong magnet. Call us before the day if you have a pacemaker or other "
    "heart device.",
    "Also call us if you have any implant, such as a pump, a nerve stimulator or a cochlear "
    "implant.",
    "Tell us, too, about metal in your body: pins, plates, screws, clips or shrapnel, or metal "
    "ever in your eyes.",
)
DEFAULT_REMINDER_NOTES = ("Wear comfortable clothes you can move in.",)


def reminder_notes(*, discipline: str, service_name: str) -> list[str]:
    """What to bring or tell us, specific to the service booked."""
    notes = list(REMINDER_NOTES.get(discipline, DEFAULT_REMINDER_NOTES))
    if discipline == "imaging" and "mri" in service_name.lower():
        notes = [*MRI_NOTES, *notes]
    return notes
