"""One shape for every state machine on a model (appointment, alert, referral, intake): a
TRANSITIONS table and one method that validates a move. Services persist the move and write its
audit entry."""

from django.utils.translation import gettext, gettext_lazy


class InvalidTransition(Exception):
    """A move a model's state machine does not allow; the message is for people."""


class TransitionTable:
    """Mixin for a model with `TRANSITIONS` ({state: {allowed next states}}) on `state_field`.

    `state_noun` names the thing in messages, with its article: "an appointment".
    """

    state_field = "status"
    state_noun = gettext_lazy("a record")

    def check_transition(self, new_state: str) -> None:
        """Raise InvalidTransition, with a message for people, unless the move is allowed."""
        labels = dict(self._meta.get_field(self.state_field).choices)
        if new_state not in labels:
            raise InvalidTransition(
                gettext("“%(state)s” is not a state of %(thing)s.")
                % {"state": new_state, "thing": self.state_noun}
            )
        current = getattr(self, self.state_field)
        if new_state in self.TRANSITIONS[current]:
            return
        # Translated when raised: a patient who cancels twice reads it on their page.
        thing = str(self.state_noun)
        raise InvalidTransition(
            gettext("%(thing)s that is %(current)s cannot become %(new)s.")
            % {
                "thing": thing[0].upper() + thing[1:],
                "current": str(labels[current]).lower(),
                "new": str(labels[new_state]).lower(),
            }
        )
