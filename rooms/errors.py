"""What the room store refuses, as one short line naming the field or the rule."""

from __future__ import annotations


class RoomError(ValueError):
    """A refused request: the message is a sentence the page shows as it is."""


class NotFound(RoomError):
    """No live room has this code (or the credential does not belong to it)."""


class Forbidden(RoomError):
    """The credential is valid but may not do this (a team closing a round, say)."""


class LimitReached(RoomError):
    """A documented bound (rooms, teams, rounds, plan revisions) is reached."""


class RateLimited(RoomError):
    """Too many wrong join codes from this client: try again after ``retry_after`` s."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(RoomError):
    """The request does not fit the room's state (a plan for a closed round, say)."""
