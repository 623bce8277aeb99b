"""The staff triage queue in the admin.

- `intakes`: the queue, the intake's page, its actions and the custom pages' URLs;
- `filters`: waiting time against protocol section 6, and the list filters;
- `decisions`: the decisions history and the override page;
- `schedule`: booking an appointment from the queue;
- `forms`: the forms of those pages.
"""

from triage.admin import intakes  # noqa: F401  registers the Intake admin
