"""Names of the TOSCA NFV profile and micronf profile constructs the translator knows."""

from __future__ import annotations

NFV_VERSION = "tosca_simple_profile_for_nfv_1_0_0"

VNF_TYPE = "tosca.nodes.nfv.VNF"
MICRONF_VNF_TYPE = "micronf.nodes.VNF"
FP_TYPE = "tosca.nodes.nfv.FP"
MICRONF_FP_TYPE = "micronf.nodes.FP"
VNFFG_TYPE = "tosca.groups.nfv.VNFFG"
MICRONF_VNFFG_TYPE = "micronf.groups.VNFFG"
#: A server of the agents registry (chains' ports refer to its ports).
AGENT_TYPE = "micronf.nodes.Agent"

#: NFV profile node types micronf has no equivalent for, and why.
UNSUPPORTED_NODE_TYPES: dict[str, str] = {
    "tosca.nodes.nfv.VDU": "micronf composes VNFs from uNF templates, not virtual machines",
    "tosca.nodes.nfv.CP": (
        "micronf VNFs have no connection points: traffic enters and leaves a chain "
        "through the VNFFG's ingress_port and egress_port"
    ),
    "tosca.nodes.nfv.VL": (
        "micronf links VNFs with forwarding paths (micronf.nodes.FP), not virtual links"
    ),
}

#: Reason given for any other node type.
ONLY_VNFS_AND_PATHS = (
    "a micronf TOSCA document holds only VNFs (micronf.nodes.VNF) "
    "and forwarding paths (micronf.nodes.FP)"
)


def unsupported_reason(type_name: str) -> str | None:
    """Why a node type (or one derived by name, e.g. ``tosca.nodes.nfv.VDU.Tacker``) is refused."""
    for unsupported, reason in UNSUPPORTED_NODE_TYPES.items():
        if type_name == unsupported or type_name.startswith(unsupported + "."):
            return reason
    return None
