"""Make a personal API token for an account and print it (it is not stored; only its hash is)."""

from django.core.management.base import BaseCommand, CommandError

from clinic.errors import NotAllowed
from clinic.models import User
from patients import tokens


class Command(BaseCommand):
    help = (
        "Make an API token for the account with this email and print it on its own line. "
        "Patients make their own on their account page; this is for scripts and support."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'laptop'.")

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account has the email address {email!r}.")
        try:
            record, token = tokens.token_create(user=user, name=name or "command line")
        except NotAllowed as refusal:
            raise CommandError(str(refusal)) from refusal
        # The token alone on stdout, so `TOKEN=$(manage.py create_api_token ...)` works.
        self.stdout.write(token)
        self.stderr.write(
            f"Made token {record.key_prefix}… ({record.name}) for {user.email}. "
            "It is shown only this once."
        )
