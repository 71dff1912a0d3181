"""Intents of any size for store and CLI tests, made from the paper's example chain."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE: dict[str, Any] = json.loads((ROOT / "examples" / "paper-sfc.json").read_text())


def chains(n: int, *, variant: int = 0, changed: int | None = None) -> dict[str, Any]:
    """*n* copies of the example chain named chain-00000...; chain *changed* gets
    a rule that depends on *variant*, so that two variants differ in one chain."""
    base = EXAMPLE["micronf-sfc:chains"]["chain"][0]
    out = []
    for i in range(n):
        c = copy.deepcopy(base)
        c["name"] = f"chain-{i:05d}"
        # chains of a real intent differ: own description, prefix and port
        c["description"] = f"chain {i} " + hashlib.sha256(str(i).encode()).hexdigest()
        c["ingress"]["match"]["ipv4"]["destination-ipv4-network"] = f"10.{i // 256}.{i % 256}.0/24"
        c["ingress"]["match"]["tcp"]["destination-port"]["port"] = 1024 + i % 60000
        if i == changed:
            rules = c["vnf"][0]["node-config"][0]["parameter"][0]["value"]
            rules.append(f"deny proto tcp dport {1000 + variant}")
        out.append(c)
    # the agents registry the chains' ports refer to, as in the example
    return {
        "micronf-sfc:agents": EXAMPLE["micronf-sfc:agents"],
        "micronf-sfc:chains": {"chain": out},
    }
