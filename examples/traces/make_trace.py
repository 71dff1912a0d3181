"""Generate examples/traces/http-sqli.pcap, the example trace of the user guide.

It holds, interleaved and in a fixed order (the file is reproducible):

* benign HTTP requests (TCP to port 80) for pages, ``/login`` and ``/api/``
  URLs, and HTTP responses from port 80;
* SQL-injection requests (``' OR 1=1 --``, ``UNION SELECT``, ``DROP TABLE``...);
* non-HTTP traffic: TCP handshake segments without payload to port 80, DNS
  queries (UDP 53), NTP (UDP 123), ICMP echo, and TCP to port 22.

Run: ``.venv/bin/python examples/traces/make_trace.py [OUT.pcap]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Raw
from scapy.utils import wrpcap

CLIENT_MAC, SERVER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
SERVER = "192.0.2.80"

BENIGN = [
    "/",
    "/index.html",
    "/login",
    "/login?user=alice",
    "/api/v1/items?id=42",
    "/api/v1/orders",
    "/static/app.js",
    "/search?q=network+functions",
]
ATTACKS = [
    "/login?user=admin'%20OR%201=1--",
    "/api/v1/items?id=1%20UNION%20SELECT%20password%20FROM%20users",
    "/search?q=x';DROP%20TABLE%20users;--",
    "/api/v1/items?id=1%20or%201=1",
    "/item?id=1%27%20and%20sleep(5)",
    "/report?id=1%20union%20all%20select%20*%20from%20information_schema.tables",
]


def _client(i: int) -> str:
    return f"198.51.100.{10 + i % 50}"


def http_request(i: int, url: str) -> Packet:
    payload = f"GET {url} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: trace/{i}\r\n\r\n"
    return (
        Ether(src=CLIENT_MAC, dst=SERVER_MAC)
        / IP(src=_client(i), dst=SERVER)
        / TCP(sport=40000 + i, dport=80, flags="PA", seq=1000 + i)
        / Raw(payload.encode())
    )


def http_response(i: int) -> Packet:
    body = "<html>ok</html>"
    payload = (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    )
    return (
        Ether(src=SERVER_MAC, dst=CLIENT_MAC)
        / IP(src=SERVER, dst=_client(i))
        / TCP(sport=80, dport=40000 + i, flags="PA")
        / Raw(payload.encode())
    )


def non_http(i: int) -> Packet:
    eth = Ether(src=CLIENT_MAC, dst=SERVER_MAC)
    kind = i % 5
    if kind == 0:
        return eth / IP(src=_client(i), dst=SERVER) / TCP(sport=40000 + i, dport=80, flags="S")
    if kind == 1:
        return (
            eth
            / IP(src=_client(i), dst="192.0.2.53")
            / UDP(sport=5000 + i, dport=53)
            / DNS(rd=1, qd=DNSQR(qname="shop.example"))
        )
    if kind == 2:
        return (
            eth
            / IP(src=_client(i), dst=SERVER)
            / UDP(sport=123, dport=123)
            / Raw(b"\x1b" + 47 * b"\0")
        )
    if kind == 3:
        return eth / IP(src=_client(i), dst=SERVER) / ICMP(id=i, seq=1)
    return (
        eth
        / IP(src=_client(i), dst=SERVER)
        / TCP(sport=50000 + i, dport=22, flags="PA")
        / Raw(b"SSH-2.0-x\r\n")
    )


def trace() -> list[Packet]:
    packets: list[Packet] = []
    for i in range(120):
        packets.append(http_request(i, BENIGN[i % len(BENIGN)]))
        if i % 3 == 0:
            packets.append(http_request(i, ATTACKS[(i // 3) % len(ATTACKS)]))
        if i % 4 == 0:
            packets.append(http_response(i))
        packets.append(non_http(i))
    for n, p in enumerate(packets):
        p.time = 1_700_000_000 + n / 1000
    return packets


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).with_name("http-sqli.pcap")
    packets = trace()
    wrpcap(str(out), packets)
    print(f"{out}: {len(packets)} packets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
