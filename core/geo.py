"""Where things are on campus: buildings by name, alias or nearby coordinates; walking distances."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from geopy.distance import geodesic

from core.campus import Building, Campus, normalize_name
from core.errors import UnknownBuilding

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float


@lru_cache(maxsize=4096)  # mostly the same few building pairs (every quote prices one), at ~80 µs each
def geodesic_m(a: Point, b: Point) -> float:
    return geodesic((a.lat, a.lon), (b.lat, b.lon)).meters


def walking_m(campus: Campus, a: Point, b: Point) -> int:
    """Walking distance in whole metres: paths on campus are not straight lines."""
    return round(geodesic_m(a, b) * campus.walking_detour)


def building_point(b: Building) -> Point:
    return Point(b.lat, b.lon)


def walking_between(campus: Campus, a: Building, b: Building) -> int:
    return walking_m(campus, building_point(a), building_point(b))


def find_building(campus: Campus, text: str) -> Building:
    """Exact name, alias or id first (any case or width), then a unique partial match; when several match, the
    refusal's `suggestions` are their ids."""
    key = normalize_name(text)
    if not key:
        raise UnknownBuilding(name=text)
    for b in campus.buildings:
        if any(normalize_name(n) == key for n in b.all_names()):
            return b
    partial = [b for b in campus.buildings if any(key in normalize_name(n) for n in b.all_names())]
    if len(partial) == 1:
        return partial[0]
    raise UnknownBuilding(name=text, suggestions=[b.id for b in partial])


def nearest_building(campus: Campus, at: Point) -> Building:
    """The building a shared location stands for; refused when nothing is within the campus radius, saying whether
    the point is off campus or on it but near no building."""
    best = min(campus.buildings, key=lambda b: geodesic_m(at, building_point(b)))
    if geodesic_m(at, building_point(best)) > campus.nearby_radius_m:
        raise UnknownBuilding("error-place-near-no-building" if on_campus(campus, at) else "error-place-off-campus")
    return best


def outside_campus_m(campus: Campus, at: Point) -> float:
    """How far a point lies outside the area the campus's buildings span (0 inside it, between buildings too)."""
    lats = [b.lat for b in campus.buildings]
    lons = [b.lon for b in campus.buildings]
    edge = Point(min(max(at.lat, min(lats)), max(lats)), min(max(at.lon, min(lons)), max(lons)))
    return geodesic_m(at, edge)


def on_campus(campus: Campus, at: Point) -> bool:
    """Within the campus's area, or no farther outside it than a shared location may be from a building."""
    return outside_campus_m(campus, at) <= campus.nearby_radius_m


def distance_matrix_m(lat_a: np.ndarray, lon_a: np.ndarray, lat_b: np.ndarray, lon_b: np.ndarray) -> np.ndarray:
    """Great-circle distances (haversine) for every pair, vectorised for dispatch.

    On campus scale (a few km) this agrees with geopy's geodesic to well under 1%.
    """
    la1, lo1 = np.radians(lat_a)[:, None], np.radians(lon_a)[:, None]
    la2, lo2 = np.radians(lat_b)[None, :], np.radians(lon_b)[None, :]
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
