"""The pure heart of Ten-Four: commands, events, state, ``decide`` and ``evolve``.

Nothing here does I/O or reads a clock: the time and any random tokens arrive in a
``Context``, so the same command on the same state always yields the same events.
"""

from tenfour.domain.commands import COMMANDS, Command, parse_command
from tenfour.domain.decide import Context, decide
from tenfour.domain.errors import CommandRejected, Problem
from tenfour.domain.events import EVENTS, Event
from tenfour.domain.state import State, evolve
from tenfour.domain.values import Actor, Location

__all__ = [
    "COMMANDS",
    "EVENTS",
    "Actor",
    "Command",
    "CommandRejected",
    "Context",
    "Event",
    "Location",
    "Problem",
    "State",
    "decide",
    "evolve",
    "parse_command",
]
