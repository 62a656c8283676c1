"""Make matplotlib SVG cheaper for WeasyPrint to draw, without changing what it draws.

WeasyPrint spends ~1.2 s of a ward report's PDF on its 7 charts (measured: the same HTML without the
charts renders that much faster). Its cost is per SVG node and per ``style="..."`` attribute (each one
is parsed with a CSS tokenizer, and the ``*{...}`` stylesheet matplotlib puts in ``<defs>`` is matched
against every node). :func:`slim_svg` therefore

- drops ``<metadata>`` (an RDF block WeasyPrint does not draw),
- unwraps the ``<g id="...">`` groups matplotlib wraps around every artist when they carry nothing but
  an id that nothing references (about half of all nodes),
- turns ``style="k: v; ..."`` into presentation attributes (``k="v"``) and folds the ``*{...}`` rule
  into every element's attributes. The rule applies to every element and inline styles override it,
  so "rule first, then the element's own style" gives each element the same values as before.

Anything unexpected (another stylesheet, a property that has no presentation attribute, XML that does
not parse) leaves the element, or the whole document, unchanged.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_NS = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_G = f"{{{_NS}}}g"
#: Properties matplotlib writes in ``style`` that SVG also accepts as presentation attributes.
_PRESENTATION = frozenset({
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity",
    "font-size", "font-family", "font-weight", "font-style", "text-anchor", "clip-path",
    "dominant-baseline", "letter-spacing",
})
_STAR_RULE = re.compile(r"\s*\*\s*\{([^{}]*)\}\s*")
ET.register_namespace("", _NS)  # serialise as <svg xmlns=...>, not <ns0:svg>
ET.register_namespace("xlink", _XLINK)
_REF = re.compile(r"(?:url\(#|href=\"#)([^)\"]+)")


def _declarations(text: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        if ":" not in part:
            return None
        key, value = part.split(":", 1)
        out[key.strip()] = value.strip()
    return out


def slim_svg(svg: str) -> str:
    """A smaller, equivalent SVG document for WeasyPrint (see the module docstring).

    Parameters
    ----------
    svg
        An SVG document as matplotlib writes it (``svg.fonttype = "none"``).

    Returns
    -------
    str
        The slimmed document, or ``svg`` unchanged when it does not look like matplotlib's output.

    Examples
    --------
    >>> doc = ('<svg xmlns="http://www.w3.org/2000/svg"><defs><style type="text/css">'
    ...        '*{stroke-linejoin: round; stroke-linecap: butt}</style></defs>'
    ...        '<g id="figure_1"><path d="M 0 0 L 1 1" style="stroke: #000; stroke-linecap: square"/></g></svg>')
    >>> print(slim_svg(doc))  # doctest: +NORMALIZE_WHITESPACE
    <svg xmlns="http://www.w3.org/2000/svg"><defs stroke-linejoin="round" stroke-linecap="butt" /><path d="M 0 0 L 1 1" stroke-linejoin="round" stroke-linecap="square" stroke="#000" /></svg>
    """
    try:
        root = ET.fromstring(svg)
    except ET.ParseError:
        return svg
    if root.tag != f"{{{_NS}}}svg":
        return svg
    for meta in root.findall(f"{{{_NS}}}metadata"):
        root.remove(meta)
    base: dict[str, str] = {}
    for defs in root.findall(f"{{{_NS}}}defs"):
        for style in defs.findall(f"{{{_NS}}}style"):
            m = _STAR_RULE.fullmatch(style.text or "")
            decl = _declarations(m.group(1)) if m else None
            if decl is None or set(decl) - _PRESENTATION:
                return svg  # a stylesheet we do not understand: keep the document as it is
            base.update(decl)
            defs.remove(style)
    referenced = set(_REF.findall(svg))

    def walk(parent: ET.Element) -> None:
        children: list[ET.Element] = []
        for child in list(parent):
            walk(child)
            if child.tag == _G and set(child.attrib) <= {"id"} and child.get("id") not in referenced:
                children.extend(list(child))
                continue
            own = _declarations(child.attrib.get("style", ""))
            if own is not None and not set(own) - _PRESENTATION:
                child.attrib.pop("style", None)
                for key, value in {**base, **own}.items():
                    if key == "font-family" and "," not in value:  # a quoted name is not a valid attribute value
                        value = value.strip("'\"")
                    child.set(key, value)
            else:  # keep the element's style (it overrides the attributes), still apply the rule
                for key, value in base.items():
                    child.set(key, value)
            children.append(child)
        parent[:] = children

    walk(root)
    return ET.tostring(root, encoding="unicode")
