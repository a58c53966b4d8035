"""Ten-Four: an open-source computer-aided dispatch (CAD) system.

Tips and calls come in, become incidents, the right units are sent by road drive
time, officers are watched over by timers and an emergency button, and every
action is kept in a verifiable journal. See ``service.Service`` for the one door.
"""

__version__ = "0.1.0"
