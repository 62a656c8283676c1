"""Coordinate conversion RD New (EPSG:28992) <-> WGS84 (EPSG:4326) with pyproj (imported lazily)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

RD = "EPSG:28992"
WGS84 = "EPSG:4326"


@functools.cache
def _transformer(src: str, dst: str):
    from pyproj import Transformer

    # always_xy: (lon, lat) and (x, y) order regardless of the CRS axis definition.
    return Transformer.from_crs(src, dst, always_xy=True)


def rd_to_wgs84(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """RD New (EPSG:28992) metres -> WGS84 (lat, lon) degrees (pyproj).

    Examples
    --------
    >>> lat, lon = rd_to_wgs84(155000, 463000)  # Amersfoort, the RD origin
    >>> round(float(lat), 4), round(float(lon), 4)
    (52.1552, 5.3872)
    """
    lon, lat = _transformer(RD, WGS84).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lat), np.asarray(lon)


def wgs84_to_rd(lat: Any, lon: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 (lat, lon) degrees -> RD New (x, y) metres (pyproj).

    Examples
    --------
    >>> x, y = wgs84_to_rd(52.15517440, 5.38720621)
    >>> round(float(x)), round(float(y))
    (155000, 463000)
    """
    x, y = _transformer(WGS84, RD).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)
