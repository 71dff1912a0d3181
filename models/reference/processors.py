"""Reference semantics of every built-in packet processor, one class each.

Each class mirrors one C file of ``dataplane/processors/`` and is what the C
code is tested against; the compiler's property tests run chains of them.
A model works on a frame as one flat ``bytearray`` (the concatenation of an
mbuf chain's segments), may change it in place, and returns the result
label's name, ``""`` for a processor without labels, or ``None`` to drop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from . import params
from .match import Match, parse_fields
from .packet import (
    ETH_LEN,
    PROTO_UDP,
    VLAN_TYPES,
    VXLAN_PORT,
    L3Status,
    be16,
    be32,
    checksum,
    flow_hash,
    is_response,
    jump_hash,
    parse,
    request_url,
    tcp_payload,
)

Params = Mapping[str, tuple[str, ...]]

#: Most counters a processor instance has (UNF_MAX_COUNTERS in unf_processor.h).
MAX_COUNTERS = 16


class Model:
    """Base of the reference models: static counters from ``COUNTERS``, then dynamic ones."""

    COUNTERS: tuple[str, ...] = ()

    def __init__(self, p: Params) -> None:
        self.counters: dict[str, int] = dict.fromkeys(self.COUNTERS, 0)

    def _add_counters(self, names: list[str]) -> None:
        if len(self.counters) + len(names) > MAX_COUNTERS:
            raise params.ParameterError(
                f"{type(self).__name__}: too many values (at most "
                f"{MAX_COUNTERS - len(self.COUNTERS)} counters)"
            )
        for name in names:
            if name in self.counters:
                raise params.ParameterError(f"{type(self).__name__}: '{name}' given twice")
            self.counters[name] = 0

    def count(self, name: str) -> None:
        self.counters[name] += 1

    def process(self, pkt: bytearray) -> str | None:
        raise NotImplementedError


class MacSwapper(Model):
    COUNTERS = ("truncated",)

    def process(self, pkt: bytearray) -> str | None:
        if len(pkt) < ETH_LEN:
            self.count("truncated")
            return ""
        pkt[0:6], pkt[6:12] = pkt[6:12], pkt[0:6]
        return ""


class IPTtlDecrementer(Model):
    COUNTERS = ("not-ipv4", "expired")

    def process(self, pkt: bytearray) -> str | None:
        p = parse(pkt)
        if p.status is not L3Status.OK:
            self.count("not-ipv4")
            return ""
        ttl = pkt[p.l3 + 8]
        if ttl <= 1:
            self.count("expired")
            return None
        # Incremental update of the checksum (RFC 1624, eqn. 3) over the TTL/protocol word.
        old = (ttl << 8) | pkt[p.l3 + 9]
        new = old - 0x100
        s = (~be16(pkt, p.l3 + 10) & 0xFFFF) + (~old & 0xFFFF) + new
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        pkt[p.l3 + 8] = ttl - 1
        pkt[p.l3 + 10 : p.l3 + 12] = (~s & 0xFFFF).to_bytes(2, "big")
        return ""


class CheckIPHeader(Model):
    COUNTERS = ("not-ipv4", "truncated", "bad-version", "bad-ihl", "bad-length", "bad-checksum")

    def process(self, pkt: bytearray) -> str | None:
        p = parse(pkt)
        if p.status is not L3Status.OK:
            self.count(p.status.value)
            return None
        total = be16(pkt, p.l3 + 2)
        if total < p.ihl or p.l3 + total > len(pkt):
            self.count("bad-length")
            return None
        if checksum(pkt[p.l3 : p.l3 + p.ihl]) != 0:
            self.count("bad-checksum")
            return None
        return ""


class L3L4Filter(Model):
    COUNTERS = ("allowed", "denied", "no-match")
    MAX_RULES = 256

    def __init__(self, p: Params) -> None:
        super().__init__(p)
        self.rules: list[tuple[bool, Match]] = []
        if len(p["rule"]) > self.MAX_RULES:
            raise params.ParameterError(f"L3L4Filter: at most {self.MAX_RULES} rules")
        for i, rule in enumerate(p["rule"]):
            words = rule.split()
            if not words or words[0] not in ("allow", "deny"):
                raise params.ParameterError(f"rule {i + 1}: starts with 'allow' or 'deny'")
            m, _ = parse_fields(words[1:], f"rule {i + 1}")
            self.rules.append((words[0] == "allow", m))
        self.default_allow = p["default-action"][0] == "allow"

    def process(self, pkt: bytearray) -> str | None:
        p = parse(pkt)
        allow = next((a for a, m in self.rules if m.matches(p)), None)
        if allow is None:
            self.count("no-match")
            allow = self.default_allow
        self.count("allowed" if allow else "denied")
        return "" if allow else None


class HttpClassifier(Model):
    COUNTERS = ("requests", "responses")

    def __init__(self, p: Params) -> None:
        super().__init__(p)
        self.ports = [params.port_range(v) for v in p["ports"]]

    def process(self, pkt: bytearray) -> str | None:
        p = parse(pkt)
        payload = tcp_payload(pkt, p)
        if not payload or not any(
            lo <= p.sport <= hi or lo <= p.dport <= hi for lo, hi in self.ports
        ):
            return "non-http"
        if request_url(payload) is not None:
            self.count("requests")
            return "http"
        if is_response(payload):
            self.count("responses")
            return "http"
        return "non-http"


def compile_patterns(values: tuple[str, ...], who: str) -> list[re.Pattern[bytes]]:
    """Python's view of a Hyperscan pattern set; like Hyperscan, refuse empty-matching ones."""
    if not 1 <= len(values) <= MAX_COUNTERS:
        raise params.ParameterError(f"{who}: 1 to {MAX_COUNTERS} patterns")
    out = []
    for v in values:
        try:
            rx = re.compile(v.encode())
        except re.error as exc:
            raise params.ParameterError(f"{who}: bad pattern '{v}': {exc}") from None
        if rx.search(b"") is not None:
            raise params.ParameterError(f"{who}: pattern '{v}' matches an empty URL")
        out.append(rx)
    return out


