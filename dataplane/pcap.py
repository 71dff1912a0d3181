"""Just enough of the pcap file format to count a trace's packets before it is
replayed through ``net_pcap`` (the runtime then knows when the trace is done)."""

from __future__ import annotations

import struct
from pathlib import Path

from .runtime import DataplaneError

_MAGICS = {
    b"\xd4\xc3\xb2\xa1": "<",  # microseconds, little endian
    b"\xa1\xb2\xc3\xd4": ">",
    b"\x4d\x3c\xb2\xa1": "<",  # nanoseconds
    b"\xa1\xb2\x3c\x4d": ">",
}


def count_packets(path: Path) -> int:
    """Packets in a classic pcap file; DataplaneError when it is not one."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataplaneError(f"{path}: {exc.strerror or exc}") from None
    if len(data) < 24 or data[:4] not in _MAGICS:
        raise DataplaneError(f"{path}: not a pcap file (pcapng is not supported)")
    order = _MAGICS[data[:4]]
    off, n = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack_from(order + "I", data, off + 8)[0]
        off += 16 + incl
        if off > len(data):
            raise DataplaneError(f"{path}: truncated after {n} packets")
        n += 1
    return n
