"""Header parsing shared by the reference models, byte for byte as the C processors do it.

The C processors (``dataplane/processors/unf_pkt.h``) and these models must
agree on every malformed case, so the rules live in one place on each side:

* Ethernet needs 14 bytes; one 802.1Q / 802.1ad tag is skipped.
* IPv4 needs EtherType 0x0800, 20 bytes, version 4, IHL >= 5 and the whole
  IHL present; options are allowed.
* The IP packet ends at ``l3 + total-length`` when that is between the header
  length and the frame's end, else at the frame's end (so Ethernet padding of
  short frames is never payload).
* Transport headers are parsed only in the first fragment (offset 0): TCP
  needs 20 bytes and a data offset that fits, UDP 8 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

ETH_LEN = 14
ETHERTYPE_IPV4 = 0x0800
VLAN_TYPES = (0x8100, 0x88A8)
PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
VXLAN_PORT = 4789


class L3Status(Enum):
    """Why a frame is or is not a usable IPv4 packet (one value per counter)."""

    OK = "ok"
    NOT_IPV4 = "not-ipv4"  # shorter than Ethernet, or another EtherType
    TRUNCATED = "truncated"  # IPv4, but the header is cut short
    BAD_VERSION = "bad-version"
    BAD_IHL = "bad-ihl"


def be16(b: bytes | bytearray, off: int) -> int:
    return (b[off] << 8) | b[off + 1]


def be32(b: bytes | bytearray, off: int) -> int:
    return int.from_bytes(b[off : off + 4], "big")


@dataclass(frozen=True)
class Parsed:
    """Offsets and fields of one frame; ``l4``/``payload`` are -1 when absent."""

    status: L3Status
    l3: int = -1
    ihl: int = 0
    ip_end: int = 0
    proto: int = 0
    src: int = 0
    dst: int = 0
    first_fragment: bool = False
    l4: int = -1
    sport: int = 0
    dport: int = 0
    payload: int = -1

    @property
    def has_ports(self) -> bool:
        return self.l4 >= 0


def l3_offset(pkt: bytes | bytearray) -> int:
    """Offset of the IPv4 header, or -1 when the frame does not carry IPv4."""
    n = len(pkt)
    if n < ETH_LEN:
        return -1
    etype = be16(pkt, 12)
    off = ETH_LEN
    if etype in VLAN_TYPES:
        if n < ETH_LEN + 4:
            return -1
        etype = be16(pkt, 16)
        off += 4
    return off if etype == ETHERTYPE_IPV4 else -1


def parse(pkt: bytes | bytearray) -> Parsed:
    n = len(pkt)
    l3 = l3_offset(pkt)
    if l3 < 0:
        return Parsed(L3Status.NOT_IPV4)
    if n - l3 < 20:
        return Parsed(L3Status.TRUNCATED)
    if pkt[l3] >> 4 != 4:
        return Parsed(L3Status.BAD_VERSION)
    ihl = (pkt[l3] & 0x0F) * 4
    if ihl < 20:
        return Parsed(L3Status.BAD_IHL)
    if ihl > n - l3:
        return Parsed(L3Status.TRUNCATED)
    total = be16(pkt, l3 + 2)
    ip_end = min(l3 + total, n) if total >= ihl else n
    proto = pkt[l3 + 9]
    first = (be16(pkt, l3 + 6) & 0x1FFF) == 0
    base = Parsed(
        L3Status.OK,
        l3=l3,
        ihl=ihl,
        ip_end=ip_end,
        proto=proto,
        src=be32(pkt, l3 + 12),
        dst=be32(pkt, l3 + 16),
        first_fragment=first,
    )
    l4 = l3 + ihl
    if first and proto == PROTO_TCP and ip_end - l4 >= 20:
        doff = (pkt[l4 + 12] >> 4) * 4
        if 20 <= doff <= ip_end - l4:
            return replace(
                base, l4=l4, sport=be16(pkt, l4), dport=be16(pkt, l4 + 2), payload=l4 + doff
            )
    if first and proto == PROTO_UDP and ip_end - l4 >= 8:
        return replace(base, l4=l4, sport=be16(pkt, l4), dport=be16(pkt, l4 + 2), payload=l4 + 8)
    return base


def checksum(data: bytes | bytearray) -> int:
    """The Internet checksum (RFC 1071) of ``data``: 0 when a header with its checksum is right."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


# --------------------------------------------------------------------------- HTTP

HTTP_METHODS = (
    b"GET",
    b"POST",
    b"PUT",
    b"DELETE",
    b"HEAD",
    b"OPTIONS",
    b"PATCH",
    b"CONNECT",
    b"TRACE",
)


#: Payload bytes the HTTP processors look at (UNF_PAYLOAD_SCAN_MAX in unf_pkt.h).
PAYLOAD_SCAN_MAX = 16384


def tcp_payload(pkt: bytes | bytearray, p: Parsed) -> bytes | None:
    """The TCP payload (its first PAYLOAD_SCAN_MAX bytes), or None if not a parsed TCP segment."""
    if p.status is not L3Status.OK or p.proto != PROTO_TCP or p.payload < 0:
        return None
    return bytes(pkt[p.payload : min(p.ip_end, p.payload + PAYLOAD_SCAN_MAX)])


def request_url(payload: bytes) -> bytes | None:
    """The URL of an HTTP request line (``METHOD SP URL ...``), or None if not a request.

    The URL runs to the next space, CR or LF, or to the end of the segment: a
    request line split over segments is judged on its first part.
    """
    for m in HTTP_METHODS:
        if payload.startswith(m) and payload[len(m) : len(m) + 1] == b" ":
            rest = payload[len(m) + 1 :]
            end = len(rest)
            for stop in (b" ", b"\r", b"\n"):
                i = rest.find(stop)
                if 0 <= i < end:
                    end = i
            return rest[:end]
    return None


def is_response(payload: bytes) -> bool:
    return payload.startswith(b"HTTP/")


def flow_hash(p: Parsed) -> int:
    """FNV-1a 64 over src, dst, proto, sport, dport (big-endian; 0 where absent)."""
    key = (
        p.src.to_bytes(4, "big")
        + p.dst.to_bytes(4, "big")
        + bytes([p.proto])
        + p.sport.to_bytes(2, "big")
        + p.dport.to_bytes(2, "big")
    )
    h = 0xCBF29CE484222325
    for byte in key:
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def jump_hash(key: int, buckets: int) -> int:
    """Jump consistent hash (Lamping & Veach 2014): adding a bucket moves 1/n of the keys."""
    b, j = -1, 0
    while j < buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b
