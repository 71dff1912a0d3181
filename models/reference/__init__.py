"""Reference models of the built-in packet processors, in pure Python.

``make(unf_class, params)`` returns a :class:`Processor` whose ``process``
decides one frame exactly as the C processor of the same class does (the
data-plane tests compare them packet by packet), and whose ``counters`` are
the processor's named counters. The compiler's property tests compose these
models instead of running DPDK. Parameter defaults come from the built-in
catalog, which is generated from the C registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from .params import ParameterError, resolve
from .processors import MODELS


class Processor(Protocol):
    """One instance of a packet processor."""

    counters: dict[str, int]

    def process(self, pkt: bytearray) -> str | None:
        """Decide one frame (may change it in place): a label, "" (no labels) or None (drop)."""
        ...


def make(unf_class: str, params: Mapping[str, Sequence[str]]) -> Processor:
    """A model of ``unf_class`` configured with ``params`` (name -> values; defaults filled in).

    Raises :class:`ParameterError` (a ValueError) for an unknown class or a bad value.
    """
    if unf_class not in MODELS:
        raise ParameterError(f"unknown uNF class '{unf_class}'")
    return MODELS[unf_class](resolve(unf_class, params))


def classes() -> list[str]:
    """Every class a model exists for."""
    return list(MODELS)


__all__ = ["ParameterError", "Processor", "classes", "make"]
