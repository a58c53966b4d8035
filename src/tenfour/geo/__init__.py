"""Maps and drive times: OSM loading, snapping, drive-time ranking, routes, geocoding.

Knows nothing of incidents or units; callers pass points and get times and names::

    roads = load_map("demo")  # northern San Francisco, cached per process
    units = roads.snap_many([(37.7880097, -122.3998107), (37.7962215, -122.39697)])
    times = roads.drive_times((37.7925893, -122.3958821), units)  # one search
    times.ranking()  # origin indices, fastest first
"""

from tenfour.geo.errors import (
    CoordinateError,
    GeocodeError,
    GeoError,
    MapError,
    OutsideMapError,
)
from tenfour.geo.geocoding import Geocoded
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
    "MAX_SNAP_M",
    "ArcPosition",
    "Bounds",
    "CoordinateError",
    "DriveTimes",
    "GeoError",
    "GeocodeError",
    "Geocoded",
    "LatLon",
    "MapError",
    "OutsideMapError",
    "RoadMap",
    "RoadNetwork",
    "Route",
    "Snap",
    "SnappedPoints",
    "demo_map_path",
    "haversine_m",
    "load_map",
    "load_network",
]
