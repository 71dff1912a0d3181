"""Generate examples/traces/udp-flows.pcap, the trace of the auto-scaling example.

600 UDP packets of 60 bytes over 120 flows (distinct source addresses and
ports), flows interleaved, so that a flow-hash load balancer has flows to
spread; each payload carries its flow and sequence number. Reproducible.

Run: ``.venv/bin/python examples/traces/make_flows.py [OUT.pcap]``.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Raw
from scapy.utils import wrpcap

FLOWS, PER_FLOW = 120, 5


def packets() -> list[Packet]:
    out: list[Packet] = []
    for seq in range(PER_FLOW):
        for flow in range(FLOWS):
            out.append(
                Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                / IP(src=f"198.51.100.{1 + flow}", dst="192.0.2.53", id=seq)
                / UDP(sport=20000 + flow, dport=9000)
                / Raw(struct.pack("!II", flow, seq).ljust(18, b"\0"))
            )
    return out


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("udp-flows.pcap")
    wrpcap(str(target), packets())


if __name__ == "__main__":
    main()
