"""Small packet builders for the data-plane tests (raw bytes, no parsing)."""

from __future__ import annotations

import struct


def frame(seq: int, *, tag: int = 0, select: int = 0, size: int = 64) -> bytes:
    """An Ethernet/IPv4/UDP frame; byte 14+? layout for the Test* processors:
    offset 42..45: sequence number, 46: tag byte, 47: selector byte."""
    eth = bytes.fromhex("0200000000020200000000010800")
    payload_len = size - 14 - 20 - 8
    ip = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + 8 + payload_len,
        seq & 0xFFFF,
        0,
        64,
        17,
        0,
        bytes([10, 0, 0, 1]),
        bytes([10, 0, 1, 1]),
    )
    udp = struct.pack("!HHHH", 1024 + seq % 50000, 53, 8 + payload_len, 0)
    payload = struct.pack("!IBB", seq, tag, select).ljust(payload_len, b"\0")
    return eth + ip + udp + payload


def flow_frame(flow: int, seq: int) -> bytes:
    """A UDP frame of flow number ``flow`` (its 5-tuple), carrying seq."""
    eth = bytes.fromhex("0200000000020200000000010800")
    src = bytes([10, (flow >> 16) & 0xFF, (flow >> 8) & 0xFF, flow & 0xFF])
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + 22, 0, 0, 64, 17, 0, src, bytes([10, 9, 9, 9])
    )
    udp = struct.pack("!HHHH", 1000 + flow % 60000, 80, 8 + 22, 0)
    payload = struct.pack("!II", flow, seq).ljust(22, b"\0")
    return eth + ip + udp + payload


SEQ_OFFSET = 42
TAG_OFFSET = 46
SELECT_OFFSET = 47


def seq_of(pkt: bytes) -> int:
    return int(struct.unpack_from("!I", pkt, SEQ_OFFSET)[0])


def flow_of(pkt: bytes) -> int:
    return int(struct.unpack_from("!I", pkt, 42)[0])
