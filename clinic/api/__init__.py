"""The versioned JSON API, under /api/v1/: schema at /api/v1/openapi.json, docs at /api/v1/docs.

Thin endpoints over the same services and selectors as the pages (`clinic.scheduling`,
`triage.services`, `patients.selectors`), so no rule is written twice. Modules:

- `auth`: bearer tokens or the session (with CSRF), the caller's patient record, the rate limit;
- `schemas`: request and response shapes; `errors`: every error as JSON with a `detail`;
- `catalogue` (public: locations, services, slots), `intakes`, `appointments`.

A breaking change is a new version (/api/v2/) beside this one, never an edit of v1's shapes.
"""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from clinic.api import appointments, catalogue, errors, intakes
from clinic.api.auth import API_AUTH, FixedWindowRateLimit

api = NinjaAPI(
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
api.add_router("/", intakes.router)
api.add_router("/", appointments.router)
