"""The :class:`Geography` of one gemeente: units per level, names, population, polygons, versions.

A Geography is built by :func:`wijklib.geo.load` from a folder of CBS/PDOK files (see
``docs/contracts.md``, "Geography"); this module holds the queries. Polygons are kept in RD New
(EPSG:28992) metres, where areas, lengths and tolerances mean something.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wijklib.geo._crs import RD, WGS84
from wijklib.geo._names import (
    AmbiguousUnitError,
    GeoDataError,
    MissingGeoDataError,
    UnknownUnitError,
    as_text,
    name_key,
    parse_code,
)

#: Default tolerance (metres) for two outlines to count as touching, and the shortest shared
#: border (metres) that makes two units neighbours (a corner touch or a sliver is not a border).
ADJACENCY_TOLERANCE_M = 2.0
ADJACENCY_MIN_BORDER_M = 10.0
#: Overlap shares below this are boundary noise between two kaart years (digitising differences),
#: not a real move of residents; they are dropped and the remaining weights renormalised.
CROSSWALK_MIN_SHARE = 0.001

_PLURALS = {"buurt": "buurten", "wijk": "wijken", "wijkraad": "wijkraden", "gebied": "gebieden",
            "stadsdeel": "stadsdelen", "gemeente": "gemeenten", "kern": "kernen", "dorp": "dorpen"}


def _plural(level: str) -> str:
    return _PLURALS.get(level, level + "s")


@dataclass
class _Parts:
    """Everything a Geography is made of (filled by the reader, validated there)."""

    gemeente_code: str
    gemeente_naam: str
    hierarchy: pd.DataFrame                     # one row per finest unit: key/name per level
    levels: tuple[str, ...]                     # finest first, "gemeente" last
    key_columns: dict[str, str]
    name_columns: dict[str, str]
    cbs_levels: dict[str, str]                  # CBS kind ("buurt", "wijk") -> level name here
    shapes: dict[str, Any] = field(default_factory=dict)          # level -> GeoSeries (RD) by code
    shapes_approx: dict[str, bool] = field(default_factory=dict)
    context: Any = None                         # GeoDataFrame of CBS areas that are no unit here
    water: Any = None                           # GeoDataFrame of water surfaces (drawn on maps)
    points: dict[str, pd.DataFrame] = field(default_factory=dict)  # level -> code, x, y (RD)
    points_approx: dict[str, bool] = field(default_factory=dict)
    population: pd.DataFrame | None = None      # code, year, population (Int64) at pop_level
    pop_level: str | None = None
    pop_estimated: bool = False
    years: tuple[int, ...] = ()
    current_year: int | None = None
    typed_crosswalk: pd.DataFrame | None = None  # year_from, old_code, new_code, weight
    crosswalk_illustrative: bool = False
    kaarten: dict[int, Any] = field(default_factory=dict)          # year -> GeoSeries finest CBS
    kaart_populations: dict[int, pd.Series] = field(default_factory=dict)
    old_names: dict[str, str] = field(default_factory=dict)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    name_priority: tuple[str, ...] = ()
    level_words: dict[str, str] = field(default_factory=dict)
    estimated: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    source: str = ""
    adjacency_tolerance_m: float = ADJACENCY_TOLERANCE_M
    adjacency_min_border_m: float = ADJACENCY_MIN_BORDER_M
    default_level: str | None = None


class Geography:
    """The geography of one gemeente, read from CBS/PDOK files by :func:`wijklib.geo.load`.

    Levels run from finest to coarsest (e.g. ``buurt, wijk, wijkraad, gebied, gemeente``); each
    has a key column (``buurt_code``, ``wijkraad_id``, ...) and a name column (the level name).
    Every method returns fresh copies; the Geography itself does not change after loading.

    Examples
    --------
    >>> from wijklib import geo
    >>> g = geo.active()
    >>> g.levels[0], g.levels[-1]
    ('buurt', 'gemeente')
    """

    def __init__(self, parts: _Parts) -> None:
        self._p = parts
        self._cache: dict[Any, Any] = {}
        self._normalize_text = functools.lru_cache(maxsize=8192)(self._normalize_text_uncached)

    # ------------------------------------------------------------------ description
    @property
    def gemeente_code(self) -> str:
        return self._p.gemeente_code

    @property
    def gemeente_naam(self) -> str:
        return self._p.gemeente_naam

    @property
    def levels(self) -> tuple[str, ...]:
        """Level names, finest first; the last is ``"gemeente"``."""
        return self._p.levels

    @property
    def key_columns(self) -> dict[str, str]:
        return dict(self._p.key_columns)

    @property
    def name_columns(self) -> dict[str, str]:
        return dict(self._p.name_columns)

    @property
    def geography_years(self) -> tuple[int, ...]:
        """Years whose codes this geography knows (via the kaarten or a declared crosswalk)."""
        return self._p.years

    @property
    def current_year(self) -> int:
        """The geography year of the units (older codes reach it through :meth:`crosswalk`)."""
        return int(self._p.current_year)  # type: ignore[arg-type]

    @property
    def population_years(self) -> tuple[int, ...]:
        if self._p.population is None:
            return ()
        return tuple(sorted(int(y) for y in self._p.population["year"].unique()))

    @property
    def estimated(self) -> tuple[str, ...]:
        """What the manifest declares estimated or approximate (e.g. ``bevolking``, ``buurtgrenzen``)."""
        return self._p.estimated

    @property
    def source(self) -> str:
        return self._p.source

    @property
    def cbs_levels(self) -> dict[str, str]:
        """CBS kind (``buurt``, ``wijk``) -> the level name it has in this geography."""
        return dict(self._p.cbs_levels)

    def polygons_approximate(self, level: str) -> bool:
        """True when the outlines of ``level`` are drawn (schematic), not delivered real borders."""
        self._check_level(level)
        lv = self._shape_source_level(level)
        if lv is None:
            return True
        approx = self._p.shapes_approx.get(lv, False)
        # A unit dissolved from approximate finer outlines is approximate too.
        return bool(approx)

    def has_polygons(self, level: str) -> bool:
        self._check_level(level)
        return self._shape_source_level(level) is not None

    def missing(self) -> list[str]:
        """Plain statements of what this geography lacks (shown by ``python -m wijklib.geo check``)."""
        out = []
        if self._p.population is None:
            out.append("no kwb table delivered: population() is not available")
        for lv in self.levels[:-1]:
            if not self.has_polygons(lv):
                out.append(f"no polygons for level {lv!r} (only points or codes)")
        if len(self.geography_years) <= 1:
            out.append("one geography year only: no crosswalk to older codes")
        return out

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(self._unit_table(lv))} {_plural(lv)}" for lv in self.levels[:-1])
        return (f"Geography({self.gemeente_code} {self.gemeente_naam}: {counts}; "
                f"years {self.geography_years[0]}-{self.geography_years[-1]}; source {self.source})")

    # ------------------------------------------------------------------ hierarchy
    def _check_level(self, level: str) -> None:
        if level not in self._p.levels:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(self._p.levels)}")

    def _memo(self, key: Any, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def parents(self, level: str) -> tuple[str, ...]:
        """Coarser levels ``level`` nests in (each of its units lies in exactly one of theirs)."""
        self._check_level(level)
        return self._memo(("parents", level), lambda: self._compute_parents(level))

    def _compute_parents(self, level: str) -> tuple[str, ...]:
        h = self._p.hierarchy
        i = self.levels.index(level)
        out = []
        for lv in self.levels[i + 1:]:
            if lv == "gemeente":
                out.append(lv)
                continue
            n = h.groupby(self._p.key_columns[level])[self._p.key_columns[lv]].nunique()
            if (n == 1).all():
                out.append(lv)
        return tuple(out)

    def hierarchy(self, year: int | None = None) -> pd.DataFrame:
        """One row per unit of the finest level with every coarser unit it belongs to.

        For an older ``year`` the finest codes valid in that year are listed; a code that changed
        since is placed where the current unit holding most of it (by the crosswalk) lies.
        """
        h = self._p.hierarchy
        if year is None or year == self.current_year:
            return h.copy()
        self._check_year(year, self.geography_years, "geography year")
        fkey = self._p.key_columns[self.levels[0]]
        valid = self.codes_in_year(year)
        cur = h[h[fkey].isin(valid)]
        old = sorted(set(valid) - set(h[fkey]))
        if not old:
            return cur.reset_index(drop=True)
        cw = self.crosswalk(year)
        cw = cw[cw["old_code"].isin(old)].sort_values(["old_code", "weight"], ascending=[True, False])
        main = cw.drop_duplicates("old_code")[["old_code", "new_code"]]
        extra = h.set_index(fkey).loc[main["new_code"]].reset_index(drop=True)
        extra.insert(0, fkey, main["old_code"].to_numpy())
        ncol = self._p.name_columns[self.levels[0]]
        extra[ncol] = [self._p.old_names.get(c, c) for c in main["old_code"]]
        out = pd.concat([cur, extra[h.columns]], ignore_index=True)
        return out.sort_values(fkey, ignore_index=True)

    @staticmethod
    def _check_year(year: Any, allowed: Sequence[int], what: str) -> int:
        if not allowed:
            raise MissingGeoDataError(f"{what} {year!r}: this geography has no such years")
        if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or int(year) not in allowed:
            raise ValueError(f"{what} {year!r} is not available; expected an int in "
                             f"{allowed[0]}..{allowed[-1]}")
        return int(year)

    def _unit_table(self, level: str) -> pd.DataFrame:
        self._check_level(level)
        return self._memo(("unit_table", level), lambda: self._compute_unit_table(level))

    def _compute_unit_table(self, level: str) -> pd.DataFrame:
        h = self._p.hierarchy
        if level == "gemeente":
            return pd.DataFrame({"gemeente_code": [self.gemeente_code], "gemeente": [self.gemeente_naam]})
        cols: list[str] = []
        for lv in (level, *self.parents(level)):
            cols += [self._p.key_columns[lv]] if lv == "gemeente" else [
                self._p.key_columns[lv], self._p.name_columns[lv]]
        key = self._p.key_columns[level]
        return h[cols].drop_duplicates(key).sort_values(key).reset_index(drop=True)

    def units(self, level: str | None = None, year: int | None = None) -> pd.DataFrame:
        """One row per unit of ``level``: key, name, coarser keys/names, member counts, population.

        ``population`` is the residents of ``year`` (default: the latest kwb year); without a kwb
        table the column holds missing values and ``attrs["population"]`` says why.
        """
        level = level or self.default_level
        out = self._unit_table(level).copy()
        key = self._p.key_columns[level]
        h = self._p.hierarchy
        for lv in reversed(self.levels[: self.levels.index(level)]):
            if level in self.parents(lv):
                out[f"n_{_plural(lv)}"] = out[key].map(h.groupby(key)[self._p.key_columns[lv]].nunique()) \
                    .astype("int64") if level != "gemeente" else h[self._p.key_columns[lv]].nunique()
        if self._p.population is None:
            out["population"] = pd.array([pd.NA] * len(out), dtype="Int64")
            out.attrs["population"] = "no kwb table delivered"
            if year is not None:
                raise MissingGeoDataError(f"units({level!r}, year={year}): no kwb table delivered in "
                                          f"{self.source}; population is not available")
            return out
        yrs = self.population_years
        year = yrs[-1] if year is None else self._check_year(year, yrs, "population year")
        try:
            pop = self.population(level, years=[year]).set_index(key)["population"]
        except MissingGeoDataError as exc:
            out["population"] = pd.array([pd.NA] * len(out), dtype="Int64")
            out.attrs["population"] = str(exc)
            return out
        out["population"] = out[key].map(pop).astype("int64")
        return out

    @property
    def default_level(self) -> str:
        """The reporting level: the manifest's, else the finest city level, else the CBS wijk."""
        return self._p.default_level or self._default_level()

    def _default_level(self) -> str:
        city = [lv for lv in self.levels[:-1] if lv not in self._p.cbs_levels.values()]
        if "wijkraad" in self.levels:
            return "wijkraad"
        if city:
            return city[0]
        return self._p.cbs_levels.get("wijk", self.levels[0])

    def name(self, unit: Any, level: str | None = None) -> str:
        """Display name of a unit given by code or any accepted spelling."""
        code = self.normalize(unit, level)
        lv = level or self._level_of_code(code)
        t = self._unit_table(lv)
        return str(t.loc[t[self._p.key_columns[lv]] == code, self._p.name_columns[lv]].iloc[0])

    def _level_of_code(self, code: str) -> str:
        for lv in reversed(self.levels):
            if code in self._code_sets()[lv]:
                return lv
        raise UnknownUnitError(f"unknown unit code {code!r}", value=code)

    def members(self, unit: Any, level: str | None = None, member_level: str | None = None) -> list[str]:
        """Codes of the units of ``member_level`` inside ``unit`` (sorted)."""
        level = level or self.default_level
        member_level = member_level or self.levels[max(0, self.levels.index(level) - 1)]
        self._check_level(level)
        self._check_level(member_level)
        if level != member_level and level not in self.parents(member_level):
            raise ValueError(f"a {member_level} does not nest in a {level}; expected member_level finer "
                             f"than {level!r}")
        code = self.normalize(unit, level)
        h = self._p.hierarchy
        if level == "gemeente":
            return sorted(h[self._p.key_columns[member_level]].unique().tolist())
        sel = h.loc[h[self._p.key_columns[level]] == code, self._p.key_columns[member_level]]
        return sorted(sel.unique().tolist())

    # ------------------------------------------------------------------ names and codes
    def _code_sets(self) -> dict[str, frozenset[str]]:
        return self._memo("code_sets", lambda: {
            lv: frozenset(self._unit_table(lv)[self._p.key_columns[lv]]) for lv in self.levels})

    def _kind_codes(self, kind: str) -> frozenset[str]:
        """Codes of the CBS kind (buurt/wijk/gemeente) in the current geography."""
        if kind == "gemeente":
            return frozenset([self.gemeente_code])
        lv = self._p.cbs_levels.get(kind)
        return self._code_sets()[lv] if lv else frozenset()

    def _name_index(self) -> dict[str, tuple[tuple[str, str, str], ...]]:
        return self._memo("name_index", self._compute_name_index)

    def _compute_name_index(self) -> dict[str, tuple[tuple[str, str, str], ...]]:
        h = self._p.hierarchy
        entries: dict[str, dict[tuple[str, str], str]] = {}

        def add(level: str, code: str, nm: str) -> None:
            entries.setdefault(name_key(nm), {}).setdefault((level, code), nm)

        cbs = set(self._p.cbs_levels.values())
        for lv in self.levels[:-1]:
            sub = h[[self._p.key_columns[lv], self._p.name_columns[lv]]].drop_duplicates()
            for code, nm in sub.itertuples(index=False):
                add(lv, code, nm)
                if lv not in cbs:
                    add(lv, code, code)  # a city unit's own id (slug) reads as a name too
        add("gemeente", self.gemeente_code, self.gemeente_naam)
        for lv, code, alias in self._p.aliases:
            add(lv, code, alias)
        for key, found in entries.items():
            per_level: dict[str, set[str]] = {}
            for lv, code in found:
                per_level.setdefault(lv, set()).add(code)
            clash = {lv: sorted(c) for lv, c in per_level.items() if len(c) > 1}
            if clash and key:
                raise GeoDataError(f"{self.source}: the name {key!r} names several units of one level: "
                                   f"{clash}; give them distinct names (or use codes)")
        return {k: tuple((lv, c, n) for (lv, c), n in v.items()) for k, v in entries.items()}

    def _convert(self, level: str, code: str, target: str) -> str:
        if level == target:
            return code
        h = self._p.hierarchy
        kc = self._p.key_columns
        if target == "gemeente":
            return self.gemeente_code
        if level == "gemeente":
            members = h[kc[target]].unique()
        else:
            if target in self.parents(level):
                return str(h.loc[h[kc[level]] == code, kc[target]].iloc[0])
            members = h.loc[h[kc[level]] == code, kc[target]].unique()
        if (level == "gemeente" or level in self.parents(target)) and len(members) == 1:
            return str(members[0])
        if level == "gemeente" or level in self.parents(target):
            shown = ", ".join(sorted(map(str, members))[:6])
            raise AmbiguousUnitError(
                f"{level} {code} holds {len(members)} units of level {target!r} ({shown}); "
                f"a {target} cannot be derived from it", value=code, level=target)
        raise AmbiguousUnitError(
            f"{level} {code} does not nest in a single {target} (a {level} is not part of the "
            f"{target} hierarchy); pass a {target} code or name", value=code, level=target)

    def _can_convert(self, level: str, code: str, target: str) -> bool:
        try:
            self._convert(level, code, target)
        except AmbiguousUnitError:
            return False
        return True

    def _suggest(self, text: str, level: str | None, k: int = 3) -> list[str]:
        from rapidfuzz import fuzz, process  # lazy: only needed on the error path

        prio = {lv: i for i, lv in enumerate(self._p.name_priority)}
        keys: list[str] = []
        labels: list[str] = []
        for key, found in self._name_index().items():
            usable = [(lv, code, nm) for lv, code, nm in found
                      if level is None or lv == level or self._can_convert(lv, code, level)]
            if not usable:
                continue
            lv, code, nm = min(usable, key=lambda m: (m[0] != level, prio.get(m[0], 99)))
            keys.append(key)
            labels.append(f"{nm} ({lv} {code})" if nm != code else f"{code} ({lv})")
        # Plain edit-distance ratio: typos and spelling variants, not substrings, are the usual error.
        res = process.extract(name_key(text) or text, keys, scorer=fuzz.ratio, limit=k)
        return [labels[i] for _, _score, i in res]

    def _historic_hint(self, code: str) -> str:
        years = self._code_years().get(code)
        if not years:
            return ""
        last = max(years)
        cw = self.crosswalk(last)
        targets = ", ".join(cw.loc[cw["old_code"] == code, "new_code"])
        return (f"; {code} is a code of geography {min(years)}-{last} (replaced by {targets}); "
                f"convert old data with geo.recode(df, column, from_year={last})")

    def _level_prefix(self) -> re.Pattern[str]:
        words = sorted({*self.levels, *self._p.level_words}, key=len, reverse=True)
        return self._memo("prefix_re", lambda: re.compile(
            r"\s*(" + "|".join(map(re.escape, words)) + r")\b[\s:\-]*(.+)", re.IGNORECASE))

    def _normalize_text_uncached(self, text: str, level: str | None) -> str:
        # A city unit's own id wins over reading it as a CBS code (a stadsdeel "12" is not WK....12).
        cbs = set(self._p.cbs_levels.values())
        for lv in ([level] if level else self.levels):
            if lv not in cbs and lv != "gemeente" and text in self._code_sets()[lv]:
                return text
        parsed = parse_code(text, self.gemeente_code[2:])
        if parsed is not None:
            kind, code = parsed
            if kind == "gemeente" and code != self.gemeente_code or (
                    kind != "gemeente" and code[2:6] != self.gemeente_code[2:]):
                raise UnknownUnitError(f"{text!r} reads as code {code}, which is not in gemeente "
                                       f"{self.gemeente_code} ({self.gemeente_naam})", value=text, level=level)
            known_kind = self._kind_codes(kind)
            if code not in known_kind:
                hint = self._historic_hint(code)
                from rapidfuzz import process

                close = [c for c, _, _ in process.extract(code, sorted(known_kind), limit=3)]
                read = "" if text == code else f" (read from {text!r})"
                if not known_kind:
                    raise UnknownUnitError(f"{text!r} reads as a CBS {kind} code, but this geography has no "
                                           f"CBS {kind} level (levels: {', '.join(self.levels)})",
                                           value=text, level=level)
                raise UnknownUnitError(
                    f"unknown {kind} code {code}{read}{hint}; closest known: "
                    f"{', '.join(close)}", value=text, level=level, suggestions=close)
            src_level = "gemeente" if kind == "gemeente" else self._p.cbs_levels[kind]
            return code if level is None else self._convert(src_level, code, level)
        idx = self._name_index()
        matches = idx.get(name_key(text), ())
        prefixed = self._level_prefix().match(text)
        if not matches and prefixed and name_key(prefixed.group(2)) in idx:
            # "Wijkraad Tarwewijk", "gebied Charlois": the word names the level when none is asked.
            word = prefixed.group(1).lower()
            said = self._p.level_words.get(word, word)
            return self._normalize_text(prefixed.group(2), level or said)
        if not matches:
            sugg = self._suggest(text, level)
            what = f"{level} " if level else "unit "
            raise UnknownUnitError(f"unknown {what}name or code {text!r}; closest known: "
                                   f"{'; '.join(sugg)}", value=text, level=level, suggestions=sugg)
        if level is None:
            for lv in self._p.name_priority:
                for mlv, code, _ in matches:
                    if mlv == lv:
                        return code
        exact = [code for mlv, code, _ in matches if mlv == level]
        if exact:
            return exact[0]
        results: set[str] = set()
        reasons: list[str] = []
        for mlv, code, _ in matches:
            try:
                results.add(self._convert(mlv, code, level))  # type: ignore[arg-type]
            except AmbiguousUnitError as exc:
                reasons.append(str(exc))
        if len(results) == 1:
            return results.pop()
        if not results:
            raise AmbiguousUnitError(f"{text!r} cannot be read as one {level}: {'; '.join(reasons)}",
                                     value=text, level=level)
        raise AmbiguousUnitError(f"{text!r} fits several units of level {level!r}: "
                                 f"{', '.join(sorted(results))}", value=text, level=level,
                                 suggestions=sorted(results))

    def normalize(self, value: Any, level: str | None = None) -> str:
        """Canonical code of a unit given as a code or a name in any common spelling.

        See :func:`wijklib.geo.normalize` for the accepted spellings.
        """
        if level is not None:
            self._check_level(level)
        text = as_text(value)
        if not text:
            raise UnknownUnitError(f"empty unit code or name ({value!r})", value=value, level=level)
        return self._normalize_text(text, level)

    def normalize_series(self, series: pd.Series, level: str, source: str | None = None,
                         column: str | None = None, *, first_row: int = 2) -> pd.Series:
        """Vectorised :meth:`normalize` (see :func:`wijklib.geo.normalize_series`)."""
        self._check_level(level)
        column = column if column is not None else series.name
        values = pd.Series(series.to_numpy(dtype=object), dtype=object)
        mapping: dict[Any, str] = {}
        failures: dict[Any, tuple[str, str]] = {}
        for raw in pd.unique(values.to_numpy()):
            t = as_text(raw)
            if not t:
                continue
            try:
                mapping[raw] = self._normalize_text(t, level)
            except UnknownUnitError as exc:
                failures[raw] = (t, str(exc))
        if failures:
            lines = []
            for raw, (t, msg) in list(failures.items())[:10]:
                rows = (first_row + np.flatnonzero(values.isin([raw]).to_numpy())).tolist()
                shown = ", ".join(map(str, rows[:5])) + (f" (+{len(rows) - 5} more)" if len(rows) > 5 else "")
                lines.append(f"row {shown}: value {t!r}: {msg}")
            where = ", ".join(p for p in (f"file {source}" if source else "",
                                          f"column {column!r}" if column is not None else "") if p)
            more = f" (and {len(failures) - 10} more values)" if len(failures) > 10 else ""
            raise UnknownUnitError(f"{where or 'series'}: {len(failures)} value(s) are not a known "
                                   f"{level}{more}:\n  " + "\n  ".join(lines),
                                   value=[t for t, _ in failures.values()], level=level)
        out = values.map(mapping).to_numpy()
        return pd.Series(out, index=series.index, name=series.name, dtype="str")

    # ------------------------------------------------------------------ versions
    def _codes_by_year(self) -> dict[int, frozenset[str]]:
        return self._memo("codes_by_year", self._compute_codes_by_year)

    def _compute_codes_by_year(self) -> dict[int, frozenset[str]]:
        finest = self.levels[0]
        codes = set(self._code_sets()[finest])
        years = self.geography_years
        out = {self.current_year: frozenset(codes)}
        cw = self._p.typed_crosswalk
        if cw is not None:
            # Walk back in time: undo each year's changes (a code kept by a split stays valid).
            for y in reversed(years[:-1]):
                rows = cw[cw["year_from"] == y]
                olds = set(rows["old_code"])
                missing = set(rows["new_code"]) - codes
                if missing:
                    raise GeoDataError(f"{self.source}: crosswalk year_from {y} maps to "
                                       f"{sorted(missing)}, which are not valid in {y + 1}")
                codes = (codes - (set(rows["new_code"]) - olds)) | olds
                out[y] = frozenset(codes)
            return out
        kaart_years = sorted(self._p.kaarten)
        for y in years:
            if y == self.current_year:
                continue
            base = max(k for k in kaart_years if k <= y)
            out[y] = frozenset(self._p.kaarten[base].index)
        return out

    def _code_years(self) -> dict[str, tuple[int, ...]]:
        def build() -> dict[str, tuple[int, ...]]:
            years: dict[str, list[int]] = {}
            for y, codes in sorted(self._codes_by_year().items()):
                for c in codes:
                    years.setdefault(c, []).append(y)
            return {c: tuple(v) for c, v in years.items()}
        return self._memo("code_years", build)

    def codes_in_year(self, year: int) -> list[str]:
        """Codes of the finest level valid in a geography year (sorted)."""
        self._check_year(year, self.geography_years, "geography year")
        return sorted(self._codes_by_year()[int(year)])

    def crosswalk(self, from_year: int, to_year: int | None = None, *,
                  changed_only: bool = False) -> pd.DataFrame:
        """Weights that carry finest-level codes of ``from_year`` to the geography of ``to_year``.

        From two kaarten the weights are derived from polygon overlap in RD metres: the share of
        the old unit's residents each new unit holds, assuming residents spread evenly within a
        new unit (kwb population of the new units), or the share of the old unit's area when no
        kwb table exists for the new year. ``attrs["method"]`` says which. Overlaps below
        :data:`CROSSWALK_MIN_SHARE` are digitising noise and are dropped (weights renormalised).

        Returns
        -------
        DataFrame
            ``old_code, new_code, weight``; the weights of each old code sum to 1.
        """
        years = self.geography_years
        from_year = self._check_year(from_year, years, "from_year")
        to_year = self.current_year if to_year is None else self._check_year(to_year, years, "to_year")
        if to_year < from_year:
            raise ValueError(f"to_year {to_year} is before from_year {from_year}; the crosswalk only "
                             f"maps old codes to newer geographies")
        key = ("crosswalk", from_year, to_year)
        out = self._memo(key, lambda: self._compute_crosswalk(from_year, to_year)).copy()
        out.attrs = dict(self._cache[key].attrs)
        if changed_only:
            out = out[(out["old_code"] != out["new_code"]) | (out["weight"] != 1.0)].reset_index(drop=True)
        return out

    def _compute_crosswalk(self, from_year: int, to_year: int) -> pd.DataFrame:
        cw = self._p.typed_crosswalk
        if cw is not None or from_year == to_year or not self._p.kaarten:
            current = {c: {c: 1.0} for c in self._codes_by_year()[from_year]}
            steps = cw if cw is not None else pd.DataFrame(columns=["year_from", "old_code", "new_code", "weight"])
            for y in range(from_year, to_year):
                rows = steps[steps["year_from"] == y]
                step: dict[str, dict[str, float]] = {}
                for old, new, w in rows[["old_code", "new_code", "weight"]].itertuples(index=False):
                    step.setdefault(old, {})[new] = step.get(old, {}).get(new, 0.0) + w
                nxt: dict[str, dict[str, float]] = {}
                for origin, dests in current.items():
                    acc: dict[str, float] = {}
                    for mid, w in dests.items():
                        for dst, w2 in step.get(mid, {mid: 1.0}).items():
                            acc[dst] = acc.get(dst, 0.0) + w * w2
                    nxt[origin] = acc
                current = nxt
            recs = [(o, d, w) for o, dests in current.items() for d, w in dests.items()]
            method = "declared" if cw is not None else "identity"
        else:
            recs, method = self._overlap_crosswalk(from_year, to_year)
        out = pd.DataFrame(recs, columns=["old_code", "new_code", "weight"])
        out["old_code"] = out["old_code"].astype("str")
        out["new_code"] = out["new_code"].astype("str")
        out["weight"] = out["weight"].astype(float)
        out = out.sort_values(["old_code", "new_code"], ignore_index=True)
        out.attrs.update(from_year=from_year, to_year=to_year, method=method,
                         illustrative=bool(self._p.crosswalk_illustrative and cw is not None))
        return out

    def _kaart_for(self, year: int):
        base = max(k for k in self._p.kaarten if k <= year)
        return base, self._p.kaarten[base]

    def _overlap_crosswalk(self, from_year: int, to_year: int) -> tuple[list[tuple[str, str, float]], str]:
        import shapely

        y0, old = self._kaart_for(from_year)
        y1, new = self._kaart_for(to_year)
        if y0 == y1:
            return [(c, c, 1.0) for c in old.index], "identity"
        pop = self._p.kaart_populations.get(y1)
        method = "population" if pop is not None and pop.notna().all() else "area"
        tree = shapely.STRtree(new.to_numpy())
        new_codes = new.index.to_numpy()
        new_area = shapely.area(new.to_numpy())
        recs: list[tuple[str, str, float]] = []
        for code, geom in old.items():
            idx = tree.query(geom, predicate="intersects")
            if len(idx) == 0:
                raise GeoDataError(f"{self.source}: unit {code} of the {y0} kaart overlaps no unit of the "
                                   f"{y1} kaart; expected every old unit inside the gemeente's new units")
            inter = shapely.area(shapely.intersection(geom, new.to_numpy()[idx]))
            share = inter / max(float(shapely.area(geom)), 1e-9)
            keep = share >= CROSSWALK_MIN_SHARE
            if not keep.any():
                keep = share == share.max()
            idx, inter = idx[keep], inter[keep]
            if method == "population":
                # Residents of each new unit spread evenly over it: the old unit gets the part of
                # the new unit's residents that lives in the overlap.
                w = inter / new_area[idx] * pop.reindex(new_codes[idx]).to_numpy(dtype=float)
                if w.sum() <= 0:
                    w = inter
            else:
                w = inter
            w = w / w.sum()
            recs += [(code, str(new_codes[i]), float(round(v, 6))) for i, v in zip(idx, w, strict=True)]
        return recs, method

    def recode(self, df: pd.DataFrame, column: str, from_year: int, value_cols: Sequence[str] | None = None,
               *, to_year: int | None = None) -> pd.DataFrame:
        """Carry a table keyed by finest-level codes of ``from_year`` to the current geography
        (see :func:`wijklib.geo.recode`)."""
        if column not in df.columns:
            raise KeyError(f"recode: column {column!r} not in the DataFrame (columns: {list(df.columns)})")
        value_cols = list(value_cols or [])
        for c in value_cols:
            if c not in df.columns:
                raise KeyError(f"recode: value column {c!r} not in the DataFrame")
            if not pd.api.types.is_numeric_dtype(df[c]):
                raise TypeError(f"recode: value column {c!r} has dtype {df[c].dtype}; expected numbers")
        cw = self.crosswalk(from_year, to_year)
        valid = set(cw["old_code"])
        codes: list[str | None] = []
        bad: dict[str, list[int]] = {}
        for pos, v in enumerate(df[column].to_numpy(dtype=object)):
            t = as_text(v)
            parsed = parse_code(t, self.gemeente_code[2:]) if t else None
            code = parsed[1] if parsed else (t if t in valid else None)
            if code is None or code not in valid:
                bad.setdefault(repr(t), []).append(pos)
            codes.append(code)
        if bad:
            items = [f"{v} at row position(s) {', '.join(map(str, p[:5]))}" for v, p in list(bad.items())[:10]]
            src = df.attrs.get("source")
            raise UnknownUnitError(
                f"{'file ' + str(src) + ', ' if src else ''}column {column!r}: value(s) not a "
                f"{self.levels[0]} code of geography {from_year}: " + "; ".join(items)
                + ". Check the geography year with geo.detect_year().", value=list(bad), level=self.levels[0])
        out = df.reset_index(drop=True).copy()
        out[column] = pd.Series(codes, dtype="str")
        if value_cols:
            merged = out.merge(cw, left_on=column, right_on="old_code", how="left", sort=False)
            merged[column] = merged["new_code"]
            for c in value_cols:
                merged[c] = merged[c] * merged["weight"]
            res = merged[list(out.columns)].reset_index(drop=True)
            res.attrs = dict(df.attrs)
            res.attrs["recode"] = dict(cw.attrs)
            return res
        best = cw.sort_values(["old_code", "weight"], ascending=[True, False]).drop_duplicates("old_code")
        best_map = dict(zip(best["old_code"], best["new_code"], strict=True))
        split = set(cw.loc[cw["weight"] < 1.0, "old_code"])
        out[column] = out[column].map(best_map).astype("str")
        out.attrs = dict(df.attrs)
        out.attrs["recode_reassigned"] = int(sum(c in split for c in codes))
        out.attrs["recode"] = dict(cw.attrs)
        return out

    def detect_year(self, codes: Iterable[Any]) -> int:
        """Latest geography year in which every given code exists (see :func:`wijklib.geo.detect_year`)."""
        years = self.geography_years
        years_all = set(years)
        per_code: dict[str, set[int]] = {}
        unknown: list[str] = []
        cy = self._code_years()
        finest_kind = next((k for k, lv in self._p.cbs_levels.items() if lv == self.levels[0]), None)
        for v in dict.fromkeys(as_text(v) for v in codes):
            if not v:
                continue
            parsed = parse_code(v, self.gemeente_code[2:])
            if parsed and parsed[0] == finest_kind:
                yrs = cy.get(parsed[1])
                if yrs is None:
                    unknown.append(v)
                else:
                    per_code[parsed[1]] = set(yrs)
                continue
            try:
                self.normalize(v)
            except UnknownUnitError:
                unknown.append(v)
        if unknown:
            raise UnknownUnitError(f"detect_year: {len(unknown)} code(s) exist in no geography year "
                                   f"{years[0]}-{years[-1]}: {', '.join(map(repr, unknown[:20]))}",
                                   value=unknown)
        common = set(years_all)
        for yrs in per_code.values():
            common &= yrs
        if not common:
            spans = [f"{c} ({min(y)}-{max(y)})" for c, y in per_code.items() if y != years_all]
            raise UnknownUnitError("detect_year: the codes mix geography years; no year holds all of "
                                   "them. Codes valid in only some years: " + ", ".join(spans[:20]),
                                   value=list(per_code))
        return max(common)

    # ------------------------------------------------------------------ population
    def population(self, level: str | None = None, years: int | Iterable[int] | None = None) -> pd.DataFrame:
        """Residents per unit on 1 January of each kwb year, summed up the hierarchy.

        Raises
        ------
        MissingGeoDataError
            No kwb table was delivered, or the kwb tables give residents per coarser unit than
            ``level``.
        """
        level = level or self.default_level
        self._check_level(level)
        if self._p.population is None:
            raise MissingGeoDataError(f"population({level!r}): no kwb table delivered in {self.source}; "
                                      f"add the CBS 'Kerncijfers wijken en buurten' (kwb-YYYY) files to "
                                      f"the manifest to get residents per unit")
        base = self._p.pop_level
        if level != base and level not in self.parents(base):  # type: ignore[arg-type]
            raise MissingGeoDataError(f"population({level!r}): the kwb tables give residents per {base}, "
                                      f"which does not nest in a {level}")
        allowed = self.population_years
        if years is None:
            yrs = list(allowed)
        elif isinstance(years, (int, np.integer)) and not isinstance(years, bool):
            yrs = [self._check_year(years, allowed, "population year")]
        else:
            yrs = [self._check_year(y, allowed, "population year") for y in years]
        pb = self._p.population
        pb = pb[pb["year"].isin(yrs)].rename(columns={"code": self._p.key_columns[base]})  # type: ignore[index]
        if level == base:
            out = pb.copy()
        else:
            out = self.aggregate(pb, base, level, ["population"], by=["year"])  # type: ignore[arg-type]
        if out["population"].isna().any():
            out["population"] = out["population"].astype("Int64")
        else:
            out["population"] = out["population"].astype("int64")
        out.attrs["estimated"] = self._p.pop_estimated
        return out.sort_values([self._p.key_columns[level], "year"], ignore_index=True)

    def aggregate(self, df: pd.DataFrame, from_level: str, to_level: str, value_cols: Sequence[str],
                  unit_col: str | None = None, *, by: Sequence[str] = ()) -> pd.DataFrame:
        """Sum counts from one level to a coarser one (see :func:`wijklib.geo.aggregate`)."""
        self._check_level(from_level)
        self._check_level(to_level)
        if to_level != from_level and to_level not in self.parents(from_level):
            raise ValueError(f"cannot aggregate from {from_level!r} to {to_level!r}; a {from_level} "
                             f"nests in: {', '.join(self.parents(from_level)) or 'nothing'}")
        unit_col = unit_col or self._p.key_columns[from_level]
        value_cols = list(value_cols)
        by = list(by)
        for c in [unit_col, *value_cols, *by]:
            if c not in df.columns:
                raise KeyError(f"aggregate: column {c!r} not in the DataFrame (columns: {list(df.columns)})")
        for c in value_cols:
            if not pd.api.types.is_numeric_dtype(df[c]):
                raise TypeError(f"aggregate: value column {c!r} has dtype {df[c].dtype}; expected numbers")
        codes = self.normalize_series(df[unit_col], from_level, source=df.attrs.get("source"), column=unit_col)
        if codes.isna().any():
            pos = int(np.flatnonzero(codes.isna().to_numpy())[0])
            raise UnknownUnitError(f"aggregate: column {unit_col!r} is missing at row position {pos}; "
                                   f"every row needs a {from_level}", value=None, level=from_level)
        key_to = self._p.key_columns[to_level]
        if to_level == from_level:
            target = codes
        elif to_level == "gemeente":
            target = pd.Series(self.gemeente_code, index=codes.index)
        else:
            link = self._unit_table(from_level).set_index(self._p.key_columns[from_level])[key_to]
            target = codes.map(link)
        # Positional copies: a caller's index may hold duplicates, which label alignment would break.
        work = pd.DataFrame({key_to: target.astype("str").to_numpy()})
        for c in [*by, *value_cols]:
            work[c] = df[c].to_numpy()
        keys = [key_to, *by]
        g = work.groupby(keys, sort=True, dropna=False)
        sums = g[value_cols].sum()
        has_na = work[value_cols].isna().groupby([work[k] for k in keys], sort=True, dropna=False).any()
        sums = sums.mask(has_na.reindex(sums.index).fillna(False).astype(bool))
        out = sums.reset_index()
        out.attrs = dict(df.attrs)
        return out

    # ------------------------------------------------------------------ geometry
    def _shape_source_level(self, level: str) -> str | None:
        """The level whose delivered outlines give ``level``'s (itself, or a finer one dissolved)."""
        if level in self._p.shapes:
            return level
        i = self.levels.index(level)
        for lv in reversed(self.levels[:i]):
            if lv in self._p.shapes and level in self.parents(lv):
                return lv
        return None

    def shapes(self, level: str | None = None):
        """Outlines of the units of ``level`` as a GeoSeries (RD New metres) indexed by code.

        Raises
        ------
        MissingGeoDataError
            Neither this level nor a finer one nesting in it has polygons.
        """
        import geopandas as gpd

        level = level or self.default_level
        self._check_level(level)
        src = self._shape_source_level(level)
        if src is None:
            raise MissingGeoDataError(f"no polygons for level {level!r} in {self.source} (and none for a "
                                      f"finer level that nests in it)")

        def build():
            s = self._p.shapes[src]
            if src == level:
                return s
            if level == "gemeente":
                link = pd.Series(self.gemeente_code, index=s.index)
            else:
                link = self._unit_table(src).set_index(self._p.key_columns[src])[self._p.key_columns[level]]
            import shapely

            groups: dict[str, list[Any]] = {}
            for code, geom in s.items():
                groups.setdefault(str(link[code]), []).append(geom)
            # Snap to a 1 cm grid while dissolving: shared borders of the parts then vanish cleanly.
            geoms = {k: shapely.union_all(v, grid_size=0.01) for k, v in sorted(groups.items())}
            return gpd.GeoSeries(geoms, crs=RD)
        return self._memo(("shapes", level), build).copy()

    def frame(self, level: str | None = None, crs: str = RD):
        """Units of ``level`` as a GeoDataFrame: key, name, population (latest), ``benaderd``, geometry."""
        import geopandas as gpd

        level = level or self.default_level
        u = self.units(level)
        key = self._p.key_columns[level]
        s = self.shapes(level)
        gdf = gpd.GeoDataFrame(u, geometry=u[key].map(s).to_numpy(), crs=RD)
        gdf["benaderd"] = self.polygons_approximate(level)
        return gdf.to_crs(crs) if crs != RD else gdf

    def context(self, crs: str = RD):
        """CBS areas delivered in the kaarten that are no unit here (port, water), GeoDataFrame."""
        import geopandas as gpd

        c = self._p.context
        if c is None or len(c) == 0:
            return gpd.GeoDataFrame({"code": [], "naam": []}, geometry=[], crs=RD).to_crs(crs)
        return c.to_crs(crs) if crs != RD else c.copy()

    def water(self, crs: str = RD):
        """Water surfaces (kaart features with ``water: JA`` and the manifest's ``water`` files)."""
        import geopandas as gpd

        w = self._p.water
        if w is None or len(w) == 0:
            return gpd.GeoDataFrame({"naam": []}, geometry=[], crs=RD).to_crs(crs)
        return w.to_crs(crs) if crs != RD else w.copy()

    def outline(self):
        """The gemeente outline (units and context areas), a shapely geometry in RD New."""
        import shapely

        def build():
            parts = []
            src = self._shape_source_level("gemeente")
            if src is not None:
                parts.append(self.shapes("gemeente").iloc[0])
            if self._p.context is not None and len(self._p.context):
                parts += list(self._p.context.geometry)
            if not parts:
                raise MissingGeoDataError(f"no polygons in {self.source}: no outline of the gemeente")
            return shapely.union_all(parts, grid_size=0.01)
        return self._memo("outline", build)

    def polygons(self, level: str | None = None) -> dict[str, list[list[tuple[float, float]]]]:
        """Outlines for maps: code -> list of exterior rings of (lon, lat) (one per polygon part)."""
        import shapely

        level = level or self.default_level
        s = self.shapes(level).to_crs(WGS84)
        out: dict[str, list[list[tuple[float, float]]]] = {}
        for code, geom in s.items():
            rings = []
            for part in shapely.get_parts(geom):
                xy = np.asarray(part.exterior.coords)[:-1]
                rings.append([(float(x), float(y)) for x, y in xy.round(6)])
            out[str(code)] = rings
        return dict(sorted(out.items()))

    def to_geojson(self, level: str | None = None, year: int | None = None) -> dict[str, Any]:
        """Units of ``level`` as a GeoJSON FeatureCollection (WGS84) with key, name, population."""
        import json

        import shapely

        level = level or self.default_level
        gdf = self.frame(level, crs=WGS84)
        # Always MultiPolygon, so that a reader can handle every feature the same way.
        gdf = gdf.set_geometry([shapely.multipolygons(shapely.get_parts(g)) for g in gdf.geometry], crs=WGS84)
        if year is not None:
            gdf["population"] = gdf[self._p.key_columns[level]].map(
                self.units(level, year=year).set_index(self._p.key_columns[level])["population"])
        keep = [self._p.key_columns[level], self._p.name_columns[level], "population", "benaderd", "geometry"]
        fc = json.loads(gdf[keep].to_json(drop_id=True))
        for f in fc["features"]:
            if f["properties"].get("population") is not None:
                f["properties"]["population"] = int(f["properties"]["population"])
        fc["properties"] = {"gemeente_code": self.gemeente_code, "benaderd": self.polygons_approximate(level),
                            "bron": self.source}
        return fc

    def points(self, level: str | None = None) -> pd.DataFrame:
        """Declared points of ``level`` (code, x, y in RD New), e.g. buurten without polygons."""
        level = level or self.levels[0]
        self._check_level(level)
        if level not in self._p.points:
            raise MissingGeoDataError(f"no points declared for level {level!r} in {self.source}")
        return self._p.points[level].copy()

    def centroids(self, level: str | None = None, crs: str = "wgs84") -> pd.DataFrame:
        """A point per unit: inside its polygon (shapely ``point_on_surface``) when the level has
        polygons, else the declared point (or the resident-weighted mean of declared finer points)."""
        import shapely

        level = level or self.levels[0]
        self._check_level(level)
        key = self._p.key_columns[level]
        if crs not in ("wgs84", "rd"):
            raise ValueError(f"crs {crs!r} not supported; expected 'wgs84' or 'rd'")
        if self.has_polygons(level):
            s = self.shapes(level)
            pts = shapely.point_on_surface(s.to_numpy())
            out = pd.DataFrame({key: s.index.astype(str), "x": shapely.get_x(pts), "y": shapely.get_y(pts)})
        elif level in self._p.points:
            p = self._p.points[level]
            out = pd.DataFrame({key: p["code"].astype(str), "x": p["x"], "y": p["y"]})
        else:
            src = next((lv for lv in self.levels[: self.levels.index(level)] if lv in self._p.points
                        and level in self.parents(lv)), None)
            if src is None:
                raise MissingGeoDataError(f"no polygons or points for level {level!r} in {self.source}")
            p = self._p.points[src].rename(columns={"code": self._p.key_columns[src]})
            p = p.merge(self._unit_table(src)[[self._p.key_columns[src], key]], on=self._p.key_columns[src])
            s = p.groupby(key)[["x", "y"]].mean()
            out = pd.DataFrame({key: s.index.astype(str), "x": s["x"].to_numpy(), "y": s["y"].to_numpy()})
        out = out.sort_values(key, ignore_index=True)
        if crs == "wgs84":
            from wijklib.geo._crs import rd_to_wgs84

            lat, lon = rd_to_wgs84(out["x"].to_numpy(), out["y"].to_numpy())
            out = pd.DataFrame({key: out[key], "lat": lat, "lon": lon})
        return out

    def locate(self, x: Any, y: Any, crs: str = "rd", *, max_km: float = 1.0) -> pd.Series:
        """Finest-level code for each point by point-in-polygon (shapely STRtree).

        Points outside every unit (harbour, water, outside the gemeente) get a missing value.
        When the finest level has only points (no polygons), the point is placed in its polygon
        unit of the coarsest level with polygons, then in the nearest declared finest point of that
        unit within ``max_km``.

        Parameters
        ----------
        x, y : array-like
            RD New metres (``crs="rd"``) or lon/lat degrees (``crs="wgs84"``, x = lon).
        """
        import shapely

        from wijklib.geo._crs import wgs84_to_rd

        if crs == "rd":
            px, py = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
        elif crs == "wgs84":
            px, py = wgs84_to_rd(np.atleast_1d(np.asarray(y, dtype=float)), np.atleast_1d(np.asarray(x, dtype=float)))
            px, py = np.atleast_1d(px), np.atleast_1d(py)
        else:
            raise ValueError(f"crs {crs!r} not supported; expected 'rd' or 'wgs84'")
        finest = self.levels[0]
        name = self._p.key_columns[finest]
        ok = np.isfinite(px) & np.isfinite(py)
        res = np.full(len(px), None, dtype=object)
        poly_level = finest if finest in self._p.shapes else next(
            (lv for lv in self.levels if lv in self._p.shapes), None)
        if poly_level is None:
            raise MissingGeoDataError(f"locate: no polygons in {self.source}")
        s = self._p.shapes[poly_level]
        tree = self._memo(("tree", poly_level), lambda: shapely.STRtree(s.to_numpy()))
        pts = shapely.points(px[ok], py[ok])
        pi, gi = tree.query(pts, predicate="within")
        found = np.full(len(pts), None, dtype=object)
        # A point on a shared border lies in two units: the first (lowest code) wins, consistently.
        order = np.lexsort((gi, pi))
        pi, gi = pi[order], gi[order]
        first = np.unique(pi, return_index=True)[1]
        found[pi[first]] = s.index.to_numpy()[gi[first]]
        if poly_level != finest:
            from scipy.spatial import cKDTree

            p = self._p.points.get(finest)
            if p is None:
                raise MissingGeoDataError(f"locate: level {finest!r} has neither polygons nor points")
            link = self._unit_table(finest).set_index(name)[self._p.key_columns[poly_level]]
            p = p.assign(parent=p["code"].map(link))
            out = np.full(len(pts), None, dtype=object)
            for parent, grp in p.groupby("parent"):
                sel = np.flatnonzero(found == parent)
                if not sel.size:
                    continue
                d, j = cKDTree(grp[["x", "y"]].to_numpy()).query(np.column_stack([px[ok][sel], py[ok][sel]]))
                codes = grp["code"].to_numpy()[j]
                out[sel] = np.where(d <= max_km * 1000.0, codes, None)
            found = out
        res[ok] = found
        return pd.Series(res, dtype="str", name=name)

    def adjacency(self, level: str | None = None, *, tolerance_m: float | None = None,
                  min_border_m: float | None = None) -> pd.DataFrame:
        """Neighbouring units from shared boundaries of their polygons (RD New metres).

        Two units are neighbours when the outline of one runs within ``tolerance_m`` of the other
        (default :data:`ADJACENCY_TOLERANCE_M`, or the manifest's ``aangrenzend.tolerantie_m``) along
        at least ``min_border_m`` (default :data:`ADJACENCY_MIN_BORDER_M`): a shared border, not a
        corner touch. Units separated by a context area (port, river wijk) are not neighbours, and
        the parts of a border that run through the geography's water surfaces do not count.

        Returns
        -------
        DataFrame
            ``unit, neighbour``, both directions of every pair, sorted.
        """
        import shapely

        level = level or self.default_level
        tol = self._p.adjacency_tolerance_m if tolerance_m is None else float(tolerance_m)
        minb = self._p.adjacency_min_border_m if min_border_m is None else float(min_border_m)

        def build() -> pd.DataFrame:
            s = self.shapes(level)
            geoms = s.to_numpy()
            codes = s.index.to_numpy()
            tree = shapely.STRtree(geoms)
            a, b = tree.query(geoms, predicate="dwithin", distance=tol)
            keep = a < b
            a, b = a[keep], b[keep]
            # The length of one outline that runs within tol of the other (vectorised over pairs).
            lines = shapely.intersection(shapely.boundary(geoms)[a], shapely.buffer(geoms, tol)[b])
            water = self.water()
            if len(water):
                # A border that runs through water (a river drawn over both units) is no border.
                lines = shapely.difference(lines, shapely.union_all(water.geometry.to_numpy()))
            shared = shapely.length(lines)
            pairs = {(str(codes[i]), str(codes[j])) for i, j, m in zip(a, b, shared, strict=True) if m >= minb}
            pairs |= {(q, p) for p, q in pairs}
            return pd.DataFrame(sorted(pairs), columns=["unit", "neighbour"], dtype="str")
        out = self._memo(("adjacency", level, tol, minb), build).copy()
        out.attrs.update(tolerance_m=tol, min_border_m=minb, approximate=self.polygons_approximate(level))
        return out

    def neighbours(self, unit: Any, level: str | None = None) -> list[str]:
        """Codes of the units sharing a border with ``unit``."""
        level = level or self.default_level
        code = self.normalize(unit, level)
        a = self.adjacency(level)
        return a.loc[a["unit"] == code, "neighbour"].tolist()

