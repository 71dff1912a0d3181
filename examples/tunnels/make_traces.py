"""Generate the traces of examples/tunnels: in0.pcap (chain c1) and in1.pcap (chain c2).

in0.pcap: 40 UDP frames from 10.1.0.1, payload ``c1-NNNN``; every tenth from
the fourth on has TTL 1, so that chain c1's IPTtlDecrementer drops it on
server-a (36 cross to server-b). in1.pcap: 30 UDP frames from 10.2.0.1,
payload ``c2-NNNN`` (all cross). Both files are reproducible.

Run: ``.venv/bin/python examples/tunnels/make_traces.py [FOLDER]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Raw
from scapy.utils import wrpcap


def frame(chain: int, seq: int, ttl: int = 64) -> Packet:
    """A UDP frame of chain ``chain`` carrying ``c<chain>-<seq>`` as payload."""
    payload = f"c{chain}-{seq:04d}".encode().ljust(30, b".")
    return (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src=f"10.{chain}.0.1", dst=f"10.{chain}.1.1", ttl=ttl)
        / UDP(sport=1000 + seq, dport=2000)
        / Raw(payload)
    )


def traces() -> dict[str, list[Packet]]:
    return {
        "in0.pcap": [frame(1, i, 1 if i % 10 == 3 else 64) for i in range(40)],
        "in1.pcap": [frame(2, i) for i in range(30)],
    }


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for name, packets in traces().items():
        for p in packets:
            p.time = 1_700_000_000  # a fixed timestamp: the file is reproducible
        wrpcap(str(out / name), packets)


if __name__ == "__main__":
    main()
