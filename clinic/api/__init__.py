"""The versioned JSON API, under /api/v1/: schema at /api/v1/openapi.json, docs at /api/v1/docs.

Thin endpoints over the same services and selectors as the pages (`clinic.scheduling`,
`triage.services`, `patients.selectors`), so no rule is written twice. Modules:

- `auth`: bearer tokens or the session (with CSRF), the caller's patient record, the rate limit;
- `schemas`: request and response shapes; `errors`: every error as JSON with a `detail`;
- `catalogue` (public: locations, services, slots); the apps' own routers are
  `triage.api` (intakes) and `patients.api` (the patient's appointments);
- `v1`: the one place that mounts them all (`clinic.urls` serves it).

A breaking change is a new version (/api/v2/) beside this one, never an edit of v1's shapes.
"""
