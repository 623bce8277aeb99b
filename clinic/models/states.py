"""One shape for every state machine on a model (appointment, alert, referral, intake): a
TRANSITIONS table and one method that validates a move. Services persist the move and write its
audit entry."""


class InvalidTransition(Exception):
    """A move a model's state machine does not allow; the message is for people."""


class TransitionTable:
    """Mixin for a model with `TRANSITIONS` ({state: {allowed next states}}) on `state_field`.

    `state_noun` names the thing in messages, with its article: "an appointment".
    """

    state_field = "status"
    state_noun = "a record"

    def check_transition(self, new_state: str) -> None:
        """Raise InvalidTransition, with a message for staff, unless the move is allowed."""
        labels = dict(self._meta.get_field(self.state_field).choices)
        if new_state not in labels:
            raise InvalidTransition(f"“{new_state}” is not a state of {self.state_noun}.")
        current = getattr(self, self.state_field)
        if new_state in self.TRANSITIONS[current]:
            return
        raise InvalidTransition(
            f"{self.state_noun[0].upper()}{self.state_noun[1:]} that is "
            f"{labels[current].lower()} cannot become {labels[new_state].lower()}."
        )