class ValidateUrl(Model):
    COUNTERS = ("attacks", "no-url")

    def __init__(self, p: Params) -> None:
        super().__init__(p)
        self.patterns = compile_patterns(p["pattern"], "ValidateUrl")
        self.drop = p["on-attack"][0] == "drop"

    def process(self, pkt: bytearray) -> str | None:
        payload = tcp_payload(pkt, parse(pkt))
        url = request_url(payload) if payload else None
        if url is None:
            self.count("no-url")
            return "valid"
        if any(rx.search(url) for rx in self.patterns):
            self.count("attacks")
            return None if self.drop else "attack"
        return "valid"


class CountUrl(Model):
    COUNTERS = ("no-url", "unmatched")

    def __init__(self, p: Params) -> None:
        super().__init__(p)
        self.names = [f"url:{v}" for v in p["url"]]
        self._add_counters(self.names)
        self.patterns = compile_patterns(p["url"], "CountUrl")

    def process(self, pkt: bytearray) -> str | None:
        payload = tcp_payload(pkt, parse(pkt))
        url = request_url(payload) if payload else None
        if url is None:
            self.count("no-url")
            return ""
        hit = False
        for name, rx in zip(self.names, self.patterns, strict=True):
            if rx.search(url):
                self.count(name)
                hit = True
        if not hit:
            self.count("unmatched")
        return ""


