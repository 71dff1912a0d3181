"""FP policy criteria (the NFV profile's ACL classifier) -> ietf-packet-fields match.

A forwarding path's ``policy: {type: ACL, criteria: [...]}`` becomes the
chain's ingress ``match`` (``ietf-packet-fields`` containers ``ipv4``,
``tcp``, ``udp``). Criteria micronf cannot steer on are refused by name.
"""

from __future__ import annotations

import re
from typing import Any

#: FP policy criteria keys the translator maps onto the ingress match.
SUPPORTED_CRITERIA = (
    "ip_dst_prefix",
    "ip_src_prefix",
    "ip_proto",
    "destination_port_range",
    "source_port_range",
)

_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1}
_TRANSPORT = {6: "tcp", 17: "udp"}


def _port_range(key: str, value: Any) -> dict[str, Any]:
    def port(text: str) -> int:
        if not re.fullmatch(r"\s*[0-9]{1,5}\s*", text, re.ASCII) or int(text) > 65535:
            raise ValueError(f"criteria {key}: {value!r} is not a port or a port range lo-hi")
        return int(text)

    if isinstance(value, bool):
        raise ValueError(f"criteria {key}: {value!r} is not a port or a port range lo-hi")
    if isinstance(value, int):
        lo = hi = port(str(value))
    elif isinstance(value, str) and "-" in value:
        a, _, b = value.partition("-")
        lo, hi = port(a), port(b)
    elif isinstance(value, str):
        lo = hi = port(value)
    else:
        raise ValueError(f"criteria {key}: {value!r} is not a port or a port range lo-hi")
    if lo > hi:
        raise ValueError(f"criteria {key}: {value!r}: the lower port is above the upper port")
    if lo == hi:
        return {"operator": "eq", "port": lo}
    return {"lower-port": lo, "upper-port": hi}


def _protocol(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower() in _PROTOCOLS:
        return _PROTOCOLS[value.strip().lower()]
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip(), re.ASCII):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255:
        return value
    raise ValueError(f"criteria ip_proto: {value!r} is not an IP protocol number (0..255)")


def _criteria(policy: Any) -> dict[str, Any]:
    """Flatten an ACL policy's criteria into one {key: value} dict."""
    if not isinstance(policy, dict):
        raise ValueError("policy must be a map {type: ACL, criteria: [...]}")
    if policy.get("type", "ACL") != "ACL":
        raise ValueError(f"policy type {policy.get('type')!r} is not supported (only ACL)")
    criteria = policy.get("criteria") or []
    if not isinstance(criteria, list):
        raise ValueError("policy criteria must be a list")
    entries: list[dict[str, Any]] = []
    classifiers = 0
    for entry in criteria:
        if not isinstance(entry, dict):
            raise ValueError(f"policy criteria entry {entry!r} is not a map")
        if "classifier" in entry:
            classifiers += 1
            if not isinstance(entry["classifier"], dict):
                raise ValueError("policy criteria classifier must be a map")
            entries.append(entry["classifier"])
        else:
            entries.append(entry)
    if classifiers > 1:
        raise ValueError(
            "policy has more than one named classifier; a micronf chain has one ingress match"
        )
    flat: dict[str, Any] = {}
    for entry in entries:
        for k, v in entry.items():
            if k in flat:
                raise ValueError(f"criteria {k} is given twice")
            flat[str(k)] = v
    unknown = [k for k in flat if k not in SUPPORTED_CRITERIA]
    if unknown:
        raise ValueError(
            "unsupported criteria key(s): "
            + ", ".join(unknown)
            + "; supported: "
            + ", ".join(SUPPORTED_CRITERIA)
        )
    return flat


def match(policy: Any) -> dict[str, Any]:
    """The chain's ingress ``match`` container from an FP ACL policy (ValueError if unusable)."""
    crit = _criteria(policy)
    result: dict[str, Any] = {}
    ipv4: dict[str, Any] = {}
    if "ip_dst_prefix" in crit:
        ipv4["destination-ipv4-network"] = str(crit["ip_dst_prefix"])
    if "ip_src_prefix" in crit:
        ipv4["source-ipv4-network"] = str(crit["ip_src_prefix"])
    ports = {
        leaf: _port_range(key, crit[key])
        for key, leaf in (
            ("source_port_range", "source-port"),
            ("destination_port_range", "destination-port"),
        )
        if key in crit
    }
    proto = _protocol(crit["ip_proto"]) if "ip_proto" in crit else None
    if ports:
        if proto not in _TRANSPORT:
            raise ValueError(
                "criteria "
                + " and ".join(k for k in crit if k.endswith("port_range"))
                + " need ip_proto 6 (tcp) or 17 (udp)"
            )
        result[_TRANSPORT[proto]] = ports
    elif proto is not None:
        ipv4["protocol"] = proto
    if ipv4:
        result = {"ipv4": ipv4, **result}
    return result
