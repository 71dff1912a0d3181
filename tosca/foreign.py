"""Documents of other NFV systems: recognised, explained, and (Tacker VNFFGDs) translated.

Operators migrating to micronf bring descriptors written for other
orchestrators. Refused with tosca-parser's "not a valid type" they learn
nothing; here the families are recognised before anything else runs, and
the answer says, one line each, what the document is, which of its parts
map to micronf and how, and what does not:

* **Tacker VNFFG descriptors** (``tosca.nodes.nfv.FP.Tacker`` /
  ``FP.TackerV2`` with a ``path`` of VNFD names): forwarders -> VNFs of a
  micronf template, classifier criteria -> the chain's ingress match,
  connection points and virtual links -> nothing (a chain's traffic enters
  and leaves by ports). The mapping is mechanical once each VNFD name is
  given a catalog template (``--template VNFD=TEMPLATE``):
  :func:`translate_tacker` rewrites such a document into the micronf
  profile;
* **ETSI NFV-SOL 001 VNF descriptors** (``tosca_simple_yaml_1_2`` / ``1_3``
  with SOL001 types: ``tosca.nodes.nfv.VDU.Compute``, ``VnfExtCp``...);
* **network service descriptors** (SOL001 ``tosca.nodes.nfv.NS``, NFPs and
  ``Sap``s), whose VNFFGs are what a micronf chain describes.

See docs/tosca-profile.md, "Coming from Tacker or ETSI SOL001".
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from micronf.yang import Problem

from .criteria import SUPPORTED_CRITERIA
from .source import Lines

DOCS = "docs/tosca-profile.md, section 'Coming from Tacker or ETSI SOL001'"

#: Criteria of Tacker classifiers that name OpenStack (Neutron) objects: where
#: traffic enters is a micronf chain's ingress_port instead.
TACKER_PORT_CRITERIA = frozenset({"network_src_port_id", "network_dst_port_id", "network_id"})

_SOL001_VERSIONS = frozenset({"tosca_simple_yaml_1_2", "tosca_simple_yaml_1_3"})
_SOL001_VNFD_TYPES = (
    "tosca.nodes.nfv.VDU.Compute",
    "tosca.nodes.nfv.VDU.VirtualBlockStorage",
    "tosca.nodes.nfv.VnfExtCp",
    "tosca.nodes.nfv.VduCp",
    "tosca.nodes.nfv.VnfVirtualLink",
)
_NSD_TYPES = ("tosca.nodes.nfv.NS", "tosca.nodes.nfv.NFP", "tosca.nodes.nfv.Sap")


def _templates(doc: Mapping[str, Any]) -> dict[str, Any]:
    topo = doc.get("topology_template")
    nodes = topo.get("node_templates") if isinstance(topo, dict) else None
    if not isinstance(nodes, dict):
        return {}
    return {str(k): v for k, v in nodes.items() if isinstance(v, dict)}


def _type(tpl: Any) -> str:
    t = tpl.get("type") if isinstance(tpl, dict) else None
    return t if isinstance(t, str) else ""


def is_tacker_fp(type_name: str) -> bool:
    return type_name.startswith("tosca.nodes.nfv.FP.Tacker")


def family(doc: Mapping[str, Any]) -> str | None:
    """``"tacker-vnffgd"``, ``"sol001-nsd"``, ``"sol001-vnfd"`` or None."""
    types = {_type(t) for t in _templates(doc).values()}
    if any(is_tacker_fp(t) for t in types):
        return "tacker-vnffgd"
    if any(t.startswith(_NSD_TYPES) for t in types):
        return "sol001-nsd"
    version = doc.get("tosca_definitions_version")
    imports = str(doc.get("imports") or "")
    if any(t.startswith(_SOL001_VNFD_TYPES) for t in types) or (
        version in _SOL001_VERSIONS and "sol001" in imports.lower()
    ):
        return "sol001-vnfd"
    return None


def _path(tpl: dict[str, Any]) -> list[dict[str, Any]]:
    props = tpl.get("properties") if isinstance(tpl.get("properties"), dict) else {}
    path = props.get("path") if props else None
    return [p for p in path if isinstance(p, dict)] if isinstance(path, list) else []


def _classifier(entry: dict[str, Any]) -> dict[str, Any]:
    """A criteria entry's keys: Tacker nests them in a named ``classifier``."""
    inner = entry.get("classifier")
    return inner if isinstance(inner, dict) else entry


def _criteria_keys(tpl: dict[str, Any]) -> list[str]:
    props = tpl.get("properties") or {}
    policy = props.get("policy") if isinstance(props, dict) else None
    criteria = policy.get("criteria") if isinstance(policy, dict) else None
    keys: list[str] = []
    for entry in criteria if isinstance(criteria, list) else []:
        if not isinstance(entry, dict):
            continue
        keys += [str(k) for k in _classifier(entry) if k != "name"]
    return keys


