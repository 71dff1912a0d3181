"""5-tuple matches shared by L3L4Filter rules and RxService classifier entries."""

from __future__ import annotations

from dataclasses import dataclass

from . import params
from .packet import L3Status, Parsed

FIELDS = ("src", "dst", "proto", "sport", "dport")


@dataclass(frozen=True)
class Match:
    """Fields a packet must have; ``None`` is any. No field at all matches every frame."""

    src: tuple[int, int] | None = None
    dst: tuple[int, int] | None = None
    proto: int | None = None
    sport: tuple[int, int] | None = None
    dport: tuple[int, int] | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f) is None for f in FIELDS)

    def matches(self, p: Parsed) -> bool:
        if self.empty:
            return True
        if p.status is not L3Status.OK:
            return False
        if self.src and p.src & self.src[1] != self.src[0]:
            return False
        if self.dst and p.dst & self.dst[1] != self.dst[0]:
            return False
        if self.proto is not None and p.proto != self.proto:
            return False
        for rng, port in ((self.sport, p.sport), (self.dport, p.dport)):
            if rng and (not p.has_ports or not rng[0] <= port <= rng[1]):
                return False
        return True


def parse_fields(
    words: list[str], where: str, extra: tuple[str, ...] = ()
) -> tuple[Match, dict[str, str]]:
    """``KEY VALUE`` pairs into a Match; keys in ``extra`` are returned raw."""
    if len(words) % 2:
        raise params.ParameterError(f"{where}: '{words[-1]}' needs a value")
    seen: dict[str, str] = {}
    for key, val in zip(words[::2], words[1::2], strict=True):
        if key not in FIELDS and key not in extra:
            raise params.ParameterError(f"{where}: unknown field '{key}'")
        if key in seen:
            raise params.ParameterError(f"{where}: field '{key}' appears twice")
        seen[key] = val
    m = Match(
        src=params.prefix(seen["src"]) if "src" in seen else None,
        dst=params.prefix(seen["dst"]) if "dst" in seen else None,
        proto=params.protocol(seen["proto"]) if "proto" in seen else None,
        sport=params.port_range(seen["sport"]) if "sport" in seen else None,
        dport=params.port_range(seen["dport"]) if "dport" in seen else None,
    )
    return m, {k: v for k, v in seen.items() if k in extra}
