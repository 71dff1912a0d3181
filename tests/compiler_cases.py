"""Random intents and packets for the compiler's property tests (hypothesis strategies).

Intents are built from the built-in catalog: its VNF templates plus random
linear templates over its packet processors (with classifiers that send one
result on and another straight to Tx), several chains that share templates
(so that ``dedup`` and ``consolidate`` have work), one registered agent with
the ports every chain uses. Packets are HTTP requests (plain, counted and
attack URLs), HTTP on another port, TLS-like TCP, DNS over UDP, and
malformed frames (short, not IPv4, bad header length, bad checksum, total
length past the frame, TTL at its end, VLAN tags).
"""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import strategies as st

BUILTIN_TEMPLATES = (
    "edge-firewall",
    "monitoring-function",
    "application-firewall",
    "load-balancer",
)

#: Processors a random template may hold, each with a few configurations (so repeats happen).
PROCESSORS: dict[str, list[dict[str, list[str]]]] = {
    "CheckIPHeader": [{}],
    "L3L4Filter": [
        {"rule": ["deny proto udp dport 53", "allow proto tcp"], "default-action": ["deny"]},
        {"rule": ["deny dst 198.51.100.0/24"]},
    ],
    "HttpClassifier": [{}, {"ports": ["80", "8080"]}],
    "ValidateUrl": [{}, {"on-attack": ["label"]}],
    "CountUrl": [{"url": ["^/login"]}, {"url": ["^/api/", "^/login"]}],
    "PacketSizeCounter": [{}, {"bins": ["100", "200"]}],
    "MacSwapper": [{}],
    "IPTtlDecrementer": [{}],
    "FlowLoadBalancer": [{"backend": ["02:00:00:00:00:0a", "02:00:00:00:00:0b"]}],
}
LABELS = {"HttpClassifier": ("http", "non-http"), "ValidateUrl": ("valid", "attack")}


def _params(cfg: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in cfg.items()]


@st.composite
def template(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """A random linear template rx -> p1 -> ... -> pk -> tx."""
    k = draw(st.integers(1, 5))
    # read-only, non-dropping processors are drawn more often: they are what
    # parallelize works on
    pool = sorted(PROCESSORS) + ["PacketSizeCounter", "CountUrl", "MacSwapper"] * 2
    classes = draw(st.lists(st.sampled_from(pool), min_size=k, max_size=k))
    nodes: list[dict[str, Any]] = [{"id": "rx", "unf-class": "RxService"}]
    for i, cls in enumerate(classes):
        cfg = draw(st.sampled_from(PROCESSORS[cls]))
        node: dict[str, Any] = {"id": f"n{i}", "unf-class": cls}
        if cfg:
            node["parameter"] = _params(cfg)
        nodes.append(node)
    nodes.append({"id": "tx", "unf-class": "TxService"})
    links: list[dict[str, Any]] = []
    ids = [n["id"] for n in nodes]
    for i, node in enumerate(nodes[:-1]):
        nxt = ids[i + 1]
        labels = LABELS.get(node["unf-class"])
        if labels and nxt != "tx" and draw(st.booleans()):
            links.append({"from": node["id"], "to": nxt, "label": [labels[0]]})
            links.append({"from": node["id"], "to": "tx", "label": [labels[1]]})
        else:
            links.append({"from": node["id"], "to": nxt})
    return {
        "name": name,
        "version": "1.0",
        "node": nodes,
        "link": links,
        "entry": "rx",
        "exit": [{"name": "out", "node": "tx"}],
    }


@st.composite
def intent(draw: st.DrawFn, max_chains: int = 3) -> dict[str, Any]:
    """A whole intent: custom templates, chains over them, one agent, pass switches."""
    n_custom = draw(st.sampled_from([0, 1, 1, 2, 2]))
    templates = [draw(template(f"custom-{i}")) for i in range(n_custom)]
    names = list(BUILTIN_TEMPLATES) + [t["name"] for t in templates]
    n_chains = draw(st.integers(1, max_chains))
    chains = []
    for c in range(n_chains):
        n_vnf = draw(st.integers(1, 4))
        vnfs = [{"name": f"v{j}", "template": draw(st.sampled_from(names))} for j in range(n_vnf)]
        chain: dict[str, Any] = {
            "name": f"c{c}",
            "vnf": vnfs,
            "ingress": {"vnf": "v0", "agent": "a", "port": f"p{2 * c}"},
            "egress": {"agent": "a", "port": f"p{2 * c + 1}"},
            "placement": {"expected-rate": "0.01"},
        }
        if n_vnf > 1:
            chain["link"] = [{"from": f"v{j}", "to": f"v{j + 1}"} for j in range(n_vnf - 1)]
        chains.append(chain)
    switches = {p: draw(st.booleans()) for p in ("dedup", "parallelize", "consolidate")}
    doc: dict[str, Any] = {
        "micronf-sfc:agents": {
            "agent": [
                {
                    "name": "a",
                    "numa-node": [{"id": 0, "core": list(range(1, 17))}],
                    "port": [{"name": f"p{k}"} for k in range(2 * max_chains)],
                }
            ]
        },
        "micronf-sfc:chains": {"compiler": switches, "chain": chains},
    }
    if templates:
        doc["micronf-catalog:catalog"] = {"vnf-template": templates}
    return doc


# ------------------------------------------------------------------------ packets

ETH = bytes.fromhex("020000000002020000000001")


def _checksum(data: bytes) -> int:
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(
    proto: int,
    l4: bytes,
    *,
    dst: bytes = bytes([192, 0, 2, 7]),
    ttl: int = 64,
    ihl: int = 5,
    bad_checksum: bool = False,
    extra_length: int = 0,
) -> bytes:
    total = 20 + len(l4) + extra_length
    hdr = struct.pack(
        "!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 7, 0, ttl, proto, 0, bytes([10, 0, 0, 1]), dst
    )
    csum = _checksum(hdr) ^ (0x1234 if bad_checksum else 0)
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + l4


def tcp(dport: int, payload: bytes, sport: int = 40000) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 1000, 0, 0) + payload


