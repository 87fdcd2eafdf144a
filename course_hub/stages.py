"""`SpaceStage`: a Space's runtime stage, spelled as the Hub spells it (huggingface_hub's `SpaceStage` values).

A `str` enum: a member is equal to its string, and JSON, f-strings and templates show the bare value ("RUNNING"),
so every answer stays byte for byte what it was with plain strings.
"""

from __future__ import annotations

from enum import Enum


class SpaceStage(str, Enum):
    NO_APP_FILE = "NO_APP_FILE"  # no README.md with `sdk:`, or its `app_file` is missing
    CONFIG_ERROR = "CONFIG_ERROR"  # an sdk the course hub does not run, or a classroom's allow-list refuses it
    BUILDING = "BUILDING"  # checkout, requirements check, the app starting
    APP_STARTING = "APP_STARTING"  # shown by a huggingface.co-flavoured hub only (flavour.py): the app starting
    RUNNING = "RUNNING"
    RUNTIME_ERROR = "RUNTIME_ERROR"  # the app raised, exited, hung past the start timeout or went over its memory
    SLEEPING = "SLEEPING"  # not started, or idle too long
    PAUSED = "PAUSED"  # by its owner (`pause_space`) until `restart_space`
    STOPPED = "STOPPED"  # a Space's info when no runtime serves the hub (an app object with no Space manager)

    __str__ = str.__str__  # "RUNNING", not "SpaceStage.RUNNING" (Python < 3.12 mixes in Enum's)
    __format__ = str.__format__

    @property
    def has_process(self) -> bool:
        """A stage in which the Space's app process is starting or running."""
        return self in (SpaceStage.RUNNING, SpaceStage.BUILDING, SpaceStage.APP_STARTING)
