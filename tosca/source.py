"""Reading a TOSCA source: bounded reads, size and encoding checks, one YAML parse.

Every YAML text micronf reads (the document and each imported file) goes
through :func:`micronf.yang.inputs.read_regular_file` / :func:`check_text` and :func:`parse_yaml`:

* only regular files are opened (a FIFO or device would block or never
  end), and at most ``limit + 1`` bytes are read;
* size, encoding and NUL bytes are checked by :mod:`micronf.yang.validate`
  (``check_size``, ``check_text``), exactly as for XML and JSON input;
* the text is composed once by libyaml; YAML aliases (the "billion laughs"
  blow-up) and duplicate mapping keys (which PyYAML silently resolves to
  the last value) are refused on that node tree, the source lines of the
  TOSCA constructs are read from it, and the Python data is constructed
  from the same tree.

Problems raised here carry no ``source``: the caller knows which file (or
which import of which file) the text came from.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from micronf.yang import Problem, ValidationFailed
from micronf.yang.inputs import check_size, check_text, read_regular_file

# libyaml's safe loader: the pure-Python one needs seconds per 10,000 levels of
# nesting (a cheap denial of service); libyaml rejects deep nesting at once.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_EXCERPT = 120
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _fail(message: str, *, app_tag: str | None = None, line: int | None = None) -> ValidationFailed:
    return ValidationFailed([Problem(message, app_tag=app_tag, line=line)])


def decode(raw: bytes) -> str:
    """The UTF-8 text of a file (a byte-order mark dropped); refuses NUL bytes and emptiness."""
    text = check_text(raw).decode("utf-8")
    if not text.strip():
        raise _fail("input is empty", app_tag="micronf-empty-input")
    return text


def check_document(text: str, limit: int) -> None:
    """The checks of :func:`decode` and the size limit, for a document given as text."""
    raw = text.encode("utf-8", "surrogatepass")
    check_size(raw, limit)
    decode(raw)


# --------------------------------------------------------------------------- YAML


def _key(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _lineno(node: Any) -> int:
    """1-based line of a YAML node (0 if it has no mark)."""
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if _key(k) == name:
                child: yaml.Node = v
                return child
    return None


def _structure_problems(root: yaml.Node) -> list[Problem]:
    """Aliases and duplicate keys, found in one walk of the composed tree.

    libyaml's composer resolves an alias to the very node its anchor named,
    so an alias is a node met a second time. The walk is iterative and in
    document order (the anchor is met first, the alias second) and stops at
    the first alias: an alias bomb is never expanded.
    """
    duplicates: list[Problem] = []
    seen: set[int] = set()
    # (node, line of the place that refers to it)
    stack: list[tuple[yaml.Node, int]] = [(root, _lineno(root))]
    while stack:
        node, line = stack.pop()
        if id(node) in seen:
            return [Problem("YAML aliases (*name) are not supported in TOSCA input", line=line)]
        seen.add(id(node))
        children: list[tuple[yaml.Node, int]] = []
        if isinstance(node, yaml.MappingNode):
            names: set[str] = set()
            for k, v in node.value:
                name = _key(k)
                if k.tag == _MERGE_TAG:
                    # PyYAML would splice the merged map in below the duplicate-key
                    # check: a node or group could be replaced unseen
                    duplicates.append(
                        Problem(
                            "YAML merge keys (<<) are not supported in TOSCA input: "
                            "write the keys out",
                            line=_lineno(k),
                        )
                    )
                    continue
                if name is not None:
                    if name in names:
                        duplicates.append(Problem(f"duplicate key {name!r}", line=_lineno(k)))
                    names.add(name)
                children += [(k, _lineno(k)), (v, _lineno(k))]
        elif isinstance(node, yaml.SequenceNode):
            children = [(item, _lineno(node)) for item in node.value]
        stack.extend(reversed(children))
    return sorted(duplicates, key=lambda p: p.line or 0)


def _syntax_problem(exc: yaml.YAMLError) -> Problem:
    """A YAML error as one short message: PyYAML's problem text, never a snippet of the file."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}"
    if context:
        message += f" ({context})"
    if len(message) > _EXCERPT:
        message = message[: _EXCERPT - 3] + "..."
    return Problem(message, line=mark.line + 1 if mark is not None else None)


@dataclass
class Yaml:
    """A YAML document: its data and its composed node tree (for source lines)."""

    data: Any
    root: yaml.Node | None


