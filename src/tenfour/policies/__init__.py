"""Policies: how the system reacts to events, by issuing commands of its own.

Pure like the domain: each policy reads state and an event and returns commands
(by ``system``); the service sends them through the same door as everyone else.
"""

from tenfour.policies.config import PolicyConfig
from tenfour.policies.reactions import react, steps
from tenfour.policies.recommend import DriveTimeOracle, Ranked, recommend
from tenfour.policies.timers import Watches

__all__ = ["DriveTimeOracle", "PolicyConfig", "Ranked", "Watches", "react", "recommend", "steps"]
