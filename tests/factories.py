"""factory_boy factories shared by every app's tests."""

import datetime as dt

import factory
from django.conf import settings
from django.utils import timezone

from clinic.models import (
    Appointment,
    Discipline,
    Location,
    Practitioner,
    Service,
    User,
    WorkingHours,
)
from patients.models import Patient
from triage import services as triage_services
from triage.models import Intake


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    address = factory.Sequence(lambda n: f"{n} Main Street, Shakopee, MN 55379")
    phone = "(952) 555-0100"
    time_zone = "America/Chicago"
    on_call_email = factory.Sequence(lambda n: f"oncall-{n}@clinic.test")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Runner{n}")
    password = factory.PostGenerationMethodCall("set_password", "a-long-test-password")

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.set(extracted)
        if create:
            self.save()


class StaffFactory(UserFactory):
    is_staff = True


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    user = factory.SubFactory(UserFactory)
    first_name = factory.SelfAttribute("user.first_name")
    last_name = factory.SelfAttribute("user.last_name")
    date_of_birth = dt.date(1990, 5, 17)
    contact_preference = "email"
    # A patient with an account accepted the current privacy notice at sign-up; one who chose
    # texts agreed to them (tests of the missing consents say so explicitly).
    privacy_notice_version = factory.LazyFunction(lambda: settings.PRIVACY_NOTICE_VERSION)
    sms_opt_in_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.contact_preference == "sms" else None
    )


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    slug = "physio-assessment"
    name = "Physiotherapy assessment"
    pathway = "physio"
    discipline = Discipline.PHYSIOTHERAPY
    duration_minutes = 45
    buffer_after_minutes = 15
    bookable_online = True


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    display_name = factory.Sequence(lambda n: f"Jordan Physio{n}")
    discipline = Discipline.PHYSIOTHERAPY

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.set(extracted)


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    practitioner = factory.SubFactory(PractitionerFactory)
    location = factory.SubFactory(LocationFactory)
    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(17, 0)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    practitioner = factory.SubFactory(PractitionerFactory)
    location = factory.SubFactory(LocationFactory)
    service = factory.SubFactory(ServiceFactory)
    start = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    end = factory.LazyAttribute(
        lambda o: o.start + dt.timedelta(minutes=o.service.duration_minutes)
    )
    blocked_until = factory.LazyAttribute(
        lambda o: o.end + dt.timedelta(minutes=o.service.buffer_after_minutes)
    )


def make_intake(*, location=None, patient=None, **answer_overrides) -> Intake:
    """An intake submitted through the real service, so it carries the engine's decision."""
    from tests.triage.strategies import baseline_answers

    return triage_services.intake_submit(
        answers=baseline_answers(**answer_overrides),
        contact={
            "first_name": "Sam",
            "last_name": "Strider",
            "email": "sam@example.test",
            "phone": "",
        },
        runner_context={},
        preferred_location=location or LocationFactory(),
        patient=patient,
    )


def make_staff(*, roles=(), locations=(), **fields) -> User:
    """A staff member with the given role names (clinic.roles) and locations."""
    from django.contrib.auth.models import Group

    user = StaffFactory(locations=list(locations), **fields)
    if roles:
        user.groups.set(Group.objects.filter(name__in=roles))
    return user


def admin_login(client, user) -> None:
    """Sign `user` in to the admin as if with password and authenticator code (both factors).

    The staff admin site is django-otp's: a session needs a verified device as well as a login.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
