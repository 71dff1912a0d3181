"""TOSCA imports: the packaged micronf profile and local files, checked before tosca-parser.

micronf reads every imported file itself, with the same checks as the
document (regular file, size limit, UTF-8, no NUL bytes, not empty, no YAML
aliases or duplicate keys), and hands tosca-parser the parsed result
(:func:`serving`): tosca-parser never opens a file or a URL.

An import is one of:

* a name of the packaged profile (:data:`PROFILE_IMPORT_NAMES`);
* a relative path that resolves, symbolic links followed, inside the folder
  of the file that imports it.

Everything else is refused with a message naming the import: URLs and
repositories (micronf never fetches anything), absolute paths, paths that
leave the folder (``..``, symbolic links), files that are not regular files.
Messages never quote the content of an imported file, only (for a YAML
error) PyYAML's short description of the error.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib.resources
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from micronf.yang import Problem, ValidationFailed
from micronf.yang.budgets import BUDGETS, over_budget
from micronf.yang.inputs import limit_of

from . import source as src

#: Import names that resolve to the packaged micronf profile.
PROFILE_IMPORT_NAMES = frozenset({"micronf", "micronf-profile", "micronf-profile.yaml"})

#: Most import entries one document may hold, nested ones included (the
#: default of the ``imports`` budget of :mod:`micronf.yang.budgets`).
MAX_IMPORTED_FILES = BUDGETS["imports"].default


def profile_path() -> Path:
    """The packaged ``micronf-profile.yaml``."""
    return Path(
        str(importlib.resources.files("micronf.tosca") / "profile" / "micronf-profile.yaml")
    )


@functools.lru_cache(maxsize=1)
def _profile() -> Any:
    return src.load_file(profile_path(), limit_of(None)).data


def is_url(name: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", name)) or name.startswith("//")


def _entries(imports: Any) -> list[tuple[str | None, Any]]:
    """``imports`` as (import name or None, file or import definition) pairs."""
    if isinstance(imports, str):
        return [(None, imports)]
    if isinstance(imports, dict):
        return list(imports.items())
    if not isinstance(imports, list):
        return [(None, imports)]
    entries: list[tuple[str | None, Any]] = []
    for item in imports:
        if isinstance(item, dict) and len(item) == 1 and "file" not in item:
            ((name, value),) = item.items()
            entries.append((str(name), value))
        else:
            entries.append((None, item))
    return entries


def _rewrite(name: str | None, definition: Any, path: str) -> Any:
    """The import entry, pointing at ``path``."""
    if isinstance(definition, dict):
        new_def = dict(definition)
        new_def["file"] = path
        return {name or path: new_def}
    if name is not None:
        return {name: path}
    return path


@dataclass
class Imports:
    """The checked imports of a document."""

    #: the document's ``imports``, every entry an absolute path of a checked file
    entries: list[Any] = field(default_factory=list)
    #: absolute path -> parsed content (its own ``imports`` rewritten the same way)
    files: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: absolute path -> where it was imported from (for messages about its content)
    origins: dict[str, Origin] = field(default_factory=dict)


@dataclass(frozen=True)
class Origin:
    """How an imported file was reached: ``import 'a.yaml' -> 'b.yaml'``, the line of
    the document's import, and the lines of the file's top-level keys."""

    where: str
    line: int | None
    key_lines: dict[str, int]


class _Resolver:
    def __init__(self, source: str, limit: int, max_entries: int) -> None:
        self.source = source
        self.limit = limit
        self.max_entries = max_entries
        self.entries = 0
        self.exhausted = False
        self.origins: dict[str, Origin] = {}
        self.files: dict[str, Any] = {}
        self.problems: list[Problem] = []
        # real paths of the files being resolved, outermost first: an import of
        # one of them is a cycle (the document itself counts)
        self.stack: list[str] = [os.path.realpath(source)] if os.path.isfile(source) else []

    def problem(self, where: str, message: str, line: int | None) -> None:
        self.problems.append(Problem(f"{where}: {message}", source=self.source, line=line))

    def local(self, file_name: str, folder: Path | None) -> tuple[Path | None, str | None]:
        """The real path of a local import, or why it is refused."""
        if "\0" in file_name:
            return None, "an import name cannot hold a NUL character"
        if folder is None:
            return None, (
                "relative imports of standard input are looked up in the working "
                "directory, which no longer exists"
            )
        if os.path.isabs(file_name) or file_name.startswith("~"):
            return None, (
                "absolute paths (and ~) are not allowed: an import is a relative path "
                "inside the folder of the file that imports it"
            )
        root = Path(os.path.realpath(folder))
        target = Path(os.path.realpath(folder / file_name))
        if target != root and root not in target.parents:
            return None, (
                "the path leads outside the folder of the file that imports it "
                "(through '..' or a symbolic link): not allowed"
            )
        if not os.path.lexists(folder / file_name):
            return None, f"file not found ({folder / file_name})"
        return target, None

    def resolve(
        self,
        imports: Any,
        folder: Path | None,
        chain: list[str],
        lines: list[int],
        line: int | None,
    ) -> list[Any]:
        """Check and load the entries of ``imports``; their files are read from ``folder``.

        ``chain`` names the imports that led here (empty for the document);
        ``lines`` are the document's import lines, ``line`` the line of the
        document's import that led here (for nested imports).
        """
        resolved: list[Any] = []
        for i, (name, definition) in enumerate(_entries(imports)):
            at = line if chain else (lines[i] if i < len(lines) else None)
            if self.exhausted:
                break
            self.entries += 1
            if self.entries > self.max_entries:
                # every entry costs a check and maybe a file read, loaded or refused
                self.problems.append(
                    over_budget("imports", self.entries, "imports", self.max_entries, at).located(
                        self.source
                    )
                )
                self.exhausted = True  # reported once; nothing more is read
                break
            file_name = definition.get("file") if isinstance(definition, dict) else definition
            label = name if name is not None else str(file_name)
            where = "import " + " -> ".join(repr(x) for x in [*chain, label])
            if isinstance(definition, dict) and "repository" in definition:
                self.problem(
                    where, "repository imports are not supported (micronf never fetches URLs)", at
                )
                continue
            if not isinstance(file_name, str) or not file_name.strip():
                self.problem(where, "no file name given", at)
                continue
            if is_url(file_name):
                self.problem(
                    where,
                    "imports over the network are not supported (micronf never fetches "
                    "URLs); copy the file next to the document",
                    at,
                )
                continue
            if file_name in PROFILE_IMPORT_NAMES:
                if chain:
                    self.problem(
                        where, "import the micronf profile from the main document only", at
                    )
                elif isinstance(definition, dict) and definition.get("namespace_prefix"):
                    self.problem(
                        where,
                        "the micronf profile cannot be imported with a namespace_prefix "
                        "(its types refer to each other by full name)",
                        at,
                    )
                else:
                    key = str(profile_path())
                    if key not in self.files:
                        self.files[key] = _profile()
                        resolved.append(_rewrite(name, definition, key))
                continue
            target, refused = self.local(file_name, folder)
            if target is None:
                self.problem(where, refused or "refused", at)
                continue
            key = str(target)
            if key in self.stack:
                cycle = [Path(k).name for k in self.stack[self.stack.index(key) :]]
                self.problem(where, "import cycle: " + " -> ".join([*cycle, Path(key).name]), at)
                continue
            if key in self.files:
                continue  # tosca-parser merges all imported types: once is enough
            try:
                parsed = src.load_file(target, self.limit)
                doc = parsed.data
            except ValidationFailed as exc:
                for p in exc.problems:
                    inside = f"line {p.line}: " if p.line else ""
                    self.problem(where, inside + p.message, at)
                continue
            if not isinstance(doc, dict):
                self.problem(where, "not a TOSCA definitions file (a YAML mapping)", at)
                continue
            self.files[key] = doc
            self.origins[key] = Origin(where, at, src.top_level_lines(parsed.root))
            if doc.get("imports") is not None:
                self.stack.append(key)
                nested = self.resolve(doc["imports"], target.parent, [*chain, label], lines, at)
                self.stack.pop()
                if nested:
                    doc["imports"] = nested
                else:
                    # tosca-parser reads an empty import list as "none given" and
                    # falls back to the main document's imports: endless recursion
                    del doc["imports"]
            resolved.append(_rewrite(name, definition, key))
        return resolved


def resolve(
    imports: Any,
    folder: Path | None,
    source: str,
    lines: list[int],
    max_bytes: int | None = None,
    *,
    max_entries: int = MAX_IMPORTED_FILES,
) -> Imports:
    """Check and load the imports of a document read from ``folder``.

    The micronf profile is added when the document does not import it: it is
    a drop-in for the NFV profile, so documents written for tosca-parser's
    NFV profile get micronf's reading of VNF, FP and VNFFG.
    """
    resolver = _Resolver(source, limit_of(max_bytes), max_entries)
    entries = resolver.resolve(imports, folder, [], lines, None) if imports is not None else []
    profile = str(profile_path())
    if profile not in resolver.files:
        resolver.files[profile] = _profile()
        entries.insert(0, profile)
    return Imports(entries, resolver.files, resolver.problems, resolver.origins)


@contextlib.contextmanager
def serving(files: dict[str, Any]) -> Iterator[None]:
    """Make tosca-parser take imported files from ``files`` instead of reading them.

    The caller holds the tosca-parser lock: the loader is a module global.
    """
    import toscaparser.imports as tosca_imports
    from toscaparser.common.exception import ExceptionCollector

    def load(path: str, a_file: bool = True) -> Any:
        if path in files:
            return copy.deepcopy(files[path])
        ExceptionCollector.appendException(ImportError(f'import "{path}" was not checked'))
        return None

    original = tosca_imports.YAML_LOADER
    tosca_imports.YAML_LOADER = load
    try:
        yield
    finally:
        tosca_imports.YAML_LOADER = original
