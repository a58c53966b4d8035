"""Read models for people: the dispatch board and incident timelines.

Views are built only from journaled events (directly, or through the state fold) and
are what queries read; they are never written any other way.
"""

from tenfour.views.board import board
from tenfour.views.timeline import Timelines, describe

__all__ = ["Timelines", "board", "describe"]
