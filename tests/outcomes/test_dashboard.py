"""The outcomes page: shares improved at 6 and 12 weeks, back to running and response rate,
checked against a fixture worked out by hand."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from outcomes import reports, services
from outcomes.models import FollowUp
from tests.factories import LocationFactory, UserFactory, admin_login, make_intake, make_staff
from tests.outcomes.test_follow_ups import runner_intake
from triage import services as triage_services
from triage.models import Intake

pytestmark = pytest.mark.django_db

PHYSIO = {f"sbst_{n}": True for n in range(1, 5)}  # STarT Back medium risk: physiotherapy


def answer(intake, kind, *, pain, impression="no_change", runs_again=None):
    follow_up = intake.follow_ups.get(kind=kind)
    values = {
        "pain_score": pain,
        "impression": impression,
        **{f"sbst_{n}": False for n in range(1, 9)},
        "sbst_9": "slightly",
        **dict.fromkeys(services.RED_FLAG_FIELDS, False),
        "leg_weakness": "none",
    }
    if runs_again is not None:
        values.update(runs_again=runs_again, running_share=50 if runs_again else 0)
    services.follow_up_answer(
        follow_up=follow_up, values=values, now=follow_up.due_at + timedelta(days=1)
    )


@pytest.fixture
def network(freeze):
    """Alpha: 5 self-care intakes; Beta: 3 physiotherapy runners; one old intake outside the
    period. The clock ends 13 weeks after the intakes, so every 6- and 12-week one is due."""
    start = timezone.now().replace(microsecond=0)
    traveller = freeze(start - timedelta(days=200))
    alpha, beta = (
        LocationFactory(name="Alpha", slug="alpha"),
        LocationFactory(name="Beta", slug="beta"),
    )
    old = make_intake(location=alpha, pain_score=6)
    traveller.move_to(start)
    a = [make_intake(location=alpha, pain_score=6) for _ in range(4)]
    a.append(make_intake(location=alpha, pain_score=3))
    b = [runner_intake(location=beta, pain_score=6, **PHYSIO) for _ in range(3)]
    w6, w12 = FollowUp.Kind.WEEKS_6, FollowUp.Kind.WEEKS_12
    answer(old, w6, pain=0, impression="very_much_better")  # outside the period
    answer(a[0], w6, pain=4)  # 2 points down: improved
    answer(a[1], w6, pain=5, impression="much_better")  # says much better: improved
    answer(a[2], w6, pain=5, impression="a_little_better")  # 1 point, 17 %: not improved
    services.follow_up_stop(follow_up=a[3].follow_ups.get(kind=w6))  # stopped: not improved
    answer(a[4], w6, pain=2)  # 3 -> 2 is 33 %: improved
    answer(b[0], w12, pain=2, runs_again=True)  # improved, running
    answer(b[1], w12, pain=6, impression="very_much_worse", runs_again=False)
    # b[2] never answers: due, not improved, a runner not back to running
    traveller.move_to(start + timedelta(weeks=13))
    return alpha, beta


def rows_by_key(rows):
    return {(r.pathway, r.location, r.kind): r for r in rows}


def test_the_shares_match_the_hand_computed_fixture(network):
    now = timezone.now()
    rows = rows_by_key(
        reports.outcome_rows(location_ids=None, since=now - timedelta(days=90), until=now)
    )
    alpha6 = rows[("self_care", "Alpha", "weeks_6")]
    assert (alpha6.due, alpha6.answered, alpha6.improved) == (5, 4, 3)
    assert alpha6.improved_share == 60.0
    assert alpha6.response_rate == 80.0
    assert alpha6.running_share is None  # no runners at Alpha
    alpha12 = rows[("self_care", "Alpha", "weeks_12")]
    # Nobody answered at 12 weeks: all 5 are due and none improved, the stopped one included.
    assert (alpha12.due, alpha12.answered, alpha12.improved_share) == (5, 0, 0.0)
    beta12 = rows[("physio", "Beta", "weeks_12")]
    assert (beta12.due, beta12.answered, beta12.improved, beta12.runners, beta12.running) == (
        3,
        2,
        1,
        3,
        1,
    )
    assert beta12.improved_share == 33.3
    assert beta12.running_share == 33.3
    assert beta12.response_rate == 66.7
    assert set(rows) == {
        ("self_care", "Alpha", "weeks_6"),
        ("self_care", "Alpha", "weeks_12"),
        ("physio", "Beta", "weeks_6"),
        ("physio", "Beta", "weeks_12"),
    }


def test_only_the_locations_asked_for_are_counted(network):
    alpha, _beta = network
    now = timezone.now()
    rows = reports.outcome_rows(location_ids=[alpha.pk], since=now - timedelta(days=90), until=now)
    assert {r.location for r in rows} == {"Alpha"}


def test_a_clinicians_new_pathway_moves_the_follow_ups_with_it(network, freeze):
    _alpha, beta = network
    intake = Intake.objects.filter(preferred_location=beta).first()
    clinician = make_staff(roles=["Triage clinician"], locations=[beta])
    triage_services.decision_override(
        intake=intake, actor=clinician, pathway="self_care", urgency="routine", reason="Better"
    )
    now = timezone.now()
    rows = rows_by_key(
        reports.outcome_rows(location_ids=None, since=now - timedelta(days=90), until=now)
    )
    assert rows[("physio", "Beta", "weeks_12")].due == 2
    assert rows[("self_care", "Beta", "weeks_12")].due == 1


def test_the_period_filter_counts_only_follow_ups_due_in_it(network):
    now = timezone.now()
    # Only the 12-week follow-ups fell due in the last 2 weeks.
    rows = reports.outcome_rows(location_ids=None, since=now - timedelta(weeks=2), until=now)
    assert {r.kind for r in rows} == {"weeks_12"}


def test_the_page_shows_only_the_staff_members_locations_with_sample_sizes(client, network):
    alpha, _beta = network
    admin_login(client, make_staff(roles=["Location manager"], locations=[alpha]))
    assert reverse("admin_outcomes") in client.get(reverse("admin:index")).content.decode()
    page = client.get(reverse("admin_outcomes")).content.decode()
    assert "60.0%" in page
    assert "3 of 5" in page
    assert "Beta" not in page
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin_outcomes")).content.decode()
    assert "33.3% (1 of 3)" in page  # back to running at Beta, with its sample size


def test_a_backwards_or_malformed_period_is_a_message_not_an_error(client, network):
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))
    backwards = client.get(
        reverse("admin_outcomes"), {"since": "2030-01-02", "until": "2030-01-01"}
    )
    assert backwards.status_code == 200
    assert "The start of the period must be before its end." in backwards.content.decode()
    garbage = client.get(reverse("admin_outcomes"), {"since": "soon"})
    assert garbage.status_code == 200
    assert "Enter a valid date." in garbage.content.decode()
