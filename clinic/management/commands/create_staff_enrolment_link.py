"""`manage.py create_staff_enrolment_link <email>`: a one-use authenticator set-up link.

The first superuser (from `createsuperuser`) has nobody to issue them one in the admin; this
prints it. Whoever can run management commands already holds the server, so this adds no door.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from clinic.errors import NotAllowed
from clinic.models import User
from staff import enrolment


class Command(BaseCommand):
    help = (
        "Issue a one-use link with which a staff account sets up its authenticator app "
        "(any earlier link for it stops working)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The staff account's email address.")

    def handle(self, *args, **options) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No account with the email {options['email']!r}.")
        try:
            link, token = enrolment.link_issue(user=user)
        except NotAllowed as refusal:
            raise CommandError(str(refusal)) from None
        expires = timezone.localtime(link.expires_at)
        self.stdout.write(
            f"Set-up link for {user.email} (works once, for "
            f"{settings.STAFF_ENROLMENT_LINK_HOURS} hours, until {expires:%Y-%m-%d %H:%M %Z}):"
        )
        self.stdout.write(enrolment.link_url(token))
