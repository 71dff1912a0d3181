"""Generated traces for the processor tests: well-formed traffic and every malformed case.

``traffic(n, seed)`` is a mix of HTTP requests (benign and SQL injection),
responses, other TCP, DNS, ICMP, fragments, IP options, VLAN- and
VXLAN-tagged frames and sizes up to 9000 bytes; ``malformed()`` is one frame
per way a header can be wrong or cut short. Both are deterministic.
"""

from __future__ import annotations

import random
import struct

from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_RR
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Packet, Raw

MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")

BENIGN_URLS = (
    "/",
    "/index.html",
    "/login?user=alice",
    "/api/v1/items?id=42",
    "/api/v2/search?q=network+functions",
    "/static/app.js",
    "/select-your-plan",
    "/images/logo.png",
)
ATTACK_URLS = (
    "/item?id=1%27%20OR%201=1",
    "/login?user=admin'--",
    "/search?q=1+UNION+SELECT+password+FROM+users",
    "/api/v1/items?id=1;DROP%20TABLE%20users",
    "/page?id=1%27%20and%20sleep(5)",
    "/x?q=information_schema.tables",
    "/login?user=a%27%20or%20%27a%27=%27a",
)
METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH")


def eth(vlan: int | None = None) -> Packet:
    e = Ether(src=MACS[0], dst=MACS[1])
    return e / Dot1Q(vlan=vlan) if vlan is not None else e


def _addr(rng: random.Random) -> str:
    net = rng.choice(("10.0.0", "10.1.2", "192.168.1", "172.16.5", "8.8.8"))
    return f"{net}.{rng.randrange(1, 255)}"


def http_request(rng: random.Random, url: str, dport: int = 80) -> Packet:
    method = rng.choice(METHODS)
    body = f"{method} {url} HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n".encode()
    return (
        IP(src=_addr(rng), dst=_addr(rng), ttl=rng.choice((1, 2, 64, 255)))
        / TCP(sport=rng.randrange(1024, 65535), dport=dport, flags="PA")
        / Raw(body)
    )


def traffic(n: int = 400, seed: int = 7) -> list[bytes]:
    """n frames of mixed, well-formed traffic."""
    rng = random.Random(seed)
    out: list[bytes] = []
    for i in range(n):
        kind = i % 14
        if kind in (0, 1, 2):
            pkt = eth() / http_request(rng, rng.choice(BENIGN_URLS))
        elif kind == 3:
            pkt = eth() / http_request(rng, rng.choice(ATTACK_URLS))
        elif kind == 4:
            pkt = eth() / http_request(rng, rng.choice(BENIGN_URLS + ATTACK_URLS), dport=8080)
        elif kind == 5:
            pkt = (
                eth()
                / IP(src=_addr(rng), dst=_addr(rng))
                / TCP(sport=80, dport=40000)
                / Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            )
        elif kind == 6:
            pkt = (
                eth()
                / IP(src=_addr(rng), dst=_addr(rng))
                / TCP(sport=50000, dport=22)
                / Raw(b"SSH-2.0-OpenSSH_9.2\r\n")
            )
        elif kind == 7:
            pkt = (
                eth()
                / IP(src=_addr(rng), dst=_addr(rng))
                / UDP(sport=5353, dport=53)
                / DNS(qd=DNSQR(qname="example.com"))
            )
        elif kind == 8:
            pkt = eth() / IP(src=_addr(rng), dst=_addr(rng), ttl=rng.choice((0, 1, 9))) / ICMP()
        elif kind == 9:
            frag = IP(
                src=_addr(rng),
                dst=_addr(rng),
                flags="MF" if rng.random() < 0.5 else 0,
                frag=rng.choice((0, 0, 185)),
            )
            pkt = eth() / frag / TCP(sport=1234, dport=80) / Raw(b"GET /frag HTTP/1.1\r\n\r\n")
        elif kind == 10:
            pkt = (
                eth()
                / IP(src=_addr(rng), dst=_addr(rng), options=[IPOption_RR()])
                / TCP(dport=80)
                / Raw(b"GET /options HTTP/1.0\r\n\r\n")
            )
        elif kind == 11:
            pkt = eth(vlan=rng.choice((100, 200))) / http_request(rng, rng.choice(BENIGN_URLS))
        elif kind == 12:
            inner = eth() / http_request(rng, rng.choice(BENIGN_URLS + ATTACK_URLS))
            pkt = (
                eth()
                / IP(src="192.0.2.1", dst="192.0.2.2")
                / UDP(sport=49152, dport=4789)
                / (VXLAN(vni=rng.choice((5000, 6000))) / inner)
            )
        else:
            size = rng.choice((60, 128, 512, 1000, 1514, 4000, 9000))
            pkt = eth() / IP(src=_addr(rng), dst=_addr(rng)) / UDP(sport=1000, dport=2000)
            pkt = pkt / Raw(bytes(max(0, size - len(pkt))))
        out.append(bytes(pkt))
    return out


