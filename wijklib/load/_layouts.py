"""Registry of export layouts: which file layouts wijklib can read for each source.

A *layout* is one way a source is delivered (the invented municipal CSV/xlsx of the demo, Rotterdam's
MOR data-warehouse tables, the older MSB export, Amsterdam's Signalen tables, CBS StatLine ...). A run
config (:mod:`wijklib.sources`) names the layout of every group of files; the layout reads them into
the source's canonical table. Column maps (``{canonical column: header in your file}``) and value maps
(``{canonical column: {value in your file: canonical value}}``) are applied by the layout, so a
renamed header or category is one line of YAML.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wijklib import schemas

#: Reader signature: (files, *, columns, values, options, lenient) -> canonical DataFrame.
#: ``files`` is a list of paths, or for multi-table layouts a mapping table name -> list of paths.
Reader = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class Layout:
    """One readable export layout of one source.

    Attributes
    ----------
    name, source
        Layout name as written in a config (``mor``) and the canonical table it produces.
    read
        The reader (see :data:`Reader`).
    description
        One line for ``wijklib check`` and the docs.
    tables
        For exports made of several joined tables: their names (files are given per table, or a
        folder/glob whose file names end in the table names); empty for single-table layouts.
    required_tables
        The tables that must be present.
    columns
        Canonical column names a column map may target (empty = any of the source's aliases).
    options
        Extra keyword options the reader accepts from the config (``options:``).
    """

    name: str
    source: str
    read: Reader
    description: str
    tables: tuple[str, ...] = ()
    required_tables: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    value_columns: tuple[str, ...] = field(default=())


LAYOUTS: dict[tuple[str, str], Layout] = {}


def register(layout: Layout) -> Layout:
    """Add a layout to :data:`LAYOUTS` (keyed by ``(source, name)``).

    Examples
    --------
    >>> lay = register(Layout("example", "interventie", read=lambda files, **kw: None, description="demo"))
    >>> LAYOUTS[("interventie", "example")] is lay
    True
    >>> del LAYOUTS[("interventie", "example")]
    """
    LAYOUTS[(layout.source, layout.name)] = layout
    return layout


def layouts_for(source: str) -> dict[str, Layout]:
    """Layouts registered for one source, by name.

    Examples
    --------
    >>> from wijklib import load
    >>> sorted(load.layouts_for("politie"))
    ['cbs_statline', 'thehague_crime']
    """
    return {name: lay for (src, name), lay in LAYOUTS.items() if src == source}


# --------------------------------------------------------------------------------------------
# Column and value maps for the built-in (alias-table) loaders
# --------------------------------------------------------------------------------------------
# The built-in loaders match headers through schemas.RAW_HEADERS and categories through
# schemas.VALUE_ALIASES. A config's maps are applied by extending those tables for the duration of
# one load (under a lock, and restored afterwards), so the loaders themselves need no new arguments.
_LOCK = threading.RLock()


@contextmanager
def alias_overrides(
    headers_key: str, columns: Mapping[str, str], values: Mapping[str, Mapping[str, str]]
) -> Iterator[None]:
    """Temporarily make ``columns`` the only accepted header of each mapped column and add ``values``."""
    with _LOCK:
        saved_h = {k: list(v) for k, v in schemas.RAW_HEADERS[headers_key].items()}
        saved_v = {k: dict(v) for k, v in schemas.VALUE_ALIASES.items()}
        try:
            for canonical, header in columns.items():
                schemas.RAW_HEADERS[headers_key][canonical] = [str(header)]
                # A header mapped to one column must not also match another column's alias list.
                for other, names in schemas.RAW_HEADERS[headers_key].items():
                    if other != canonical:
                        keep = [n for n in names if schemas.normalize_header(n) != schemas.normalize_header(header)]
                        schemas.RAW_HEADERS[headers_key][other] = keep
            for vocab, mapping in values.items():
                schemas.VALUE_ALIASES.setdefault(vocab, {})
                schemas.VALUE_ALIASES[vocab].update({str(k): str(v) for k, v in mapping.items()})
            yield
        finally:
            schemas.RAW_HEADERS[headers_key].clear()
            schemas.RAW_HEADERS[headers_key].update(saved_h)
            schemas.VALUE_ALIASES.clear()
            schemas.VALUE_ALIASES.update(saved_v)


def _builtin(source: str, headers_key: str, loader: Callable[..., pd.DataFrame]) -> Reader:
    def read(
        files: Sequence[Path],
        *,
        columns: Mapping[str, str] | None = None,
        values: Mapping[str, Mapping[str, str]] | None = None,
        options: Mapping[str, Any] | None = None,
        lenient: bool = False,
    ) -> pd.DataFrame:
        with alias_overrides(headers_key, columns or {}, values or {}):
            arg = [str(f) for f in files]
            return loader(arg if len(arg) > 1 else arg[0], lenient=lenient, **dict(options or {}))

    return read


def _register_builtins() -> None:
    from wijklib import load

    for source, loader in load.LOADERS.items():
        if source == "politie":
            continue
        register(Layout(
            name="wijklib", source=source, read=_builtin(source, source, loader),
            description=f"municipal {source} export as described in data/raw/{source}/README.md "
                        "(Dutch headers, ; or , separated, decimal commas, .csv or .xlsx)",
            columns=tuple(schemas.RAW_HEADERS[source]), options=("geography_year", "validate_units"),
            value_columns=tuple(c for c in schemas.RAW_HEADERS[source] if c in schemas.VOCABULARIES),
        ))
    register(Layout(
        name="cbs_statline", source="politie", read=_builtin("politie", "politie", load.politie),
        description="CBS StatLine / police open data (SoortMisdrijf, WijkenEnBuurten, Perioden 2021MM03, "
                    "GeregistreerdeMisdrijven_1)",
        columns=tuple(schemas.RAW_HEADERS["politie"]), options=("geography_year", "validate_units"),
    ))
    register(Layout(
        name="thehague_crime", source="politie", read=_builtin("politie", "politie_thehague", load.politie),
        description="Haaglanden police file (year, month, district_code, delict_code, neighbourhood_code, delicts)",
        columns=tuple(schemas.RAW_HEADERS["politie_thehague"]), options=("geography_year", "validate_units"),
    ))


#: Canonical columns that tell the two politie layouts apart (used to check a declared layout).
LAYOUT_SIGNATURE: dict[tuple[str, str], str] = {
    ("politie", "cbs_statline"): "misdrijf_code",
    ("politie", "thehague_crime"): "neighbourhood_code",
}


def split_tables(files: Sequence[Path], layout: Layout, *, cfg: str = "<config>", key: str = "files") -> dict[str, list[Path]]:
    """Assign the files of a multi-table export to its tables by file name.

    A file belongs to the table whose name its stem ends with (the longest such name wins, so
    ``production-dwh_meldingen_melding_onderwerpen.csv`` is the link table, not the melding table);
    exports often carry a prefix such as ``production-``. A file that fits no table is an error.

    Examples
    --------
    >>> lay = Layout("x", "meldingen", read=None, description="", tables=("melding", "melding_onderwerpen"))
    >>> sorted(split_tables([Path("p-melding.csv"), Path("p-melding_onderwerpen.csv")], lay))
    ['melding', 'melding_onderwerpen']
    """
    from wijklib.sources import ConfigError

    by_len = sorted(layout.tables, key=len, reverse=True)
    out: dict[str, list[Path]] = {}
    for f in files:
        stem = f.name.lower()
        for suffix in (".gz", ".csv", ".txt"):
            stem = stem.removesuffix(suffix)
        hit = next((t for t in by_len if stem.endswith(t.lower())), None)
        if hit is None:
            raise ConfigError(f"{cfg}: {key}: file {f.name} fits no table of layout '{layout.name}' (expected a "
                              f"name ending in one of {', '.join(layout.tables)}, e.g. "
                              f"production-{layout.tables[0]}.csv); give the tables one by one under files:")
        out.setdefault(hit, []).append(f)
    return out
