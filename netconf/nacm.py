"""NACM (RFC 8341): who may read, write and execute what.

The rules are the ``ietf-netconf-acm:nacm`` container of the running
configuration, given here as RFC 7951 JSON; the engine knows nothing of
what the data means. Data nodes are named by their RFC 7951 schema path
(``/micronf-sfc:chains/chain/vnf``), the form rules' ``path`` leaves are
compared in after their prefixes and predicates are dropped.

Decisions follow RFC 8341 section 3.4: ``enable-nacm`` false permits all;
the rule-lists of the user's groups are searched in order and the first
rule that matches the module, the rule type (``rpc-name``, ``path``, or
none) and the access operation decides; otherwise a node or RPC marked
``default-deny-all`` / ``default-deny-write`` is denied, and then
``read-default``, ``write-default`` or ``exec-default`` decide.
``close-session`` is always permitted; ``kill-session`` and
``delete-config`` are ``default-deny-all`` (section 3.2.6).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: RPCs RFC 8341 section 3.2.6 makes default-deny-all in ietf-netconf.
_DENY_ALL_RPCS = {("ietf-netconf", "kill-session"), ("ietf-netconf", "delete-config")}

_PREDICATE = re.compile(r"\[[^\]]*\]")


class Access(StrEnum):
    read = "read"
    create = "create"
    update = "update"
    delete = "delete"
    exec = "exec"


def _steps(path: str) -> list[str]:
    """``/a:b/c[k='v']/a:d`` -> ``["b", "c", "d"]`` (the module is checked apart)."""
    path = _PREDICATE.sub("", path.strip())
    return [s.rpartition(":")[2] for s in path.split("/") if s]


def _module_of(path: str) -> str:
    first = path.strip().lstrip("/").split("/")[0]
    return first.partition(":")[0] if ":" in first else ""


@dataclass
class Counters:
    """RFC 8341 ``denied-*`` counters (since the server started)."""

    denied_operations: int = 0
    denied_data_writes: int = 0
    denied_notifications: int = 0


@dataclass
class Nacm:
    """One snapshot of the NACM configuration, ready to answer questions.

    *config* is the value of ``ietf-netconf-acm:nacm`` (or None when the
    running configuration has none: the YANG defaults then apply).
    *default_deny* maps schema paths to ``"write"`` / ``"all"``.
    """

    config: Mapping[str, Any] | None
    default_deny: Mapping[str, str]
    counters: Counters = field(default_factory=Counters)

    @property
    def _cfg(self) -> Mapping[str, Any]:
        return self.config or {}

    @property
    def enabled(self) -> bool:
        return bool(self._cfg.get("enable-nacm", True))

    def groups(self, user: str, external: tuple[str, ...] = ()) -> set[str]:
        out = set()
        for g in self._cfg.get("groups", {}).get("group", []):
            if user in g.get("user-name", []):
                out.add(g["name"])
        if self._cfg.get("enable-external-groups", True):
            out.update(external)
        return out

    def _rules(self, groups: set[str]) -> list[Mapping[str, Any]]:
        rules: list[Mapping[str, Any]] = []
        for rl in self._cfg.get("rule-list", []):
            names = set(rl.get("group", []))
            if "*" in names or names & groups:
                rules.extend(rl.get("rule", []))
        return rules

    @staticmethod
    def _ops_match(rule: Mapping[str, Any], access: Access) -> bool:
        ops = rule.get("access-operations", "*")
        if isinstance(ops, list):  # bits may be given as a list by some encoders
            ops = " ".join(ops)
        return ops.strip() == "*" or access.value in ops.split()

    @staticmethod
    def _module_match(rule: Mapping[str, Any], module: str) -> bool:
        wanted = rule.get("module-name", "*")
        return bool(wanted == "*" or wanted == module)

    def may_exec(self, user: str, external: tuple[str, ...], module: str, rpc: str) -> bool:
        """RFC 8341 section 3.4.4, for one RPC."""
        if not self.enabled:
            return True
        for rule in self._rules(self.groups(user, external)):
            if not self._module_match(rule, module) or not self._ops_match(rule, Access.exec):
                continue
            if "path" in rule or "notification-name" in rule:
                continue
            name = rule.get("rpc-name")
            if name is not None and name not in ("*", rpc):
                continue
            return self._decide(rule["action"] == "permit", exec_=True)
        if (module, rpc) in _DENY_ALL_RPCS or self._marked(f"/{module}:{rpc}") == "all":
            return self._decide(False, exec_=True)
        return self._decide(self._cfg.get("exec-default", "permit") == "permit", exec_=True)

    def may_notify(self, user: str, external: tuple[str, ...], module: str, name: str) -> bool:
        """RFC 8341 section 3.4.6: may *user* receive notification *module:name*?"""
        if not self.enabled:
            return True
        for rule in self._rules(self.groups(user, external)):
            if not self._module_match(rule, module) or not self._ops_match(rule, Access.read):
                continue
            if "path" in rule or "rpc-name" in rule:
                continue
            wanted = rule.get("notification-name")
            if wanted is not None and wanted not in ("*", name):
                continue
            permit = rule["action"] == "permit"
            break
        else:
            mark = self._marked(f"/{module}:{name}")
            permit = mark != "all" and self._cfg.get("read-default", "permit") == "permit"
        if not permit:
            self.counters.denied_notifications += 1
        return bool(permit)

    def _decide(self, permit: bool, *, exec_: bool = False, write: bool = False) -> bool:
        if not permit:
            if exec_:
                self.counters.denied_operations += 1
            elif write:
                self.counters.denied_data_writes += 1
        return permit

    def _marked(self, path: str) -> str | None:
        """The NACM extension on *path* or its nearest marked ancestor."""
        steps = path.split("/")
        for end in range(len(steps), 1, -1):
            mark = self.default_deny.get("/".join(steps[:end]))
            if mark:
                return mark
        return None

    def may_access(self, user: str, external: tuple[str, ...], access: Access, path: str) -> bool:
        """RFC 8341 section 3.4.5, for one data node named by its schema path."""
        if not self.enabled:
            return True
        return self._data_decision(self.groups(user, external), access, path)

    def _data_decision(self, groups: set[str], access: Access, path: str) -> bool:
        write = access is not Access.read
        module = _module_of(path)
        steps = _steps(path)
        for rule in self._rules(groups):
            if not self._module_match(rule, module) or not self._ops_match(rule, access):
                continue
            if "rpc-name" in rule or "notification-name" in rule:
                continue
            if "path" in rule:
                want = _steps(rule["path"])
                if steps[: len(want)] != want:
                    continue
            return self._decide(rule["action"] == "permit", write=write)
        mark = self._marked(path)
        if mark == "all" or (mark == "write" and write):
            return self._decide(False, write=write)
        default = self._cfg.get("write-default" if write else "read-default")
        if default is None:
            default = "deny" if write else "permit"
        return self._decide(default == "permit", write=write)

    def prune(self, user: str, external: tuple[str, ...], data: dict[str, Any]) -> dict[str, Any]:
        """*data* (RFC 7951 JSON of a datastore) without what *user* may not read."""
        if not self.enabled:
            return data
        groups = self.groups(user, external)
        out: dict[str, Any] = {}
        for key, value in data.items():
            path = "/" + key
            if self._data_decision(groups, Access.read, path):
                out[key] = self._prune_value(groups, path, key.partition(":")[0], value)
        return out

    def _prune_value(self, groups: set[str], path: str, module: str, value: Any) -> Any:
        if isinstance(value, list):
            return [self._prune_value(groups, path, module, v) for v in value]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, child in value.items():
            if key.startswith("@"):
                out[key] = child
                continue
            mod, _, name = key.rpartition(":")
            child_path = f"{path}/{key}" if mod and mod != module else f"{path}/{name}"
            if self._data_decision(groups, Access.read, child_path):
                out[key] = self._prune_value(groups, child_path, mod or module, child)
        return out