def explain(
    doc: Mapping[str, Any], source: str, lines: Lines, templates: Mapping[str, str] | None
) -> list[Problem]:
    """What a foreign document is and what micronf would need (empty: not foreign, or
    a Tacker VNFFGD whose every forwarder has a template: translate it)."""
    kind = family(doc)
    if kind is None:
        return []
    problems: list[Problem] = []

    def say(message: str, line: int | None) -> None:
        problems.append(Problem(message, source=source, line=line, app_tag="micronf-foreign"))

    nodes = _templates(doc)
    if kind == "tacker-vnffgd":
        forwarders: list[str] = []
        for tpl in nodes.values():
            if is_tacker_fp(_type(tpl)):
                forwarders += [
                    str(p["forwarder"]) for p in _path(tpl) if p.get("forwarder") is not None
                ]
        missing = sorted({f for f in forwarders if f not in (templates or {})})
        if not missing:
            return []
        first = next(n for n, t in nodes.items() if is_tacker_fp(_type(t)))
        say(
            "this is a Tacker VNFFG descriptor (tosca.nodes.nfv.FP.Tacker*): micronf translates "
            "it when each VNFD its paths name is given a micronf VNF template, e.g. "
            + " ".join(f"--template {f}=edge-firewall" for f in missing[:2])
            + f" (see {DOCS})",
            lines.nodes.get(first),
        )
        for name, tpl in nodes.items():
            if not is_tacker_fp(_type(tpl)):
                continue
            line = lines.props.get(("node", name, "path"), lines.nodes.get(name))
            names = [str(p.get("forwarder")) for p in _path(tpl)]
            say(
                f"path of {name!r}: forwarders {', '.join(names)} become the chain's VNFs in "
                "this order; their 'capability' (connection points) and 'sfc_encap' have no "
                "micronf meaning and are dropped",
                line,
            )
            keys = _criteria_keys(tpl)
            if keys:
                mapped = [k for k in keys if k in SUPPORTED_CRITERIA]
                dropped = [k for k in keys if k in TACKER_PORT_CRITERIA]
                refused = [k for k in keys if k not in mapped and k not in dropped]
                text = f"policy of {name!r}: criteria {', '.join(mapped) or 'none'} become the "
                text += "chain's ingress match"
                if dropped:
                    text += f"; {', '.join(dropped)} (Neutron ports) give way to the ingress_port"
                if refused:
                    text += f"; {', '.join(refused)} cannot be expressed in micronf"
                say(text, lines.props.get(("node", name, "policy"), lines.nodes.get(name)))
        return sorted(problems, key=lambda p: p.line or 0)
    if kind == "sol001-nsd":
        what = "a network service descriptor (NSD: tosca.nodes.nfv.NS, NFP, Sap)"
        say(
            f"this is {what}: a micronf document describes only the forwarding graphs "
            "(VNFFGs) of a service: each VNFFG becomes a micronf.groups.VNFFG of "
            "micronf.nodes.FP paths through micronf.nodes.VNF nodes that name catalog "
            "templates; the NS, its SAPs, virtual links and deployment flavours do not map "
            f"(see {DOCS})",
            lines.version,
        )
        return problems
    say(
        "this is an ETSI NFV-SOL 001 VNF descriptor (tosca_simple_yaml_1_2/1_3, VDU, "
        "VnfExtCp): micronf does not deploy VNFs from VDUs and images: a micronf VNF is a "
        "catalog vnf-template (a graph of uNFs), and a micronf document names such templates "
        "in chains (micronf.nodes.VNF, micronf.nodes.FP, micronf.groups.VNFFG, "
        f"tosca_simple_profile_for_nfv_1_0_0; see {DOCS})",
        lines.version,
    )
    return problems


def translate_tacker(doc: dict[str, Any], templates: Mapping[str, str]) -> dict[str, Any]:
    """A Tacker VNFFGD rewritten in the micronf profile (every forwarder has a template).

    Each ``FP.Tacker*`` node becomes a ``micronf.nodes.FP`` whose ``forwarder``
    requirements follow its ``path``, its ACL classifier the FP's criteria
    (Neutron port criteria dropped); each VNFD name a ``micronf.nodes.VNF``
    of the given template; each VNFFG group a ``micronf.groups.VNFFG``.
    """
    out = copy.deepcopy(doc)
    topo = out.setdefault("topology_template", {})
    nodes = topo.setdefault("node_templates", {})
    vnfds: list[str] = []
    for name, tpl in list(nodes.items()):
        if not (isinstance(tpl, dict) and is_tacker_fp(_type(tpl))):
            continue
        path = _path(tpl)
        props = dict(tpl.get("properties") or {})
        policy = props.get("policy")
        new_props: dict[str, Any] = {}
        if isinstance(policy, dict):
            criteria: list[dict[str, Any]] = []
            for entry in policy.get("criteria") or []:
                if not isinstance(entry, dict):
                    continue
                for k, v in _classifier(entry).items():
                    if k != "name" and k not in TACKER_PORT_CRITERIA:
                        criteria.append({k: v})
            new_props["policy"] = {"type": policy.get("type", "ACL"), "criteria": criteria}
        forwarders = [str(p["forwarder"]) for p in path if p.get("forwarder") is not None]
        vnfds += [f for f in forwarders if f not in vnfds]
        nodes[name] = {
            "type": "micronf.nodes.FP",
            **({"properties": new_props} if new_props else {}),
            "requirements": [{"forwarder": f} for f in forwarders],
        }
    for vnfd in vnfds:
        if vnfd not in nodes:
            nodes[vnfd] = {"type": "micronf.nodes.VNF", "properties": {"template": templates[vnfd]}}
    for group in (topo.get("groups") or {}).values():
        if isinstance(group, dict) and group.get("type") == "tosca.groups.nfv.VNFFG":
            group["type"] = "micronf.groups.VNFFG"
            gprops = group.get("properties")
            if isinstance(gprops, dict) and gprops.get("version") is not None:
                gprops["version"] = str(gprops["version"])
    return out
