"""Domain errors shared by the apps' services; views turn them into 4xx pages with the message."""


class NotAllowed(Exception):
    """The change is not allowed for this actor or in this state; the message is for the user."""
