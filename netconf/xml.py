"""Safe XML in and out of a NETCONF session.

Every message is parsed by lxml with entity resolution, DTD loading and
network access off and its default depth and size limits on
(``huge_tree=False``), and a document with a ``<!DOCTYPE`` is refused
outright: NETCONF has no use for one, and refusing it closes the door on
entity expansion ("billion laughs") and external entities at once.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
#: Namespace of the NETCONF notification envelope (RFC 5277).
NOTIF_NS = "urn:ietf:params:xml:ns:netconf:notification:1.0"

Element = Any  # lxml's _Element (lxml ships no type information)


class XmlError(ValueError):
    """A message that is not well-formed, or that NETCONF refuses (a DTD)."""


def _parser(*, blank: bool = False) -> Any:
    return etree.XMLParser(
        remove_blank_text=blank,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(data: bytes, *, drop_blanks: bool = False) -> Element:
    """The root element of *data*; raises :class:`XmlError`.

    *drop_blanks* removes whitespace between elements (libyang's indented output).
    """
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XmlError("document type declarations are not allowed")
    try:
        root = etree.fromstring(data, _parser(blank=drop_blanks))
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"not well-formed XML: {exc}") from None
    if root is None:
        raise XmlError("empty message")
    if root.getroottree().docinfo.doctype:
        raise XmlError("document type declarations are not allowed")
    return root


def qname(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def split(tag: str) -> tuple[str, str]:
    """``(namespace, local name)`` of an lxml tag."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def sub(parent: Element, ns: str, name: str, text: str | None = None) -> Element:
    el = etree.SubElement(parent, qname(ns, name))
    if text is not None:
        el.text = text
    return el


def element(ns: str, name: str, text: str | None = None, nsmap: Any = None) -> Element:
    el = etree.Element(qname(ns, name), nsmap=nsmap)
    if text is not None:
        el.text = text
    return el


def to_bytes(el: Element) -> bytes:
    out: bytes = etree.tostring(el, xml_declaration=True, encoding="UTF-8")
    return out


def children(el: Element) -> list[Element]:
    """Element children (comments and processing instructions are dropped at parse)."""
    return [c for c in el if isinstance(c.tag, str)]


def from_string(text: str | bytes) -> Element:
    """An element from XML that micronf itself printed (libyang output)."""
    return parse(text.encode() if isinstance(text, str) else text, drop_blanks=True)
