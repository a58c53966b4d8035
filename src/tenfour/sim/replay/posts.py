"""Where an ambulance goes between calls: its post.

After a call an ambulance drives back to its post, not to wherever it happened to
clear. Ten-Four's domain has no command for this (DOMAIN.md: a unit reports its own
position with ``unit.locate``; nothing sends it anywhere but to an incident or a
hospital), so posts belong to the simulation: the replay drives its ambulances there.

Two sources, per agency:

- **configured** (``replay sffd --posts FILE``): a YAML file of named posts per
  agency, optionally with the units posted there::

      posts:
        SFFD:
          - {id: P-3, lat: 37.7880, lon: -122.4093, units: ["55", "57"]}
          - {id: P-36, lat: 37.7765, lon: -122.4245}

  A listed unit returns to its post; another ambulance of the agency to the agency's
  post nearest to where it cleared. An agency the file does not name falls back to
  the estimate below.
- **estimated from the records** (``PostEstimator``): the median point (latitude and
  longitude separately) of the calls the unit really answered that were dispatched
  strictly before the moment asked about. Only what a dispatch center knew then
  counts, never a later call, so the replay's positions stay an honest guess. Before
  its first known call an ambulance returns to where it started the replay.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tenfour.domain.values import distance_m
from tenfour.sim.replay.calls import Call

#: Unit kinds that return to a post between calls.
AMBULANCE_KINDS = frozenset({"ambulance-als", "ambulance-bls"})

LatLon = tuple[float, float]


class PostError(ValueError):
    """A posts file that cannot be used; the message names the field and the reason."""


class Post(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1, max_length=40)]
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    #: Units posted here (call signs); others of the agency take the nearest post.
    units: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(default_factory=list)


class PostsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    posts: dict[Annotated[str, Field(min_length=1, max_length=40)], list[Post]]

    @field_validator("posts")
    @classmethod
    def _distinct(cls, posts: dict[str, list[Post]]) -> dict[str, list[Post]]:
        for agency, listed in posts.items():
            if not listed:
                raise ValueError(f"agency {agency!r} lists no post (give one, or leave it out)")
            ids: set[str] = set()
            units: dict[str, str] = {}
            for post in listed:
                if post.id in ids:
                    raise ValueError(f"agency {agency!r}: post id {post.id!r} is used twice")
                ids.add(post.id)
                for unit in post.units:
                    if unit in units:
                        raise ValueError(
                            f"agency {agency!r}: unit {unit!r} is posted at both "
                            f"{units[unit]!r} and {post.id!r}"
                        )
                    units[unit] = post.id
        return posts

    def post_for(self, agency: str, unit: str, cleared_at: LatLon) -> LatLon | None:
        """The configured post of ``unit``: its own, else its agency's nearest to where
        it cleared; None when the file has no posts for the agency."""
        listed = self.posts.get(agency)
        if not listed:
            return None
        for post in listed:
            if unit in post.units:
                return (post.lat, post.lon)
        best = min(listed, key=lambda p: distance_m(cleared_at, (p.lat, p.lon)))
        return (best.lat, best.lon)


def load_posts_file(path: Path) -> PostsFile:
    """Read and validate a posts file; ``PostError`` names the field and the reason."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PostError(f"{path}: cannot read it ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        raise PostError(f"{path}: not valid YAML ({error})") from None
    return parse_posts(raw, str(path))


def parse_posts(raw: Any, source: str = "posts") -> PostsFile:
    if not isinstance(raw, Mapping):
        raise PostError(f"{source}: expected a mapping with a 'posts:' key")
    try:
        return PostsFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "posts"
        more = len(error.errors()) - 1
        also = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise PostError(f"{source}: {where}: {first['msg']}{also}") from None


@dataclass(frozen=True, slots=True)
class _Seen:
    """One real response of a unit: when it was dispatched and where the call was."""

    dispatch: datetime
    lat: float
    lon: float


class PostEstimator:
    """Each ambulance's post at a moment, from its real calls dispatched before it."""

    def __init__(self, calls: Iterable[Call], kinds: frozenset[str] = AMBULANCE_KINDS) -> None:
        seen: dict[str, list[_Seen]] = defaultdict(list)
        for call in calls:
            if call.lat is None or call.lon is None:
                continue
            for slot in call.slots:
                if slot.kind in kinds:
                    seen[slot.unit].append(_Seen(slot.dispatch, call.lat, call.lon))
        self._seen = {unit: sorted(s, key=lambda x: x.dispatch) for unit, s in seen.items()}
        self._times = {unit: [s.dispatch for s in ss] for unit, ss in self._seen.items()}
        self._medians: dict[tuple[str, int], LatLon] = {}

    def known(self, unit: str, at: datetime) -> int:
        """How many of ``unit``'s real calls were dispatched strictly before ``at``."""
        return bisect.bisect_left(self._times.get(unit, []), at)

    def post(self, unit: str, at: datetime) -> LatLon | None:
        """The median point of ``unit``'s calls dispatched before ``at`` (None: none yet)."""
        count = self.known(unit, at)
        if count == 0:
            return None
        key = (unit, count)
        cached = self._medians.get(key)
        if cached is None:
            points = np.asarray([(s.lat, s.lon) for s in self._seen[unit][:count]])
            cached = (float(np.median(points[:, 0])), float(np.median(points[:, 1])))
            if not all(math.isfinite(v) for v in cached):
                return None
            self._medians[key] = cached
        return cached
