"""The room store: a facilitator's room, its teams, rounds, plans and results.

A layer of its own between the simulator and the ui (tests/test_layers.py): it may
import the simulator, never ui/, the pages or Streamlit, so the store and its rules
are tested without a browser and shared by every app process on one database.
"""

from .codes import shown_code
from .errors import Conflict, Forbidden, LimitReached, NotFound, RateLimited, RoomError
from .plans import TEAM_LEVERS, RoundSource, round_sources, source_scenario, team_plan
from .scoring import (
    RevealedRound,
    RoundChange,
    Standing,
    TeamResult,
    compare_rounds,
    leaderboard,
    results_csv,
    same_score,
    stable_revenue,
    team_result,
)
from .store import (
    ROOM_HOURS,
    RoomAccess,
    RoomStatus,
    RoomStore,
    RoundInfo,
    SubmittedPlan,
    TeamAccess,
    TeamInfo,
    database_url,
    migrate,
)

__all__ = [
    "ROOM_HOURS",
    "TEAM_LEVERS",
    "Conflict",
    "Forbidden",
    "LimitReached",
    "NotFound",
    "RateLimited",
    "RevealedRound",
    "RoomAccess",
    "RoomError",
    "RoomStatus",
    "RoomStore",
    "RoundChange",
    "RoundInfo",
    "RoundSource",
    "Standing",
    "SubmittedPlan",
    "TeamAccess",
    "TeamInfo",
    "TeamResult",
    "compare_rounds",
    "database_url",
    "leaderboard",
    "migrate",
    "results_csv",
    "round_sources",
    "same_score",
    "shown_code",
    "source_scenario",
    "stable_revenue",
    "team_plan",
    "team_result",
]
