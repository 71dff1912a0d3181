"""Find the line of a YANG data path in the XML or JSON text it came from.

libyang knows the line only while it parses; errors found later (leafrefs,
``must``, ``min-elements``, the graph checks) carry a data path such as
``/micronf-sfc:chains/chain[name='c1']/vnf[name='fw']/template``. To point
the user at the line as well, we walk that path through the document once
libyang has accepted its syntax: lxml (with entities, DTDs and network
access off) for XML, json-source-map for JSON. A path that cannot be
followed (it names the built-in catalog, or a schema node) gives no line.
"""

from __future__ import annotations

import json
import re
from typing import Any

import json_source_map
from lxml import etree

_STEP = re.compile(r"/(?P<name>[^/\[]+)(?P<preds>(?:\[[^\]]*\])*)")
_PRED = re.compile(r"\[(?P<key>[^=\]]+)=(?P<q>['\"])(?P<val>.*?)(?P=q)\]")


def parse_path(path: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """``/a:b/c[k='v']`` -> ``[("b", []), ("c", [("k", "v")])]`` (prefixes dropped)."""
    steps = []
    for m in _STEP.finditer(path):
        name = m.group("name").split(":")[-1]
        preds = [
            (p.group("key").split(":")[-1].strip(), p.group("val"))
            for p in _PRED.finditer(m.group("preds"))
        ]
        steps.append((name, preds))
    return steps


def _local(name: str) -> str:
    return name.split(":")[-1]


# ------------------------------------------------------------------------------ JSON


def _json_child(obj: Any, name: str) -> tuple[str, Any] | None:
    if not isinstance(obj, dict):
        return None
    for key, val in obj.items():
        if _local(key) == name:
            return key, val
    return None


def _matches(item: Any, preds: list[tuple[str, str]]) -> bool:
    for key, val in preds:
        if key == ".":
            if str(item) != val:
                return False
            continue
        found = _json_child(item, key)
        if found is None or str(found[1]) != val:
            return False
    return True


def json_pointer(doc: Any, path: str) -> str | None:
    """The JSON pointer of the deepest node of *path* that exists in *doc*."""
    pointer = ""
    node = doc
    for name, preds in parse_path(path):
        found = _json_child(node, name)
        if found is None:
            break
        key, val = found
        esc = key.replace("~", "~0").replace("/", "~1")
        if isinstance(val, list) and preds:
            idx = next((i for i, it in enumerate(val) if _matches(it, preds)), None)
            if idx is None:
                pointer += f"/{esc}"
                break
            pointer += f"/{esc}/{idx}"
            node = val[idx]
        else:
            pointer += f"/{esc}"
            node = val
    return pointer or None


def json_line(text: str, path: str) -> int | None:
    try:
        doc = json.loads(text)
        pointer = json_pointer(doc, path)
        if pointer is None:
            return None
        entry = json_source_map.calculate(text).get(pointer)
    except (ValueError, RecursionError):
        return None
    if entry is None:
        return None
    start = entry.key_start or entry.value_start
    return int(start.line) + 1


# ------------------------------------------------------------------------------- XML

# No entities, no DTD, no network, no huge trees: the document already passed
# libyang, which refuses DTDs, but this parser must not trust that.
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False
)


def _xml_children(elems: list[Any], name: str) -> list[Any]:
    out = []
    for elem in elems:
        for child in elem:
            if isinstance(child.tag, str) and etree.QName(child).localname == name:
                out.append(child)
    return out


def _xml_matches(elem: Any, preds: list[tuple[str, str]]) -> bool:
    for key, val in preds:
        if key == ".":
            if (elem.text or "").strip() != val:
                return False
            continue
        kids = _xml_children([elem], key)
        if not kids or (kids[0].text or "").strip() != val:
            return False
    return True


def xml_line(text: bytes, path: str) -> int | None:
    try:
        root = etree.fromstring(
            b"<micronf-root>" + _strip_decl(text) + b"</micronf-root>", _XML_PARSER
        )
    except etree.XMLSyntaxError:
        return None
    current = [root]
    line = None
    for name, preds in parse_path(path):
        found = [e for e in _xml_children(current, name) if _xml_matches(e, preds)]
        if not found:
            break
        current = found[:1]
        line = found[0].sourceline
    return int(line) if line is not None else None


def _strip_decl(text: bytes) -> bytes:
    # The document is wrapped in one root so that several top-level elements
    # parse; an XML declaration may only stand first, so it goes, and it is
    # replaced by as many newlines so that line numbers stay right.
    m = re.match(rb"\s*<\?xml[^>]*\?>", text)
    if m:
        return b"\n" * m.group(0).count(b"\n") + text[m.end() :]
    return text


def line_of(text: bytes, fmt: str, path: str | None) -> int | None:
    """Line (1-based) of the node at *path* in *text*, if it can be found."""
    if not path or not path.startswith("/"):
        return None
    if fmt == "json":
        return json_line(text.decode("utf-8", errors="replace"), path)
    if fmt == "xml":
        return xml_line(text, path)
    return None