class PacketSizeCounter(Model):
    def __init__(self, p: Params) -> None:
        super().__init__(p)
        self.bins = [params.uint(v) for v in p["bins"]]
        if not self.bins or any(a >= b for a, b in zip(self.bins, self.bins[1:], strict=False)):
            raise params.ParameterError("PacketSizeCounter: bins must be strictly increasing")
        self.names = [f"le-{b}" for b in self.bins] + [f"gt-{self.bins[-1]}"]
        self._add_counters(self.names)

    def process(self, pkt: bytearray) -> str | None:
        n = len(pkt)
        for bound, name in zip(self.bins, self.names, strict=False):
            if n <= bound:
                self.count(name)
                return ""
        self.count(self.names[-1])
        return ""


class FlowLoadBalancer(Model):
    COUNTERS = ("not-ipv4",)

    def __init__(self, p: Params) -> None:
        super().__init__(p)
        self.backends = [params.mac(v) for v in p["backend"]]
        self.names = [f"backend-{i}" for i in range(len(self.backends))]
        self._add_counters(self.names)

    def process(self, pkt: bytearray) -> str | None:
        p = parse(pkt)
        if p.status is not L3Status.OK:
            self.count("not-ipv4")
            return ""
        i = jump_hash(flow_hash(p), len(self.backends))
        pkt[0:6] = self.backends[i]
        self.count(self.names[i])
        return ""


class Busy(Model):
    def __init__(self, p: Params) -> None:
        super().__init__(p)
        self.cycles = params.uint(p["cycles"][0])

    def process(self, pkt: bytearray) -> str | None:
        return ""


class RxService(Model):
    """Strips one tunnel tag (VLAN or VXLAN), then picks the first classifier entry that matches.

    An entry is ``TAG [vlan ID] [vni ID] [src P] [dst P] [proto X] [sport R] [dport R]``;
    its result (and label) is the chain tag. With no entries every frame takes
    the one output; with entries, a frame that matches none is dropped.
    """

    COUNTERS = ("truncated", "unclassified", "decapsulated")
    MAX_ENTRIES = 8  # UNF_MAX_LABELS: the runtime routes each result index

    def __init__(self, p: Params) -> None:
        super().__init__(p)
        self.decap = params.boolean(p["decapsulate"][0])
        self.entries: list[tuple[str, Match, int | None, int | None]] = []
        if len(p["classifier"]) > self.MAX_ENTRIES:
            raise params.ParameterError(f"RxService: at most {self.MAX_ENTRIES} entries")
        for i, v in enumerate(p["classifier"]):
            words = v.split()
            if not words:
                raise params.ParameterError(f"classifier {i + 1}: empty")
            tag = str(params.uint(words[0], 0xFFFF))
            m, tun = parse_fields(words[1:], f"classifier {i + 1}", ("vlan", "vni"))
            vlan = params.uint(tun["vlan"], 4095) if "vlan" in tun else None
            vni = params.uint(tun["vni"], 0xFFFFFF) if "vni" in tun else None
            self.entries.append((tag, m, vlan, vni))

    def _decapsulate(self, pkt: bytearray) -> tuple[int | None, int | None]:
        if be16(pkt, 12) in VLAN_TYPES and len(pkt) >= ETH_LEN + 4:
            vid = be16(pkt, 14) & 0x0FFF
            del pkt[12:16]
            self.count("decapsulated")
            return vid, None
        p = parse(pkt)
        if (
            p.status is L3Status.OK
            and p.proto == PROTO_UDP
            and p.dport == VXLAN_PORT
            and p.payload >= 0
            and len(pkt) - p.payload >= 8 + ETH_LEN
            and pkt[p.payload] & 0x08
        ):
            vni = be32(pkt, p.payload + 4) >> 8
            del pkt[: p.payload + 8]
            self.count("decapsulated")
            return None, vni
        return None, None

    def process(self, pkt: bytearray) -> str | None:
        if len(pkt) < ETH_LEN:
            self.count("truncated")
            return None
        vlan, vni = self._decapsulate(pkt) if self.decap else (None, None)
        if not self.entries:
            return ""
        p = parse(pkt)
        for tag, m, want_vlan, want_vni in self.entries:
            if want_vlan is not None and want_vlan != vlan:
                continue
            if want_vni is not None and want_vni != vni:
                continue
            if m.matches(p):
                return tag
        self.count("unclassified")
        return None


