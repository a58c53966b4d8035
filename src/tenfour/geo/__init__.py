"""Maps and drive times: OSM loading, snapping, drive-time ranking, routes, geocoding.

Knows nothing of incidents or units; callers pass points and get times and names::

    roads = load_map("demo")  # northern San Francisco, cached per process
    units = roads.snap_many([(37.7880097, -122.3998107), (37.7962215, -122.39697)])
    times = roads.drive_times((37.7925893, -122.3958821), units)  # one search
    times.ranking()  # origin indices, fastest first

Units that stay on the map between rankings go in a :class:`DriveTimeIndex`, which
ranks thousands of them toward any point in a millisecond or two (a contraction
hierarchy) and keeps each one's search while it does not move::

    index = roads.index()
    index.place_many(["ZPD-1", "ZPD-2"], [(37.7880097, -122.3998107), (37.79622, -122.39697)])
    index.place("ZPD-1", (37.7962215, -122.39697))  # moved: relabels that unit only
    index.ranking((37.7925893, -122.3958821)).keys  # fastest first

Imported city maps (``tenfour map import``) load by name: ``load_map("porto")``.
"""

from tenfour.geo.errors import (
    ClosureError,
    CoordinateError,
    GeocodeError,
    GeoError,
    MapError,
    OutsideMapError,
)
from tenfour.geo.geocoding import Geocoded
from tenfour.geo.index import DriveTimeIndex, Ranking
from tenfour.geo.mapfile import SUFFIX as MAP_SUFFIX
from tenfour.geo.maps import import_map
from tenfour.geo.osm import RoadNetwork, load_network
from tenfour.geo.projection import haversine_m
from tenfour.geo.roadmap import DEMO_MAP, MAX_SNAP_M, RoadMap, demo_map_path, load_map
from tenfour.geo.tags import DEFAULT_SPEED_KMH
from tenfour.geo.values import (
    ArcPosition,
    Bounds,
    DriveTimes,
    LatLon,
    Route,
    Snap,
    SnappedPoints,
)

__all__ = [
    "DEFAULT_SPEED_KMH",
    "DEMO_MAP",
    "MAP_SUFFIX",
    "MAX_SNAP_M",
    "ArcPosition",
    "Bounds",
    "ClosureError",
    "CoordinateError",
    "DriveTimeIndex",
    "DriveTimes",
    "GeoError",
    "GeocodeError",
    "Geocoded",
    "LatLon",
    "MapError",
    "OutsideMapError",
    "Ranking",
    "RoadMap",
    "RoadNetwork",
    "Route",
    "Snap",
    "SnappedPoints",
    "demo_map_path",
    "haversine_m",
    "import_map",
    "load_map",
    "load_network",
]
