"""Find the line of a YANG data path in the XML or JSON text it came from.

libyang knows the line only while it parses; errors found later (leafrefs,
``must``, ``min-elements``, the graph checks) carry a data path such as
``/micronf-sfc:chains/chain[name='c1']/vnf[name='fw']/template``. To point
the user at the line as well, we walk that path through the document once
libyang has accepted its syntax. A path that cannot be followed (it names
the built-in catalog, or a schema node) gives no line.

A :class:`Locator` is built once per document and answers any number of
paths: it parses lazily, once (lxml, with entities, DTDs and network access
off, for XML; for JSON a scanner that records where each member and list
entry of the containers on the paths asked for starts, using the C decoder
of :mod:`json` to step over values), and indexes each list by its key
values the first time a path goes through it, so a lookup costs O(depth).
"""

from __future__ import annotations

import bisect
import gc
import json
import re
from typing import Any

from lxml import etree

_STEP = re.compile(r"/(?P<name>[^/\[]+)(?P<preds>(?:\[[^\]]*\])*)")
_PRED = re.compile(r"\[(?P<key>[^=\]]+)=(?P<q>['\"])(?P<val>.*?)(?P=q)\]")

Steps = list[tuple[str, list[tuple[str, str]]]]


def parse_path(path: str) -> Steps:
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


