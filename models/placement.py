"""Typed agents registry and placement intent, built from validated data.

The registry (``/micronf-sfc:agents/agent``) says which servers exist, the
cores each offers per NUMA node, their clock and their data-plane ports; a
chain's ingress, egress, allowed agents and pins refer to it by leafrefs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Port:
    name: str
    numa_node: int | None
    mac_address: str | None


@dataclass(frozen=True)
class Agent:
    name: str
    address: str | None
    core_hz: float
    numa_cores: Mapping[int, tuple[int, ...]]  # NUMA node -> cores, in order
    ports: Mapping[str, Port]
    tunnel_port: str | None

    @classmethod
    def from_yang(cls, d: Mapping[str, Any]) -> Agent:
        return cls(
            name=d["name"],
            address=d.get("address"),
            core_hz=float(d.get("core-frequency", 2000)) * 1e6,
            numa_cores={
                int(n["id"]): tuple(sorted(int(c) for c in n.get("core", [])))
                for n in sorted(d.get("numa-node", []), key=lambda n: int(n["id"]))
            },
            ports={
                p["name"]: Port(
                    p["name"],
                    int(p["numa-node"]) if p.get("numa-node") is not None else None,
                    p.get("mac-address"),
                )
                for p in sorted(d.get("port", []), key=lambda p: str(p["name"]))
            },
            tunnel_port=d.get("tunnel-port"),
        )

    @property
    def cores(self) -> tuple[int, ...]:
        return tuple(c for cores in self.numa_cores.values() for c in cores)

    def numa_of_core(self, core: int) -> int | None:
        for node, cores in self.numa_cores.items():
            if core in cores:
                return node
        return None

    @property
    def carrier_port(self) -> Port | None:
        """The port tunnels to other agents use."""
        if self.tunnel_port:
            return self.ports[self.tunnel_port]
        return next(iter(self.ports.values()), None)


@dataclass(frozen=True)
class Pin:
    vnf: str
    node: str
    agent: str
    core: int | None


@dataclass(frozen=True)
class PlacementIntent:
    expected_rate: float | None = None  # Mpps
    allowed_agents: tuple[str, ...] = ()
    min_instances: int = 1
    max_instances: int = 4
    run_to_completion: bool = False
    numa_node: int | None = None
    pins: tuple[Pin, ...] = ()

    @classmethod
    def from_yang(cls, d: Mapping[str, Any]) -> PlacementIntent:
        rate = d.get("expected-rate")
        return cls(
            expected_rate=float(rate) if rate is not None else None,
            allowed_agents=tuple(d.get("allowed-agent", [])),
            min_instances=int(d.get("min-instances", 1)),
            max_instances=int(d.get("max-instances", 4)),
            run_to_completion=bool(d.get("run-to-completion", False)),
            numa_node=int(d["numa-node"]) if d.get("numa-node") is not None else None,
            pins=tuple(
                Pin(
                    p["vnf"],
                    p["node"],
                    p["agent"],
                    int(p["core"]) if p.get("core") is not None else None,
                )
                for p in d.get("pin", [])
            ),
        )
