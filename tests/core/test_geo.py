"""Finding campus buildings the way students name them, and the distances pricing and dispatch rely on."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.campus_file import load_campus
from core.errors import UnknownBuilding
from core.geo import (
    Point,
    building_point,
    distance_matrix_m,
    find_building,
    geodesic_m,
    nearest_building,
    on_campus,
    outside_campus_m,
    walking_between,
)

CAMPUS = load_campus(Path(__file__).resolve().parents[2] / "campus" / "demo.yaml")


@pytest.mark.parametrize("typed, building", [
    ("菜鸟驿站", "parcel_station"), ("驿站", "parcel_station"), ("Parcel Station", "parcel_station"),
    ("parcel station", "parcel_station"), ("  cainiao ", "parcel_station"), ("Ｆ１", "dorm_f1"), ("f1", "dorm_f1"), ("Nowhere", None),
    ("女3", "dorm_f3"), ("library", "library"), ("LIB", "library"), ("dorm_m2", "dorm_m2"),
    ("Halal", "canteen_halal"), ("清真", "canteen_halal"),
])
def test_names_aliases_case_and_width_do_not_matter(typed, building):
    if building is None:
        with pytest.raises(UnknownBuilding):
            find_building(CAMPUS, typed)
    else:
        assert find_building(CAMPUS, typed).id == building


def test_a_unique_part_of_a_name_is_enough_but_an_ambiguous_one_is_refused():
    assert find_building(CAMPUS, "Laboratory").id == "lab_building"
    with pytest.raises(UnknownBuilding) as err:
        find_building(CAMPUS, "Dorm")  # every dormitory matches
    assert err.value.args_["suggestions"]


def test_unknown_or_empty_names_are_refused():
    for text in ("Hogwarts", "", "   "):
        with pytest.raises(UnknownBuilding):
            find_building(CAMPUS, text)


def test_a_shared_location_picks_the_building_within_the_radius():
    dorm = CAMPUS.building("dorm_m1")
    assert nearest_building(CAMPUS, Point(dorm.lat + 0.0002, dorm.lon)).id == "dorm_m1"  # about 22 m away
    far = Point(dorm.lat + 0.05, dorm.lon)  # about 5.5 km off campus
    with pytest.raises(UnknownBuilding):
        nearest_building(CAMPUS, far)


def test_on_campus_is_the_area_the_buildings_span_plus_the_nearby_radius():
    between = Point(30.2575, 120.1225)  # among the buildings, farther than the radius from each
    with pytest.raises(UnknownBuilding):
        nearest_building(CAMPUS, between)
    assert outside_campus_m(CAMPUS, between) == 0 and on_campus(CAMPUS, between)
    north = CAMPUS.building("gate_north")  # the northernmost building
    assert on_campus(CAMPUS, Point(north.lat + 0.001, north.lon))  # about 111 m beyond it
    assert not on_campus(CAMPUS, Point(north.lat + 0.002, north.lon))  # about 222 m
    assert outside_campus_m(CAMPUS, Point(north.lat + 0.05, north.lon)) == pytest.approx(5_544, rel=0.01)


def test_walking_is_the_straight_line_times_the_campus_detour():
    a, b = CAMPUS.building("parcel_station"), CAMPUS.building("dorm_f3")
    straight = geodesic_m(building_point(a), building_point(b))
    assert walking_between(CAMPUS, a, b) == round(straight * CAMPUS.walking_detour)
    assert walking_between(CAMPUS, a, a) == 0


coords = st.tuples(st.floats(30.25, 30.27), st.floats(120.11, 120.13))


@settings(max_examples=50, deadline=None)
@given(a=st.lists(coords, min_size=1, max_size=5), b=st.lists(coords, min_size=1, max_size=5))
def test_the_vectorised_distances_agree_with_geopy_on_campus_scale(a, b):
    matrix = distance_matrix_m(np.array([p[0] for p in a]), np.array([p[1] for p in a]),
                               np.array([p[0] for p in b]), np.array([p[1] for p in b]))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            exact = geodesic_m(Point(*p), Point(*q))
            assert abs(matrix[i, j] - exact) <= max(0.5, 0.005 * exact)
