"""Lane tables: the carriers' usual transit days, shipped as dated data files.

``tracking/estimates/data/lanes/*.toml`` each carry a ``valid_from`` date; a parcel uses the newest file of
its kind valid on its hand-over day, so a carrier's service change is a new file, never an edit
of history. A file may ``extend`` another and override single lanes.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from tracking import calendars

DATA = Path(__file__).parent / "data" / "lanes"


@dataclass(frozen=True)
class Place:
    """Where a parcel starts or ends, as precisely as lanes need."""

    country: str  # ISO 3166 alpha-2
    region: str = ""  # JP delivery region, US ZIP national area ("0".."9"), else ""
    prefecture: str = ""  # JP only: the learned lanes' finer key
    remote_days: int = 0  # JP islands served by ship or plane

    @property
    def key(self) -> str:
        """The finest lane key: prefecture in Japan, ZIP area in the US, else the country."""
        return self.prefecture or self.region or self.country


@dataclass(frozen=True)
class Lane:
    """What a parcel travels: carrier, service, origin and destination."""

    carrier: str
    service: str
    origin: Place
    dest: Place

    @property
    def calendar(self) -> calendars.Calendar:
        # An order without a usable postcode has no known destination country: its parcel is
        # delivered by the calendar of the shop's own country, the common (domestic) case.
        country = self.dest.country or self.origin.country or "JP"
        return calendars.delivery_calendar(self.carrier, self.service, country)


@cache
def _jp_regions() -> tuple[list[tuple[int, int, str, str]], dict[str, int]]:
    data = tomllib.loads((DATA / "jp-regions.toml").read_text(encoding="utf-8"))
    ranges = []
    for pref, spec in data["prefectures"].items():
        for span in spec["postcodes"]:
            lo, hi = (int(x) for x in span.split("-"))
            ranges.append((lo, hi, pref, spec["region"]))
    return ranges, dict(data["remote"])


def place_for(postcode: str, country: str = "") -> Place:
    """A place from a stored (normalized) postcode; the country is guessed from its shape when
    not given: seven digits are Japanese, five (or nine) digits American."""
    digits = re.sub(r"\D", "", postcode or "")
    if not country:
        if len(digits) == 7 and len(postcode.replace("-", "")) == 7:
            country = "JP"
        elif len(digits) in (5, 9):
            country = "US"
    if country == "JP" and len(digits) >= 3:
        ranges, remote = _jp_regions()
        first3 = int(digits[:3])
        # the longest matching prefix decides (小笠原 inside 東京's 100)
        best = max((p for p in remote if digits.startswith(p)), key=len, default=None)
        extra = remote[best] if best else 0
        for lo, hi, pref, region in ranges:
            if lo <= first3 <= hi:
                return Place("JP", region, pref, extra)
        return Place("JP")
    if country == "US" and digits:
        return Place("US", digits[0])
    return Place(country or "")


@dataclass(frozen=True)
class LaneDays:
    days: int
    spread: int
    table: str  # the data file that said so, e.g. "jp-2024"


@cache
def _raw(name: str) -> dict:
    return tomllib.loads((DATA / f"{name}.toml").read_text(encoding="utf-8"))


@cache
def _resolved(name: str) -> dict:
    """A file with its ``extends`` chain applied (carrier sections merged key by key; lane
    overrides accumulate, the newest last)."""
    raw = _raw(name)
    if "extends" not in raw:
        return raw
    base = _resolved(raw["extends"])
    merged = {**base, **{k: v for k, v in raw.items() if k not in ("carriers", "extends")}}
    carriers = {code: dict(spec) for code, spec in base.get("carriers", {}).items()}
    for code, spec in raw.get("carriers", {}).items():
        entry = carriers.setdefault(code, {})
        overrides = entry.get("overrides", []) + spec.get("overrides", [])
        entry.update(spec)
        entry["overrides"] = overrides
    merged["carriers"] = carriers
    return merged


@cache
def _files() -> list[tuple[str, date, dict]]:
    names = sorted(p.stem for p in DATA.glob("*.toml") if p.stem != "jp-regions")
    files = [(n, _resolved(n)) for n in names]
    return sorted(((n, f["valid_from"], f) for n, f in files), key=lambda t: t[1])


def table_carriers() -> set[str]:
    """Every carrier some lane table knows."""
    return {code for _n, _v, data in _files() for code in data.get("carriers", {})}


def _table_for(handover: date, *, country: str = "", international: bool = False):
    chosen = None
    for name, valid_from, data in _files():
        if valid_from > handover:
            continue
        if bool(data.get("international")) != international:
            continue
        if not international and data.get("country") != country:
            continue
        chosen = (name, data)
    return chosen


def _carrier_spec(data: dict, carrier: str) -> dict | None:
    spec = data.get("carriers", {}).get(carrier)
    if spec is None:
        return None
    like = spec.get("like")
    if like:
        base = dict(data["carriers"][like])
        base["overrides"] = []  # the copied carrier's own overrides are its own
        return {**base, **spec, "like": None}
    return spec


def _jp_days(data: dict, spec: dict, origin: Place, dest: Place) -> int | None:
    regions = data["regions"]
    if origin.region not in regions or dest.region not in regions:
        return None
    days = spec["days"][origin.region][regions.index(dest.region)]
    for a, b, value in spec.get("overrides", []):
        if {a, b} == {origin.region, dest.region}:
            days = value
    return days


def lane_days(
    carrier: str, service: str, origin: Place, dest: Place, handover: date
) -> LaneDays | None:
    """The table's transit days for this lane on ``handover``, or None when no table knows it."""
    international = bool(origin.country and dest.country and origin.country != dest.country)
    found = _table_for(handover, country=origin.country, international=international)
    if found is None:
        return None
    name, data = found
    spec = _carrier_spec(data, carrier)
    if spec is None:
        return None
    spread = int(spec.get("spread", 1))
    if international:
        zone = next((z for z, cs in data["zones"].items() if dest.country in cs), "rest")
        by_zone = spec.get("from", {}).get(origin.country)
        if not by_zone:
            return None
        return LaneDays(by_zone.get(zone, by_zone["rest"]), spread, name)
    if origin.country == "JP":
        days = _jp_days(data, spec, origin, dest)
        if days is None:
            return None
        extra = spec.get("services", {}).get(service, 0)
        return LaneDays(days + extra + dest.remote_days, spread, name)
    if origin.country == "US":
        fixed = spec.get("fixed", {})
        if service in fixed:
            return LaneDays(fixed[service], 0, name)
        bands = spec["bands"]
        if not (origin.region.isdigit() and dest.region.isdigit()):
            return None
        return LaneDays(bands[abs(int(origin.region) - int(dest.region))], spread, name)
    return None
