"""Subtree filtering (RFC 6241 section 6) on the XML of a reply.

Schema-agnostic, as the RFC defines it: a filter element with element
children is a containment node, an empty one a selection node, one with
text a content match node. A sibling set whose content match nodes all
match is selected; with no selection or containment node beside them the
whole set is. An element of the filter without a namespace (``xmlns=""``)
matches any namespace. List keys are kept in the output (a caller passes
*is_key*), so every selected list entry can still be told apart.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from lxml import etree

from . import xml
from .xml import Element

#: (element, its parent chain of local names) -> True for a list key leaf.
KeyTest = Callable[[Element], bool]


def _matches(data: Element, spec: Element) -> bool:
    dns, dname = xml.split(data.tag)
    sns, sname = xml.split(spec.tag)
    return dname == sname and (not sns or sns == dns)


def _kind(spec: Element) -> str:
    if xml.children(spec):
        return "containment"
    if spec.text is not None and spec.text.strip():
        return "content"
    return "selection"


def _filter(data: Element, specs: list[Element], is_key: KeyTest) -> Element | None:
    """*data* filtered by the sibling set *specs* (children of one filter node)."""
    content = [s for s in specs if _kind(s) == "content"]
    others = [s for s in specs if _kind(s) != "content"]
    kids = xml.children(data)
    for spec in content:
        value = (spec.text or "").strip()
        if not any(_matches(k, spec) and (k.text or "").strip() == value for k in kids):
            return None
    if not others:
        return copy.deepcopy(data)
    out = etree.Element(data.tag, attrib=dict(data.attrib), nsmap=data.nsmap)
    out.text = data.text if not kids else None
    chosen: list[Element] = []
    picked: set[int] = set()
    for kid in kids:
        if is_key(kid) or any(_matches(kid, s) for s in content):
            chosen.append(copy.deepcopy(kid))
            picked.add(id(kid))
    selected_any = False
    for kid in kids:
        for spec in others:
            if not _matches(kid, spec):
                continue
            if _kind(spec) == "selection":
                if id(kid) not in picked:
                    chosen.append(copy.deepcopy(kid))
                    picked.add(id(kid))
                selected_any = True
                break
            sub = _filter(kid, xml.children(spec), is_key)
            if sub is not None:
                chosen.append(sub)
                selected_any = True
                break
    if not selected_any:
        return None
    for el in chosen:
        out.append(el)
    return out


def apply(data_children: list[Element], filter_el: Element, is_key: KeyTest) -> list[Element]:
    """The top-level data elements the subtree filter *filter_el* selects.

    An empty filter selects nothing (RFC 6241 section 6.4.2).
    """
    specs = xml.children(filter_el)
    out: list[Element] = []
    for data in data_children:
        for spec in specs:
            if not _matches(data, spec):
                continue
            if _kind(spec) == "selection":
                out.append(copy.deepcopy(data))
                break
            if _kind(spec) == "content":
                if (data.text or "").strip() == (spec.text or "").strip():
                    out.append(copy.deepcopy(data))
                    break
                continue
            result = _filter(data, xml.children(spec), is_key)
            if result is not None:
                out.append(result)
                break
    return out
