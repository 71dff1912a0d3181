"""One packet processor run in-process on a list of frames (``processors/harness.c``).

The tests hold each C processor to its Python reference model through this
class, the ``processor_cycles`` benchmark times it, and
:mod:`micronf.dataplane.catalog` reads the descriptors it runs. DPDK's EAL
must be up in this process (a :class:`~micronf.dataplane.Runtime` primary, or
:func:`eal_init` for a standalone program); the harness keeps its own small
mbuf pool, so a leaked mbuf shows in :func:`pool_in_use`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._unf import ffi, lib

ERR_LEN = 256
MAX_FRAMES = 256


class HarnessError(Exception):
    """The processor refused its parameters, or the harness could not run it."""


@dataclass(frozen=True)
class Outcome:
    """One frame after the processor: its result (label name, "" or None = dropped) and bytes."""

    result: str | None
    frame: bytes


def _param_blob(params: Mapping[str, Sequence[str]]) -> bytes:
    out = bytearray()
    for name, values in params.items():
        out += name.encode() + b"\0"
        for v in values:
            out += v.encode() + b"\0"
        out += b"\0"
    return bytes(out + b"\0")


def eal_init(args: Sequence[str]) -> None:
    """Initialise EAL in this process (once), for a program without a Runtime."""
    argv_keep = [ffi.new("char[]", a.encode()) for a in ["micronf-harness", *args]]
    argv = ffi.new("char *[]", argv_keep)
    err = ffi.new("char[]", ERR_LEN)
    if lib.unf_harness_eal_init(len(argv_keep), argv, err, ERR_LEN) < 0:
        raise HarnessError(ffi.string(err).decode())


def pool_in_use() -> int:
    """mbufs of the harness pool not returned (0 after every run)."""
    return int(lib.unf_harness_pool_in_use())


def tsc_hz() -> int:
    return int(lib.unf_harness_tsc_hz())


class Harness:
    """An initialised instance of ``unf_class``; call :meth:`close` (or use ``with``)."""

    def __init__(self, unf_class: str, params: Mapping[str, Sequence[str]]) -> None:
        blob = _param_blob(params)
        err = ffi.new("char[]", ERR_LEN)
        h = lib.unf_harness_new(unf_class.encode(), blob, len(blob), err, ERR_LEN)
        if h == ffi.NULL:
            raise HarnessError(f"{unf_class}: {ffi.string(err).decode()}")
        self._h: Any = h
        self.unf_class = unf_class
        names = ffi.new("const char *[]", 256)
        n = lib.unf_harness_labels(h, names, 256)
        self.labels: tuple[str, ...] = tuple(
            str(ffi.string(names[i]).decode()) for i in range(min(n, 256))
        )

    def close(self) -> None:
        if self._h is not None:
            lib.unf_harness_free(self._h)
            self._h = None

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def counters(self) -> dict[str, int]:
        names = ffi.new("const char *[]", 16)
        values = ffi.new("uint64_t[]", 16)
        n = lib.unf_harness_counters(self._h, names, values, 16)
        return {ffi.string(names[i]).decode(): int(values[i]) for i in range(n)}

    def _result(self, r: int) -> str | None:
        if r == lib.UNF_RESULT_DROP:
            return None
        if not self.labels:
            if r != 0:
                raise HarnessError(f"{self.unf_class}: result {r} without labels")
            return ""
        if r >= len(self.labels):
            raise HarnessError(f"{self.unf_class}: result {r} past its labels")
        return self.labels[r]

    def run(
        self, frames: Sequence[bytes], *, segment: int = 0, prefetch: int = 0
    ) -> tuple[list[Outcome], int]:
        """One process_batch over ``frames`` (split into ``segment``-byte mbufs, 0: whole).

        Returns each frame's outcome and the TSC cycles process_batch took.
        """
        if len(frames) > MAX_FRAMES:
            raise HarnessError(f"at most {MAX_FRAMES} frames per run")
        data = b"".join(frames)
        lens = ffi.new("uint32_t[]", [len(f) for f in frames] or [0])
        results = ffi.new("uint8_t[]", max(len(frames), 1))
        cap = len(data) + 64 * len(frames) + 64
        out = ffi.new("uint8_t[]", cap)
        out_lens = ffi.new("uint32_t[]", max(len(frames), 1))
        cycles = ffi.new("uint64_t *")
        err = ffi.new("char[]", ERR_LEN)
        ret = lib.unf_harness_run(
            self._h,
            data,
            lens,
            len(frames),
            segment,
            prefetch,
            results,
            out,
            cap,
            out_lens,
            cycles,
            err,
            ERR_LEN,
        )
        if ret < 0:
            raise HarnessError(ffi.string(err).decode())
        outcomes, off = [], 0
        for i in range(len(frames)):
            n = int(out_lens[i])
            outcomes.append(Outcome(self._result(results[i]), bytes(ffi.buffer(out + off, n))))
            off += n
        return outcomes, int(cycles[0])

    def bench(self, frames: Sequence[bytes], rounds: int, prefetch: int = 0) -> int:
        """TSC cycles spent in process_batch over ``rounds`` runs on fresh copies of ``frames``."""
        data = b"".join(frames)
        lens = ffi.new("uint32_t[]", [len(f) for f in frames])
        cycles = ffi.new("uint64_t *")
        err = ffi.new("char[]", ERR_LEN)
        if (
            lib.unf_harness_bench(
                self._h, data, lens, len(frames), rounds, prefetch, cycles, err, ERR_LEN
            )
            < 0
        ):
            raise HarnessError(ffi.string(err).decode())
        return int(cycles[0])


def instance_names(
    unf_class: str, params: Mapping[str, Sequence[str]]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(result names, counter names) of ``unf_class`` with ``params``, as its C init sees them.

    Counters past the descriptor's static ones depend on parameters (CountUrl's
    ``url:PATTERN``, PacketSizeCounter's bins, FlowLoadBalancer's back-ends);
    RxService's results are its classifier entries. Needs no mbuf pool; raises
    HarnessError with the processor's message when it refuses ``params``.
    """
    blob = _param_blob(params)
    labels = ffi.new("char[]", 8192)
    counters = ffi.new("char[]", 8192)
    err = ffi.new("char[]", ERR_LEN)
    ret = lib.unf_instance_names(
        unf_class.encode(), blob, len(blob), labels, 8192, counters, 8192, err, ERR_LEN
    )
    if ret < 0:
        raise HarnessError(f"{unf_class}: {ffi.string(err).decode()}")
    return _names(labels), _names(counters)


def _names(buf: Any) -> tuple[str, ...]:
    raw = bytes(ffi.buffer(buf))
    return tuple(n.decode() for n in raw.split(b"\0\0", 1)[0].split(b"\0") if n)
