"""Parameter values of a reference model: defaults from the built-in catalog, typed parsers.

The parsers accept exactly what the C processors' ``init`` accepts, so a value
one side refuses is refused by the other with the same meaning.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from micronf.yang.context import builtin_catalog_path


class ParameterError(ValueError):
    """A parameter value a processor cannot use (the message names it)."""


@functools.cache
def builtin_descriptors() -> dict[str, dict[str, Any]]:
    """The built-in uNF descriptors by class (generated from the C registry)."""
    cat = json.loads(builtin_catalog_path().read_text())["micronf-catalog:catalog"]
    return {d["class"]: d for d in cat["unf-descriptor"]}


def resolve(unf_class: str, given: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Given values over the descriptor's defaults; unknown or missing mandatory ones refused."""
    try:
        desc = builtin_descriptors()[unf_class]
    except KeyError:
        raise ParameterError(f"unknown uNF class '{unf_class}'") from None
    specs = {p["name"]: p for p in desc.get("parameter", [])}
    for name in given:
        if name not in specs:
            raise ParameterError(f"{unf_class}: unknown parameter '{name}'")
    out: dict[str, tuple[str, ...]] = {}
    for name, spec in specs.items():
        # No values is the same as not given (the C side sees no value either).
        values = tuple(given[name]) if given.get(name) else tuple(spec.get("default", []))
        if not values and spec.get("mandatory", False):
            raise ParameterError(f"{unf_class}: parameter '{name}' is mandatory")
        if len(values) > 1 and not spec.get("multi-valued", False):
            raise ParameterError(f"{unf_class}: parameter '{name}' takes one value")
        allowed = spec.get("allowed-value")
        for v in values:
            if allowed and v not in allowed:
                raise ParameterError(f"{unf_class}: '{v}' is not one of {', '.join(allowed)}")
        out[name] = values
    return out


def uint(value: str, limit: int = 0xFFFFFFFF) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > limit:
        raise ParameterError(f"'{value}' is not an integer from 0 to {limit}")
    return int(value)


def port_range(value: str) -> tuple[int, int]:
    lo, sep, hi = value.partition("-")
    low = uint(lo, 0xFFFF)
    high = uint(hi, 0xFFFF) if sep else low
    if low > high:
        raise ParameterError(f"'{value}': range bounds are reversed")
    return low, high


def ipv4(value: str) -> int:
    parts = value.split(".")
    if len(parts) != 4 or not all(
        p.isascii() and p.isdigit() and len(p) <= 3 and int(p) < 256 for p in parts
    ):
        raise ParameterError(f"'{value}' is not an IPv4 address")
    return int.from_bytes(bytes(int(p) for p in parts), "big")


def prefix(value: str) -> tuple[int, int]:
    """``A.B.C.D[/LEN]`` as (network, mask); host bits are ignored as ipaddress(strict=False)."""
    addr, sep, length = value.partition("/")
    bits = uint(length, 32) if sep else 32
    mask = (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
    return ipv4(addr) & mask, mask


_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


def mac(value: str) -> bytes:
    if not _MAC.match(value):
        raise ParameterError(f"'{value}' is not a MAC address")
    return bytes(int(x, 16) for x in value.split(":"))


def boolean(value: str) -> bool:
    if value not in ("true", "false"):
        raise ParameterError(f"'{value}' is not 'true' or 'false'")
    return value == "true"


PROTOCOLS = {"icmp": 1, "tcp": 6, "udp": 17}


def protocol(value: str) -> int:
    if value in PROTOCOLS:
        return PROTOCOLS[value]
    return uint(value, 255)
