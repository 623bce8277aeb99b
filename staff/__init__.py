"""The staff tool: the Django admin site with its second factor, scoped to each staff member's
locations, and every page staff work in.

- `site`: the admin site (password plus an authenticator code) and enrolment;
- `scope`: the admin mixins that apply `patients.selectors`' scopes, and the large-table paginator;
- `intakes`, `queue_filters`, `decisions`, `schedule`, `forms`: the triage queue, its filters,
  the override and the scheduling page;
- `appointments` (with the day sheet), `organisation`, `outbox`, `accounts`, `patients`,
  `privacy`, `audit`: the clinic's records;
- `dashboard`: the numbers of the manager dashboard; `admin`: what Django's autodiscover loads.

A way in, at the top of the layers: it calls the domains' services and selectors and holds no
rule of its own.
"""
