"""``<rpc-error>`` as RFC 6241 Appendix A, rendered from :class:`~micronf.yang.Problem`.

A validation problem already carries what an ``rpc-error`` needs (type, tag,
app-tag, data path, message), so an operation raises :class:`RpcError` with
the problems it has and this module renders them, without translation.
``error-path`` keeps libyang's form (``/module:node/child[key='v']``, module
names as prefixes) and declares each module name it uses as an XML prefix
bound to that module's namespace, so the path is a valid XPath in the reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from lxml import etree

from micronf.yang import ErrorTag, ErrorType, Problem

from .xml import BASE_NS, Element, sub

_PREFIX = re.compile(r"(?:^|[/\[])([A-Za-z_][\w.-]*):")


class RpcError(Exception):
    """An operation failed; every problem becomes one ``<rpc-error>``.

    ``info`` is the ``<error-info>`` content (element name -> text), such as
    ``session-id`` for ``lock-denied`` or ``bad-element``.
    """

    def __init__(self, problems: Sequence[Problem], info: Mapping[str, str] | None = None):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)
        self.info = dict(info or {})

    @classmethod
    def of(
        cls,
        tag: ErrorTag,
        message: str,
        *,
        error_type: ErrorType = ErrorType.protocol,
        app_tag: str | None = None,
        path: str | None = None,
        info: Mapping[str, str] | None = None,
    ) -> RpcError:
        problem = Problem(message, path=path, app_tag=app_tag, error_type=error_type, error_tag=tag)
        return cls([problem], info)


def _path_namespaces(path: str, known: Mapping[str, str]) -> dict[str, str]:
    return {p: known[p] for p in _PREFIX.findall(path) if p in known}


def render(parent: Element, error: RpcError, namespaces: Mapping[str, str]) -> None:
    """Append one ``<rpc-error>`` per problem of *error* to *parent* (an rpc-reply).

    *namespaces* maps module names to XML namespaces, for ``error-path``.
    """
    for problem in error.problems:
        el = sub(parent, BASE_NS, "rpc-error")
        sub(el, BASE_NS, "error-type", problem.error_type.value)
        sub(el, BASE_NS, "error-tag", problem.error_tag.value)
        sub(el, BASE_NS, "error-severity", "error")
        if problem.app_tag:
            sub(el, BASE_NS, "error-app-tag", problem.app_tag)
        if problem.path:
            path_el = etree.SubElement(
                el,
                f"{{{BASE_NS}}}error-path",
                nsmap=_path_namespaces(problem.path, namespaces) or None,
            )
            path_el.text = problem.path
        message = sub(el, BASE_NS, "error-message", " ".join(problem.message.split()))
        message.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        if error.info:
            info = sub(el, BASE_NS, "error-info")
            for name, text in error.info.items():
                sub(info, BASE_NS, name, text)