def _ip_header(**fields: int) -> bytes:
    """A 20-byte IPv4 header with the given raw fields (checksum computed unless given)."""
    f = {
        "vihl": 0x45,
        "tos": 0,
        "total": 40,
        "id": 1,
        "frag": 0,
        "ttl": 64,
        "proto": 6,
        "csum": -1,
        "src": 0x0A000001,
        "dst": 0x0A000002,
    }
    f.update(fields)
    hdr = struct.pack(
        "!BBHHHBBHII",
        f["vihl"],
        f["tos"],
        f["total"],
        f["id"],
        f["frag"],
        f["ttl"],
        f["proto"],
        0,
        f["src"],
        f["dst"],
    )
    if f["csum"] < 0:
        s = sum(struct.unpack("!10H", hdr))
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        f["csum"] = ~s & 0xFFFF
    return hdr[:10] + struct.pack("!H", f["csum"]) + hdr[12:]


ETH_IP = bytes.fromhex("020000000002020000000001") + b"\x08\x00"


def malformed() -> dict[str, bytes]:
    """One frame per malformed case, by name."""
    tcp = bytes(TCP(sport=1234, dport=80, flags="PA"))
    get = b"GET /a?id=1%27%20or%201=1 HTTP/1.1\r\n\r\n"
    full = bytes(eth() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80) / Raw(get))
    rng = random.Random(99)
    cases = {
        "empty": b"",
        "one-byte": b"\x02",
        "short-ethernet": full[:13],
        "ethernet-only": full[:14],
        "vlan-cut": bytes(eth(vlan=5))[:16],
        "truncated-ip": full[: 14 + 10],
        "ip-header-only": full[:34],
        "truncated-tcp": full[: 34 + 10],
        "bad-version": ETH_IP + _ip_header(vihl=0x65) + tcp,
        "bad-ihl": ETH_IP + _ip_header(vihl=0x43) + tcp,
        "ihl-past-end": ETH_IP + _ip_header(vihl=0x4F, total=40) + tcp[:10],
        "total-below-ihl": ETH_IP + _ip_header(total=12) + tcp,
        "total-past-frame": ETH_IP + _ip_header(total=1500) + tcp,
        "bad-checksum": ETH_IP + _ip_header(csum=0x1234) + tcp,
        "tcp-doff-small": ETH_IP + _ip_header(total=40) + tcp[:12] + b"\x20" + tcp[13:],
        "tcp-doff-past-end": ETH_IP + _ip_header(total=40) + tcp[:12] + b"\xf0" + tcp[13:],
        "udp-short": ETH_IP + _ip_header(proto=17, total=24) + b"\x00\x35\x00",
        "later-fragment": ETH_IP + _ip_header(frag=100, total=40 + len(get)) + tcp + get,
        "first-fragment": ETH_IP + _ip_header(frag=0x2000, total=40 + len(get)) + tcp + get,
        "empty-payload": bytes(eth() / IP() / TCP(dport=80)),
        "ttl-zero": bytes(eth() / IP(ttl=0) / TCP()),
        "ttl-one": bytes(eth() / IP(ttl=1) / TCP()),
        "arp": bytes(Ether(src=MACS[0], dst="ff:ff:ff:ff:ff:ff") / ARP()),
        "ipv6": bytes(eth() / IPv6() / TCP(dport=80) / Raw(get)),
        "padded-short-ip": bytes(eth() / IP() / UDP()) + bytes(18),
        "jumbo-9000": bytes(eth() / IP() / TCP(dport=80) / Raw(get + bytes(9000 - len(full)))),
        "http-method-only": bytes(eth() / IP() / TCP(dport=80) / Raw(b"GET")),
        "http-no-url-end": bytes(eth() / IP() / TCP(dport=80) / Raw(b"POST /login?x=1%27%20or")),
        "vxlan-short-inner": bytes(eth() / IP() / UDP(dport=4789) / VXLAN(vni=1) / Raw(b"abc")),
        "vxlan-no-flag": bytes(eth() / IP() / UDP(dport=4789) / VXLAN(flags=0, vni=1) / eth()),
    }
    for i in range(12):
        cases[f"random-{i}"] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 120)))
        cases[f"random-ip-{i}"] = ETH_IP + bytes(rng.randrange(256) for _ in range(60))
    return cases