def parse_yaml(text: str) -> Yaml:
    """Compose ``text`` once, refuse aliases and duplicate keys, construct the data."""
    loader = _LOADER(text)
    # Composing and constructing allocate one object per YAML node; the cyclic
    # garbage collector would rescan the growing heap again and again (half
    # the time of a big document), and a parse creates no cycles to collect.
    collecting = gc.isenabled()
    gc.disable()
    try:
        root = loader.get_single_node()
        if root is None:
            return Yaml(None, None)
        problems = _structure_problems(root)
        if problems:
            raise ValidationFailed(problems)
        return Yaml(loader.construct_document(root), root)
    except yaml.YAMLError as exc:
        raise ValidationFailed([_syntax_problem(exc)]) from None
    except RecursionError:
        raise _fail("the YAML document is nested too deeply") from None
    finally:
        loader.dispose()
        if collecting:
            gc.enable()


# --------------------------------------------------------------------------- source lines


@dataclass
class Lines:
    """YAML lines (1-based) of the parts of a TOSCA document."""

    nodes: dict[str, int] = field(default_factory=dict)
    #: node or group type name -> line of the first template using it
    types: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    imports: list[int] = field(default_factory=list)
    version: int | None = None
    #: keys of topology_template (inputs, substitution_mappings, ...) -> line
    sections: dict[str, int] = field(default_factory=dict)
    #: (FP name, index of the requirement) -> line of that requirement entry
    requirements: dict[tuple[str, int], int] = field(default_factory=dict)
    #: ("node" | "group", template name, property) -> line of the property
    props: dict[tuple[str, str, str], int] = field(default_factory=dict)
    #: ("node" | "group", template name, key) -> line of a key of the template
    keys: dict[tuple[str, str, str], int] = field(default_factory=dict)
    #: absolute path of an imported file -> (how it was imported, line of the
    #: document's import, lines of the file's top-level keys)
    imported: dict[str, tuple[str, int | None, dict[str, int]]] = field(default_factory=dict)


def _template_lines(lines: Lines, kind: str, name: str, node: yaml.Node) -> None:
    """Lines of the keys and properties of one node template or group."""
    if not isinstance(node, yaml.MappingNode):
        return
    for k, v in node.value:
        key = _key(k)
        if key is None:
            continue
        lines.keys.setdefault((kind, name, key), _lineno(k))
        if key in ("properties", "capabilities", "interfaces") and isinstance(v, yaml.MappingNode):
            for pk, _pv in v.value:
                prop = _key(pk)
                if prop is not None and key == "properties":
                    lines.props.setdefault((kind, name, prop), _lineno(pk))
        if key == "requirements" and isinstance(v, yaml.SequenceNode):
            for item in v.value:
                if isinstance(item, yaml.MappingNode):
                    for rk, _rv in item.value:
                        req = _key(rk)
                        if req is not None:
                            lines.keys.setdefault((kind, name, f"requirement {req}"), _lineno(rk))


def top_level_lines(root: yaml.Node | None) -> dict[str, int]:
    """Line of every top-level key of a YAML mapping."""
    out: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for k, _v in root.value:
            key = _key(k)
            if key is not None:
                out.setdefault(key, _lineno(k))
    return out


def line_map(root: yaml.Node | None) -> Lines:
    lines = Lines()
    if isinstance(root, yaml.MappingNode):
        for k, _v in root.value:
            if _key(k) == "tosca_definitions_version":
                lines.version = _lineno(k)
    imports = _child(root, "imports")
    if isinstance(imports, yaml.SequenceNode):
        lines.imports = [_lineno(item) for item in imports.value]
    topo = _child(root, "topology_template")
    if isinstance(topo, yaml.MappingNode):
        for k, _v in topo.value:
            name = _key(k)
            if name is not None:
                lines.sections.setdefault(name, _lineno(k))
    templates = _child(topo, "node_templates")
    if isinstance(templates, yaml.MappingNode):
        for k, v in templates.value:
            name = _key(k)
            if name is None:
                continue
            lines.nodes[name] = _lineno(k)
            _template_lines(lines, "node", name, v)
            ntype = _child(v, "type")
            if ntype is not None and _key(ntype) is not None:
                lines.types.setdefault(str(_key(ntype)), _lineno(ntype))
            reqs = _child(v, "requirements")
            if isinstance(reqs, yaml.SequenceNode):
                for i, item in enumerate(reqs.value):
                    lines.requirements[(name, i)] = _lineno(item)
    groups = _child(topo, "groups")
    if isinstance(groups, yaml.MappingNode):
        for k, v in groups.value:
            name = _key(k)
            if name is not None:
                lines.groups[name] = _lineno(k)
                _template_lines(lines, "group", name, v)
            gtype = _child(v, "type")
            if gtype is not None and _key(gtype) is not None:
                lines.types.setdefault(str(_key(gtype)), _lineno(gtype))
    return lines


def load_file(path: Path, limit: int) -> Yaml:
    """Read, check and parse one YAML file (an import); problems carry YAML lines only."""
    return parse_yaml(decode(read_regular_file(path, limit)))
