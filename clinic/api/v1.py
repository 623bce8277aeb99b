"""Backstride API v1: every app's router mounted on one NinjaAPI, served at /api/v1/."""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from clinic.api import catalogue, errors
from clinic.api.auth import API_AUTH, FixedWindowRateLimit
from patients import api as patients_api
from triage import api as triage_api


class BackstrideAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None, catalogue_slugs=None):
        # Built for each request of /api/v1/openapi.json: the slugs are today's catalogue
        # (`catalogue_slugs` gives them instead, for a schema built without a database).
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return catalogue.add_catalogue_enums(schema, slugs=catalogue_slugs)


api = BackstrideAPI(
    title="Backstride API",
    version="1",
    description=(
        "Book physiotherapy for back pain. Authenticate with `Authorization: Bearer <token>` "
        "(patients make tokens on their account page) or a signed-in session with its CSRF "
        "token. Errors are JSON with a `detail`. Rate-limited per caller (429 with "
        "Retry-After)."
    ),
    urls_namespace="api-v1",
    auth=API_AUTH,
    throttle=[FixedWindowRateLimit()],
    # Swagger UI from our own static files ("ninja" is an installed app): the CSP allows no CDN.
    docs=Swagger(settings={"persistAuthorization": False}),
)
errors.install(api)
api.add_router("/", catalogue.router)
api.add_router("/", triage_api.router)
api.add_router("/", patients_api.router)