def udp(dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", 5353, dport, 8 + len(payload), 0) + payload


URLS = (
    "/",
    "/login",
    "/api/items?id=3",
    "/search?q=1 union select password from users",
    "/item?id=1' or 1=1",
    "/x?a=b--",
    "/index.html",
)


@st.composite
def frame(draw: st.DrawFn) -> bytes:
    kind = draw(
        st.sampled_from(
            ["http", "http", "http-8080", "response", "tls", "dns", "malformed", "vlan"]
        )
    )
    ttl = draw(st.sampled_from([64, 64, 1, 2]))
    dst = draw(st.sampled_from([bytes([192, 0, 2, 7]), bytes([198, 51, 100, 9])]))
    pad = b"\0" * draw(st.sampled_from([0, 0, 40, 150]))
    if kind in ("http", "http-8080"):
        url = draw(st.sampled_from(URLS))
        body = f"GET {url} HTTP/1.1\r\nHost: example\r\n\r\n".encode()
        port = 80 if kind == "http" else 8080
        ip = ipv4(6, tcp(port, body + pad), dst=dst, ttl=ttl)
    elif kind == "response":
        ip = ipv4(6, tcp(80, b"HTTP/1.1 200 OK\r\n\r\n" + pad, sport=80), dst=dst, ttl=ttl)
    elif kind == "tls":
        ip = ipv4(6, tcp(443, b"\x16\x03\x01\x00\x05hello" + pad), dst=dst, ttl=ttl)
    elif kind == "dns":
        ip = ipv4(17, udp(53, b"\x12\x34\x01\x00" + pad), dst=dst, ttl=ttl)
    elif kind == "vlan":
        inner = ipv4(6, tcp(80, b"GET /login HTTP/1.1\r\n\r\n"), dst=dst, ttl=ttl)
        tags = draw(st.sampled_from([1, 2]))
        vlan = b"".join(bytes.fromhex("8100") + struct.pack("!H", 10 + i) for i in range(tags))
        return ETH + vlan + bytes.fromhex("0800") + inner
    else:
        how = draw(
            st.sampled_from(["short", "arp", "ihl", "checksum", "length", "empty-tcp", "ipv6"])
        )
        if how == "short":
            return ETH[: draw(st.integers(0, 11))]
        if how == "arp":
            return ETH + bytes.fromhex("0806") + b"\0" * 28
        if how == "ipv6":
            return ETH + bytes.fromhex("86dd") + b"\x60" + b"\0" * 39
        if how == "ihl":
            ip = ipv4(6, tcp(80, b"GET / HTTP/1.1\r\n\r\n"), ihl=3)
        elif how == "checksum":
            ip = ipv4(6, tcp(80, b"GET /login HTTP/1.1\r\n\r\n"), bad_checksum=True)
        elif how == "length":
            ip = ipv4(6, tcp(80, b"GET / HTTP/1.1\r\n\r\n"), extra_length=200)
        else:
            ip = ipv4(6, tcp(80, b""))
    return ETH + bytes.fromhex("0800") + ip


def packets(chains: int) -> st.SearchStrategy[list[tuple[str, bytes]]]:
    return st.lists(
        st.tuples(st.sampled_from([f"c{i}" for i in range(chains)]), frame()),
        min_size=1,
        max_size=25,
    )


def sample_frames() -> list[bytes]:
    """One frame of every kind, for hand-made cases."""
    eth = ETH + bytes.fromhex("0800")
    out = [eth + ipv4(6, tcp(80, f"GET {u} HTTP/1.1\r\n\r\n".encode())) for u in URLS]
    out += [
        eth + ipv4(6, tcp(80, b"HTTP/1.1 200 OK\r\n\r\n", sport=80)),
        eth + ipv4(6, tcp(443, b"\x16\x03\x01")),
        eth + ipv4(17, udp(53, b"\x12\x34")),
        eth + ipv4(6, tcp(80, b"GET /login HTTP/1.1\r\n\r\n"), ttl=1),
        eth + ipv4(6, tcp(80, b"GET / HTTP/1.1\r\n\r\n"), bad_checksum=True),
        eth + ipv4(6, tcp(80, b"GET / HTTP/1.1\r\n\r\n"), extra_length=99),
        eth + ipv4(6, tcp(80, b"GET / HTTP/1.1\r\n\r\n"), dst=bytes([198, 51, 100, 1])),
        ETH[:8],
        ETH + bytes.fromhex("0806") + bytes(28),
    ]
    return out