def _canon(value: Any) -> str:
    """A JSON scalar as it is written in a YANG path predicate."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
            if _canon(item) != val:
                return False
            continue
        found = _json_child(item, key)
        if found is None or _canon(found[1]) != val:
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


_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _JsonDoc:
    """Positions in one JSON text, found lazily, container by container."""

    def __init__(self, text: str) -> None:
        self.text = text
        # object start -> local member name -> (key start, value start)
        self._members: dict[int, dict[str, tuple[int, int]]] = {}
        # array start -> [(entry start, decoded entry)]
        self._entries: dict[int, list[tuple[int, Any]]] = {}
        # (array start, key names) -> key values -> entry start
        self._indexes: dict[tuple[int, tuple[str, ...]], dict[tuple[str, ...], int]] = {}
        self._newlines: list[int] | None = None

    def _skip_ws(self, i: int) -> int:
        m = _WS.match(self.text, i)
        return m.end() if m else i

    def _expect(self, i: int, chars: str) -> int:
        if i >= len(self.text) or self.text[i] not in chars:
            raise ValueError(f"expected one of {chars!r} at {i}")
        return i

    def members(self, start: int) -> dict[str, tuple[int, int]]:
        cached = self._members.get(start)
        if cached is not None:
            return cached
        text = self.text
        out: dict[str, tuple[int, int]] = {}
        i = self._skip_ws(start + 1)
        if text.startswith("}", i):
            self._members[start] = out
            return out
        while True:
            key_pos = self._expect(i, '"')
            key, i = _DECODER.raw_decode(text, key_pos)
            i = self._expect(self._skip_ws(i), ":")
            value_pos = self._skip_ws(i + 1)
            _, i = _DECODER.raw_decode(text, value_pos)
            out.setdefault(_local(key), (key_pos, value_pos))
            i = self._expect(self._skip_ws(i), ",}")
            if text[i] == "}":
                break
            i = self._skip_ws(i + 1)
        self._members[start] = out
        return out

    def entries(self, start: int) -> list[tuple[int, Any]]:
        cached = self._entries.get(start)
        if cached is not None:
            return cached
        text = self.text
        out: list[tuple[int, Any]] = []
        i = self._skip_ws(start + 1)
        if text.startswith("]", i):
            self._entries[start] = out
            return out
        while True:
            value, end = _DECODER.raw_decode(text, i)
            out.append((i, value))
            i = self._expect(self._skip_ws(end), ",]")
            if text[i] == "]":
                break
            i = self._skip_ws(i + 1)
        self._entries[start] = out
        return out

    def find_entry(self, start: int, preds: list[tuple[str, str]]) -> int | None:
        names = tuple(k for k, _ in preds)
        index = self._indexes.get((start, names))
        if index is None:
            index = {}
            for pos, value in self.entries(start):
                key = self._key_of(value, names)
                if key is not None:
                    index.setdefault(key, pos)
            self._indexes[(start, names)] = index
        return index.get(tuple(v for _, v in preds))

    @staticmethod
    def _key_of(value: Any, names: tuple[str, ...]) -> tuple[str, ...] | None:
        key = []
        for name in names:
            if name == ".":
                key.append(_canon(value))
                continue
            found = _json_child(value, name)
            if found is None:
                return None
            key.append(_canon(found[1]))
        return tuple(key)

    def line_at(self, pos: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._newlines, pos) + 1

    def line(self, steps: Steps) -> int | None:
        text = self.text
        node = self._skip_ws(0)
        where: int | None = None
        for name, preds in steps:
            if not text.startswith("{", node):
                break
            member = self.members(node).get(name)
            if member is None:
                break
            key_pos, value_pos = member
            if preds and text.startswith("[", value_pos):
                entry = self.find_entry(value_pos, preds)
                if entry is None:
                    where = key_pos
                    break
                where = node = entry
            else:
                where, node = key_pos, value_pos
        return None if where is None else self.line_at(where)


def json_line(text: str, path: str) -> int | None:
    return Locator(text.encode(), "json").line(path)


# ------------------------------------------------------------------------------- XML

# No entities, no DTD, no network, no huge trees: the document already passed
# libyang, which refuses DTDs, but this parser must not trust that.
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False
)


class _XmlDoc:
    """One XML document parsed once; children and list keys indexed on demand."""

    def __init__(self, text: bytes) -> None:
        self.root: Any = etree.fromstring(
            b"<micronf-root>" + _strip_decl(text) + b"</micronf-root>", _XML_PARSER
        )
        # Elements are dictionary keys, which also keeps their lxml proxies alive.
        self._children: dict[Any, dict[str, list[Any]]] = {}
        self._indexes: dict[tuple[Any, str, tuple[str, ...]], dict[tuple[str, ...], Any]] = {}

    def children(self, elem: Any) -> dict[str, list[Any]]:
        cached = self._children.get(elem)
        if cached is None:
            cached = {}
            for child in elem:
                if isinstance(child.tag, str):
                    cached.setdefault(etree.QName(child).localname, []).append(child)
            self._children[elem] = cached
        return cached

    def _key_of(self, elem: Any, names: tuple[str, ...]) -> tuple[str, ...] | None:
        key = []
        for name in names:
            if name == ".":
                key.append((elem.text or "").strip())
                continue
            kids = self.children(elem).get(name)
            if not kids:
                return None
            key.append((kids[0].text or "").strip())
        return tuple(key)

    def find(self, parent: Any, name: str, preds: list[tuple[str, str]]) -> Any | None:
        found = self.children(parent).get(name)
        if not found:
            return None
        if not preds:
            return found[0]
        names = tuple(k for k, _ in preds)
        index = self._indexes.get((parent, name, names))
        if index is None:
            index = {}
            for elem in found:
                key = self._key_of(elem, names)
                if key is not None:
                    index.setdefault(key, elem)
            self._indexes[(parent, name, names)] = index
        return index.get(tuple(v for _, v in preds))

    def line(self, steps: Steps) -> int | None:
        current = self.root
        line = None
        for name, preds in steps:
            found = self.find(current, name, preds)
            if found is None:
                break
            current = found
            line = found.sourceline
        return int(line) if line is not None else None


def xml_line(text: bytes, path: str) -> int | None:
    return Locator(text, "xml").line(path)


def _strip_decl(text: bytes) -> bytes:
    # The document is wrapped in one root so that several top-level elements
    # parse; an XML declaration may only stand first, so it goes, and it is
    # replaced by as many newlines so that line numbers stay right.
    m = re.match(rb"\s*<\?xml[^>]*\?>", text)
    if m:
        return b"\n" * m.group(0).count(b"\n") + text[m.end() :]
    return text


# --------------------------------------------------------------------------- Locator

_BOM = b"\xef\xbb\xbf"


class Locator:
    """Lines of data paths in one document; parses it at most once."""

    def __init__(self, text: bytes, fmt: str) -> None:
        self._text = text[len(_BOM) :] if text.startswith(_BOM) else text
        self._fmt = fmt
        self._doc: _JsonDoc | _XmlDoc | None = None
        self._failed = fmt not in ("json", "xml")

    def _document(self) -> _JsonDoc | _XmlDoc | None:
        if self._doc is None and not self._failed:
            try:
                if self._fmt == "json":
                    self._doc = _JsonDoc(self._text.decode("utf-8", errors="replace"))
                else:
                    self._doc = _XmlDoc(self._text)
            except (etree.XMLSyntaxError, ValueError, RecursionError):
                self._failed = True
        return self._doc

    def line(self, path: str | None) -> int | None:
        """Line (1-based) of the node at *path*, if it can be found."""
        if not path or not path.startswith("/"):
            return None
        doc = self._document()
        if doc is None:
            return None
        # decoding list entries allocates many objects and no cycles: the
        # cyclic GC would only rescan the growing heap (superlinear time)
        collecting = gc.isenabled()
        gc.disable()
        try:
            return doc.line(parse_path(path))
        except (ValueError, RecursionError, IndexError):
            # Not the JSON libyang accepted (or nested beyond Python's stack):
            # this path simply gets no line.
            return None
        finally:
            if collecting:
                gc.enable()


def line_of(text: bytes, fmt: str, path: str | None) -> int | None:
    """Line (1-based) of the node at *path* in *text*, if it can be found.

    For many paths in one document, build one :class:`Locator` instead.
    """
    return Locator(text, fmt).line(path)
