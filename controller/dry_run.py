"""Dry run: compile, place and plan an intent against the current one (pure).

Both the ``micronf dry-run`` command and the ``micronf-sfc:dry-run`` RPC
call :func:`dry_run`: the new intent is compiled, placed and turned into
per-agent desired sub-graphs; the current intent (the stored revision, or
nothing) goes through the same steps, and the actions are the difference.
Nothing is changed anywhere. Problems a user can cause (a graph that cannot
be placed, a cycle after inlining, a result no edge takes) raise
:class:`~micronf.yang.ValidationFailed` with a YANG data path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from micronf.models import Intent
from micronf.models.graph import UnfGraph
from micronf.yang import Problem, ValidationFailed
from micronf.yang.checks import chain_path

from .compiler import Compilation, CostModel, compile_intent
from .placement import Placement, place
from .plan import Action, Desired, actions, desired_graphs


class CompileError(ValidationFailed):
    """The intent compiles into a graph that cannot run."""


@dataclass(frozen=True)
class DryRunResult:
    intent: Intent
    compilation: Compilation
    placement: Placement
    desired: Mapping[str, Desired]
    actions: tuple[Action, ...]
    report: Mapping[str, Any]
    current: str  # what the actions were computed against

    def graph_data(self) -> dict[str, Any]:
        """The compiled graph with each uNF's agent, core and instances."""
        data = self.compilation.graph.to_data()
        for unf in data["unf"]:
            p = self.placement.unfs[unf["id"]]
            unf.update(agent=p.agent, core=p.core, instances=p.instances)
        return data

    def to_json(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "switches": {c: dict(s) for c, s in self.compilation.switches.items()},
            "naive": self.compilation.naive.to_data(),
            "graph": self.graph_data(),
            "report": dict(self.report),
            "placement": self.placement.to_data(),
            "tunnels": [
                {
                    "name": t.name,
                    "tag": t.tag,
                    "from": t.edge.source,
                    "to": t.edge.target,
                    "source-agent": t.source_agent,
                    "target-agent": t.target_agent,
                    "source-port": t.source_port,
                    "target-port": t.target_port,
                    "remote-mac": t.remote_mac,
                    "remote-address": t.remote_address,
                }
                for t in self.placement.tunnels
            ],
            "desired": dict(self.desired),
            "actions": [a.as_dict() for a in self.actions],
        }

    def rpc_output(self) -> dict[str, Any]:
        """The ``micronf-sfc:dry-run`` RPC output (RFC 7951 JSON, without the prefix)."""
        r = self.report
        changes = [
            {
                "seq": i,
                "pass": c["pass"],
                "action": c["action"],
                "applied": c["applied"],
                "unf": c["unf"],
                "reason": c["reason"],
            }
            for i, c in enumerate([ch.as_dict() for ch in self.compilation.changes], start=1)
        ]
        return {
            "valid": True,
            "naive": self.compilation.naive.to_data(),
            "graph": self.graph_data(),
            "report": {
                "unfs-naive": r["unfs_naive"],
                "unfs-compiled": r["unfs_compiled"],
                "cycles-naive": f"{r['cycles_naive']:.1f}",
                "cycles-compiled": f"{r['cycles_compiled']:.1f}",
                "saving-percent": f"{r['saving_percent']:.1f}",
                "change": changes,
            },
            "action": [{"seq": i, **a.as_dict()} for i, a in enumerate(self.actions, start=1)],
        }


def check_graph(graph: UnfGraph, intent: Intent) -> None:
    """Refuse a compiled graph with a cycle or with a result that no edge takes."""
    problems: list[Problem] = []
    try:
        graph.topological_order()
    except ValueError as exc:
        node = graph.nodes[str(exc)]
        problems.append(
            Problem(
                f"the uNF graph has a cycle through {node.id} ({node.unf_class}) after inlining",
                chain_path(node.chains[0]),
                "micronf-cycle",
            )
        )
    for node in graph.nodes.values():
        out = graph.successors(node.id)
        if not out or not node.labels:
            continue
        every: set[str] = set()
        per_chain: dict[str, set[str]] = {}
        for e in out:
            labels = set(e.labels or node.labels)
            if e.chains:
                for c in e.chains:
                    per_chain.setdefault(c, set()).update(labels)
            else:
                every |= labels
        for chain in node.chains:
            taken = every | per_chain.get(chain, set())
            missing = [lb for lb in node.labels if lb not in taken]
            if missing:
                origin = next(o for o in node.origins if o.chain == chain)
                problems.append(
                    Problem(
                        f"result {', '.join(repr(m) for m in missing)} of uNF {node.id} "
                        f"({node.unf_class}) is taken by no edge after compilation",
                        f"{chain_path(chain)}/vnf[name='{origin.vnf}']",
                        "micronf-unrouted-label",
                    )
                )
    if problems:
        raise CompileError(problems)


def _plan(
    intent: Intent, overrides: Mapping[str, bool] | None, model: CostModel, generation: int
) -> tuple[Compilation, Placement, dict[str, Desired]]:
    comp = compile_intent(intent, overrides)
    check_graph(comp.naive, intent)
    check_graph(comp.graph, intent)
    placement = place(comp.graph, intent, model)
    return comp, placement, desired_graphs(comp.graph, placement, intent, generation)


def dry_run(
    new: Intent,
    current: Intent | None = None,
    *,
    overrides: Mapping[str, bool] | None = None,
    model: CostModel | None = None,
    generation: int = 1,
    current_name: str = "empty",
) -> DryRunResult:
    """Everything a commit of *new* over *current* would do, without doing it."""
    model = model or CostModel()
    comp, placement, desired = _plan(new, overrides, model, generation)
    before: dict[str, Desired] = {}
    if current is not None and current.chains:
        before = _plan(current, overrides, model, max(generation - 1, 1))[2]
    rates = {c: (new.chains[c].expected_rate or 0.0) for c in comp.graph.entries}
    report = comp.report(model, rates)
    return DryRunResult(
        intent=new,
        compilation=comp,
        placement=placement,
        desired=desired,
        actions=tuple(actions(before, desired)),
        report=report,
        current=current_name,
    )
