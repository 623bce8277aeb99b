"""Make a FHIR client for some locations and print its token (only its hash is stored)."""

from django.core.management.base import BaseCommand, CommandError

from clinic.errors import NotAllowed
from fhir import clients


class Command(BaseCommand):
    help = (
        "Make a FHIR client (an outside system) that reads the data of the given locations, "
        "and print its bearer token on its own line. It is shown only this once."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Which system it is, e.g. 'Chaska imaging centre'.")
        parser.add_argument(
            "--location",
            action="append",
            dest="locations",
            default=[],
            metavar="SLUG",
            help="A location whose data it may read; repeat for more.",
        )

    def handle(self, *args, name, locations, **options):
        try:
            client, token = clients.client_create(name=name, location_slugs=locations)
        except NotAllowed as refusal:
            raise CommandError(str(refusal)) from refusal
        # The token alone on stdout, so `TOKEN=$(manage.py create_fhir_client ...)` works.
        self.stdout.write(token)
        slugs = ", ".join(client.locations.order_by("slug").values_list("slug", flat=True))
        self.stderr.write(
            f"Made FHIR client {client} for {slugs}. The token is shown only this once."
        )
