"""The commit path's shortcuts give what the long way gives.

A commit costs its change, not the whole intent: the store keeps the head's
entries and each entry's JSON text, and the intent service diffs only the
changed entries. These tests hold each shortcut against the long way: the
digest and text of the whole content, libyang's diff of the whole trees, a
revision read back by a fresh store, and a database replaced under a store.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from intents import EXAMPLE, chains

from micronf.controller.intent import IntentFile, IntentService
from micronf.controller.store import Store, document
from micronf.yang import Validator, default_validator
from micronf.yang.context import builtin_catalog_path


def _user_catalog() -> dict[str, Any]:
    """A user's VNF template (a renamed copy of a built-in one), with non-ASCII text."""
    builtin = json.loads(builtin_catalog_path().read_text())
    (tpl,) = [
        t
        for t in builtin["micronf-catalog:catalog"]["vnf-template"]
        if t["name"] == "edge-firewall"
    ]
    tpl = {**copy.deepcopy(tpl), "name": "my-firewall", "description": "Édition — à nous"}
    return {"micronf-catalog:catalog": {"vnf-template": [tpl]}}


CATALOG = _user_catalog()
#: the servers and ports the example chains name
AGENTS = {k: v for k, v in EXAMPLE.items() if k != "micronf-sfc:chains"}


def test_entry_texts_give_the_digest_and_text_of_the_whole_content() -> None:
    keys = default_validator().list_keys()
    texts = document.Texts()
    data = {**chains(20), **CATALOG, "x:leaf": "ünïcode"}
    entries = document.split(data, keys)
    assert texts.digest(entries) == document.digest(entries)
    assert texts.dumps(entries) == document.dumps(entries)
    assert json.loads(texts.dumps(entries)) == data
    # a changed entry under the same id, and an equal value of another type
    changed = dict(entries)
    eid = next(iter(changed))
    changed[eid] = {**changed[eid], "description": "changed"}
    changed[("x:leaf", "", None)] = 1
    assert texts.digest(changed) == document.digest(changed)
    assert texts.dumps(changed) == document.dumps(changed)
    changed[("x:leaf", "", None)] = True  # == 1 in Python, but not the same text
    assert texts.dumps(changed) == document.dumps(changed)
    assert document.changed(entries, changed) == [eid, ("x:leaf", "", None)]


def _full_diff(v: Validator, old: dict[str, Any], new: dict[str, Any]) -> list[Any]:
    a = v.from_dict(old) if old else v.empty()
    b = v.from_dict(new) if new else v.empty()
    return a.diff(b)


def _json_file(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "change",
    ["one chain", "add and remove", "a new container", "remove a container", "everything"],
)
def test_plan_changes_equal_the_diff_of_the_whole_trees(tmp_path: Path, change: str) -> None:
    v = Validator()
    before = {**AGENTS, **chains(6), **CATALOG}
    after = copy.deepcopy(before)
    after_chains = after["micronf-sfc:chains"]["chain"]
    if change == "one chain":
        after["micronf-sfc:chains"] = chains(6, variant=3, changed=2)["micronf-sfc:chains"]
    elif change == "add and remove":
        del after_chains[1]
        extra = chains(8)["micronf-sfc:chains"]["chain"][7]
        after_chains.append(extra)
        after_chains[0]["description"] = "first, changed"
    elif change == "a new container":
        before = {**AGENTS, **chains(6)}
    elif change == "remove a container":
        del after["micronf-catalog:catalog"]
    else:
        after = {**AGENTS, **chains(3, variant=9, changed=0)}
    with Store.open(tmp_path / "intent.db") as store:
        svc = IntentService(store, v)
        first = svc.plan([svc.read(_json_file(tmp_path, "a.json", before), "json")], replace=True)
        svc.commit(first, author="t", channel="file")
        plan = svc.plan([svc.read(_json_file(tmp_path, "b.json", after), "json")], replace=True)
        assert plan.changes == _full_diff(v, before, after)
        assert plan.changes  # every case changes something
        assert json.loads(plan.config) == after
        assert plan.intent.user_json == plan.config
        rev = svc.commit(plan, author="t", channel="file")
    with Store.open(tmp_path / "intent.db") as fresh:  # nothing cached
        again = fresh.revision(rev.number)
    assert again == rev  # every field, the configuration text included
    assert json.loads(again.config) == after


def test_merging_one_chain_keeps_the_others_and_their_order(tmp_path: Path) -> None:
    v = Validator()
    with Store.open(tmp_path / "intent.db") as store:
        svc = IntentService(store, v)
        base = {**AGENTS, **chains(5)}
        svc.commit(
            svc.plan([svc.read(_json_file(tmp_path, "a.json", base), "json")]),
            author="t",
            channel="file",
        )
        one = chains(5, variant=1, changed=3)
        one["micronf-sfc:chains"]["chain"] = [one["micronf-sfc:chains"]["chain"][3]]
        plan = svc.plan([svc.read(_json_file(tmp_path, "b.json", one), "json")])
        assert [c.path for c in plan.changes] == [
            "/micronf-sfc:chains/chain[name='chain-00003']/vnf[name='edge-fw']"
            "/node-config[node='filter']/parameter[name='rule']"
            "/value[.='deny proto tcp dport 1001']"
        ]
        rev = svc.commit(plan, author="t", channel="file")
        assert rev.summary == {"added": 0, "changed": 1, "removed": 0}
        assert json.loads(rev.config) == {**AGENTS, **chains(5, variant=1, changed=3)}


def test_a_plan_from_unvalidated_data_is_stored_as_libyang_prints_it(tmp_path: Path) -> None:
    """Entries that did not come through libyang (TOSCA, NETCONF) are stored canonically."""
    v = Validator()
    data = copy.deepcopy(EXAMPLE)
    chain = data["micronf-sfc:chains"]["chain"][0]
    chain["placement"]["expected-rate"] = "2.00"  # decimal64: canonical "2.0"
    with Store.open(tmp_path / "intent.db") as store:
        svc = IntentService(store, v)
        rev = svc.commit(svc.plan([IntentFile("t.yaml", data)]), author="t", channel="file")
        assert json.loads(rev.config) == EXAMPLE
        again = svc.plan([IntentFile("t.yaml", data)])
        assert again.changes == []  # equal to running once canonical


def test_a_database_replaced_under_a_store_is_read_again(tmp_path: Path) -> None:
    """The cached head is keyed by number and digest: another database's revision 1
    is not mistaken for the one the store remembers."""
    path = tmp_path / "intent.db"
    with Store.open(path) as a:
        a.commit(chains(3), parent=None, author="a", channel="file")
        for stale in tmp_path.glob("intent.db*"):
            stale.unlink()
        with Store.open(path) as b:
            b.commit(chains(2), parent=None, author="b", channel="file")
        # a's cache holds its own revision 1 (three chains): the commit notices
        rev = a.commit(chains(2, variant=1, changed=1), parent=1, author="a", channel="file")
        assert rev.summary == {"added": 0, "changed": 1, "removed": 0}
        head = a.head()
        assert head is not None and json.loads(head.config) == chains(2, variant=1, changed=1)
        # and reading: revision 1 is b's
        assert json.loads(a.revision(1).config) == chains(2)
    with Store.open(path) as fresh:
        assert json.loads(fresh.revision(2).config) == chains(2, variant=1, changed=1)