class TxService(Model):
    """Rewrites MAC addresses and, for a tunnel to another server, adds a VLAN or VXLAN tag."""

    COUNTERS = ("truncated", "encapsulated", "no-headroom")  # no-headroom: C only (mbufs)

    def __init__(self, p: Params) -> None:
        super().__init__(p)
        self.src = params.mac(p["src-mac"][0]) if p["src-mac"] else None
        self.dst = params.mac(p["dst-mac"][0]) if p["dst-mac"] else None
        self.encap = p["encapsulation"][0]
        self.tag = 0
        self.local = self.remote = 0
        if self.encap != "none":
            if not p["tunnel-tag"]:
                raise params.ParameterError(f"TxService: {self.encap} needs a tunnel-tag")
            limit = 4094 if self.encap == "vlan" else 0xFFFFFF
            self.tag = params.uint(p["tunnel-tag"][0], limit)
            if self.tag == 0:
                raise params.ParameterError("TxService: a tunnel-tag is at least 1")
        if self.encap == "vxlan":
            if not p["local-address"] or not p["remote-address"]:
                raise params.ParameterError("TxService: vxlan needs local- and remote-address")
            self.local = address(p["local-address"][0])
            self.remote = address(p["remote-address"][0])

    def _rewrite(self, pkt: bytearray) -> None:
        if self.dst is not None:
            pkt[0:6] = self.dst
        if self.src is not None:
            pkt[6:12] = self.src

    def process(self, pkt: bytearray) -> str | None:
        if len(pkt) < ETH_LEN:
            self.count("truncated")
            return None
        if self.encap == "vlan":
            pkt[12:12] = bytes([0x81, 0x00, self.tag >> 8, self.tag & 0xFF])
            self.count("encapsulated")
        elif self.encap == "vxlan":
            pkt[0:0] = vxlan_header(pkt, self.local, self.remote, self.tag)
            self.count("encapsulated")
        self._rewrite(pkt)
        return ""


def address(value: str) -> int:
    net, mask = params.prefix(value)
    if mask != 0xFFFFFFFF:
        raise params.ParameterError(f"'{value}' is not a single address (/32)")
    return net


def vxlan_header(inner: bytearray, local: int, remote: int, vni: int) -> bytes:
    """Outer Ethernet (inner MACs, rewritten after), IPv4 (DF, TTL 64), UDP, VXLAN: 50 bytes."""
    sport = 0xC000 | (flow_hash(parse(inner)) & 0x3FFF)
    ip = bytearray(20)
    ip[0] = 0x45
    ip[2:4] = (20 + 8 + 8 + len(inner)).to_bytes(2, "big")
    ip[6] = 0x40
    ip[8] = 64
    ip[9] = PROTO_UDP
    ip[12:16] = local.to_bytes(4, "big")
    ip[16:20] = remote.to_bytes(4, "big")
    ip[10:12] = checksum(ip).to_bytes(2, "big")
    udp = sport.to_bytes(2, "big") + VXLAN_PORT.to_bytes(2, "big")
    udp += (8 + 8 + len(inner)).to_bytes(2, "big") + b"\0\0"
    vx = b"\x08\0\0\0" + (vni << 8).to_bytes(4, "big")
    return bytes(inner[0:12]) + b"\x08\x00" + bytes(ip) + udp + vx


#: Every model by class name.
MODELS: dict[str, Callable[[Params], Model]] = {
    cls.__name__: cls
    for cls in (
        MacSwapper,
        IPTtlDecrementer,
        CheckIPHeader,
        L3L4Filter,
        HttpClassifier,
        ValidateUrl,
        CountUrl,
        PacketSizeCounter,
        FlowLoadBalancer,
        Busy,
        RxService,
        TxService,
    )
}
