"""The NACM engine (RFC 8341 3.4) on its own: rule order, defaults, extensions."""

from __future__ import annotations

from ncserver import shared_validator

from micronf.netconf import Access, Nacm
from micronf.yang.schema import Schema

MARKS = Schema(shared_validator()).nacm_default_deny


def engine(config: dict | None) -> Nacm:  # type: ignore[type-arg]
    return Nacm(config, MARKS)


def test_yang_defaults_without_configuration() -> None:
    n = engine(None)
    assert n.may_access("u", (), Access.read, "/micronf-sfc:chains/chain/name")
    assert not n.may_access("u", (), Access.update, "/micronf-sfc:chains/chain/name")
    assert n.may_exec("u", (), "ietf-netconf", "get-config")
    assert not n.may_exec("u", (), "ietf-netconf", "kill-session")  # default-deny-all
    assert not n.may_access("u", (), Access.read, "/ietf-netconf-acm:nacm/groups")


def test_default_deny_write_extensions_of_micronf() -> None:
    n = engine({"write-default": "permit"})
    assert n.may_access("u", (), Access.create, "/micronf-sfc:chains/chain")
    assert not n.may_access("u", (), Access.create, "/micronf-catalog:catalog/unf-descriptor")
    assert not n.may_access(
        "u", (), Access.update, "/micronf-agent:agent/desired/unf/scheduling/sched-fifo"
    )
    assert n.may_access("u", (), Access.read, "/micronf-catalog:catalog/unf-descriptor/class")


def test_first_matching_rule_wins_and_groups() -> None:
    cfg = {
        "groups": {"group": [{"name": "ops", "user-name": ["bob"]}]},
        "rule-list": [
            {
                "name": "a",
                "group": ["ops"],
                "rule": [
                    {
                        "name": "deny-placement",
                        "module-name": "micronf-sfc",
                        "path": "/micronf-sfc:chains/micronf-sfc:chain/micronf-sfc:placement",
                        "access-operations": "*",
                        "action": "deny",
                    },
                    {
                        "name": "all-sfc",
                        "module-name": "micronf-sfc",
                        "access-operations": "create update delete",
                        "action": "permit",
                    },
                    {
                        "name": "no-dry-run",
                        "module-name": "micronf-sfc",
                        "rpc-name": "dry-run",
                        "access-operations": "exec",
                        "action": "deny",
                    },
                ],
            },
            {
                "name": "b",
                "group": ["*"],
                "rule": [
                    {
                        "name": "catalog",
                        "module-name": "micronf-catalog",
                        "access-operations": "*",
                        "action": "permit",
                    },
                ],
            },
        ],
    }
    n = engine(cfg)
    assert n.may_access("bob", (), Access.update, "/micronf-sfc:chains/chain/description")
    assert not n.may_access("bob", (), Access.update, "/micronf-sfc:chains/chain/placement/x")
    assert not n.may_access("bob", (), Access.read, "/micronf-sfc:chains/chain/placement")
    assert not n.may_exec("bob", (), "micronf-sfc", "dry-run")
    assert n.may_access("eve", ("ops",), Access.delete, "/micronf-sfc:chains/chain")  # external
    assert not n.may_access("eve", (), Access.delete, "/micronf-sfc:chains/chain")
    # an explicit permit overrides default-deny-write ("*" group: everybody)
    assert n.may_access("eve", (), Access.create, "/micronf-catalog:catalog/unf-descriptor")
    assert n.counters.denied_data_writes >= 2 and n.counters.denied_operations == 1
    off = engine({**cfg, "enable-external-groups": False})
    assert not off.may_access("eve", ("ops",), Access.delete, "/micronf-sfc:chains/chain")
    assert engine({"enable-nacm": False}).may_exec("u", (), "ietf-netconf", "kill-session")


def test_prune_keeps_only_readable() -> None:
    cfg = {
        "rule-list": [
            {
                "name": "r",
                "group": ["*"],
                "rule": [
                    {
                        "name": "hide",
                        "module-name": "*",
                        "path": "/micronf-sfc:chains/chain/placement",
                        "access-operations": "read",
                        "action": "deny",
                    }
                ],
            }
        ]
    }
    data = {
        "micronf-sfc:chains": {"chain": [{"name": "a", "placement": {"expected-rate": "1"}}]},
        "ietf-netconf-acm:nacm": {"enable-nacm": True},
    }
    assert engine(cfg).prune("u", (), data) == {"micronf-sfc:chains": {"chain": [{"name": "a"}]}}
