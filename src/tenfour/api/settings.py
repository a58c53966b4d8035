"""How a server is set up: where its journal is, which map, and its safety numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tenfour.clock import Clock


@dataclass
class Settings:
    database: str = "tenfour.db"
    map: str = "demo"
    #: Load the demo city (roster and staff accounts) into an empty journal.
    demo: bool = True
    session_idle: timedelta = timedelta(minutes=30)
    max_failed_logins: int = 5
    lock_for: timedelta = timedelta(minutes=10)
    #: Public tips allowed per address per window.
    tips_per_window: int = 5
    tip_window: timedelta = timedelta(minutes=10)
    heartbeat_s: float = 15.0
    #: Events the live feed keeps in memory for clients that resume.
    feed_buffer: int = 20_000
    #: Messages a slow live client may lag before it is told to start again.
    client_queue: int = 5_000
    #: Cookies marked Secure (behind HTTPS). Off for http://127.0.0.1 development.
    secure_cookies: bool = False
    #: Cheap password hashing for tests only.
    fast_hashing: bool = False
    #: Print how to log in (the demo accounts' generated passwords) at start.
    announce: bool = False
    #: The clock (tests inject a simulated one); None means wall-clock time.
    clock: Clock | None = None
