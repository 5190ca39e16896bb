"""The two tracks of the programme, named once: every list, label and check uses these."""

from __future__ import annotations

from typing import Final

BACKEND: Final = "backend"
FRONTEND: Final = "frontend"
TRACKS: Final = (BACKEND, FRONTEND)
TRACK_NAMES: Final = {BACKEND: "Backend", FRONTEND: "Frontend"}


def track_name(track: str) -> str:
    """ "Backend" / "Frontend" for a track key; an unknown key is shown as it is stored."""
    return TRACK_NAMES.get(track, track)


def other_track(track: str) -> str:
    """The track a partner comes from: Backend learners pair with Frontend learners and back."""
    return FRONTEND if track == BACKEND else BACKEND
