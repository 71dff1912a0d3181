"""Documents of other NFV systems: recognised, explained in one screen, Tacker's translated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from micronf.tosca import foreign
from micronf.yang import ValidationFailed
from micronf.yang.inputs import load, load_path

FOREIGN = Path(__file__).resolve().parent / "data" / "tosca" / "foreign"
TACKER = FOREIGN / "tacker-vnffgd-sample.yaml"
TEMPLATES = {"VNFD1": "edge-firewall", "VNFD2": "load-balancer"}

EQUIVALENT = """
tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0
topology_template:
  node_templates:
    VNFD1: {type: micronf.nodes.VNF, properties: {template: edge-firewall}}
    VNFD2: {type: micronf.nodes.VNF, properties: {template: load-balancer}}
    Forwarding_path1:
      type: micronf.nodes.FP
      properties:
        policy:
          type: ACL
          criteria:
            - destination_port_range: 80-1024
            - ip_proto: 6
            - ip_dst_prefix: 192.168.1.2/24
      requirements:
        - forwarder: VNFD1
        - forwarder: VNFD2
  groups:
    VNFFG1:
      type: micronf.groups.VNFFG
      description: HTTP to Corporate Net
      members: [ Forwarding_path1 ]
"""


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("tacker-vnffgd-sample.yaml", "tacker-vnffgd"),
        ("sol001-vnfd.yaml", "sol001-vnfd"),
        ("sol001-nsd.yaml", "sol001-nsd"),
    ],
)
def test_families_are_recognised_and_named(name: str, family: str) -> None:
    path = FOREIGN / name
    assert foreign.family(yaml.safe_load(path.read_text())) == family
    with pytest.raises(ValidationFailed) as refused:
        load_path(path)
    problems = refused.value.problems
    assert problems and all(p.app_tag == "micronf-foreign" for p in problems)
    assert all(p.source == str(path) and p.line for p in problems)
    assert "Coming from Tacker or ETSI SOL001" in problems[0].message


def test_a_tacker_vnffgd_says_what_maps_and_what_does_not() -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_path(TACKER, templates={"VNFD1": "edge-firewall"})
    messages = [p.message for p in refused.value.problems]
    assert "--template VNFD2=" in messages[0] and "VNFD1=" not in messages[0]
    assert any("network_src_port_id (Neutron ports)" in m for m in messages)
    assert any("forwarders VNFD1, VNFD2 become the chain's VNFs" in m for m in messages)


def test_a_tacker_vnffgd_with_templates_reads_as_its_micronf_equivalent() -> None:
    translated = load_path(TACKER, templates=TEMPLATES)
    equivalent = load(EQUIVALENT.encode(), "tosca", "equivalent.yaml")
    assert translated.chains == equivalent.chains
    (chain,) = translated.chains
    assert chain["ingress"]["match"]["ipv4"] == {"destination-ipv4-network": "192.168.1.0/24"}
    assert [v["template"] for v in chain["vnf"]] == ["edge-firewall", "load-balancer"]


def test_micronf_documents_are_not_foreign() -> None:
    root = Path(__file__).resolve().parents[1]
    assert (
        foreign.family(yaml.safe_load((root / "examples" / "paper-sfc.yaml").read_text())) is None
    )
