"""Entry point of one uNF worker process: ``python -m micronf.dataplane.worker
PREFIX SLOT LCORE CPU [LOG_LEVEL]``.

The primary (:class:`micronf.dataplane.Runtime`) starts it with
``subprocess``. It joins the primary's DPDK memory as a *secondary* process
with the lcore id the primary chose (so that no two processes share a mempool
cache) pinned to CPU, then runs the C loop of its slot until the stop flag or
the deadline; everything else about the uNF is read from the slot. Exit status
0 after a stop, 1 when the uNF could not start (the message is in the slot and
on stderr).
"""

from __future__ import annotations

import ctypes
import os
import sys

from ._unf import ffi, lib

_PR_SET_PDEATHSIG = 1
_SIGKILL = 9


def _die_with_parent() -> None:
    """A worker must not outlive its primary (killed or crashed): the kernel
    kills it when the primary goes; its hugepage files are then removed by
    the next runtime that starts (see clean_stale_prefixes)."""
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
    if os.getppid() != parent or parent == 1:
        os._exit(1)


def main(argv: list[str]) -> int:
    if len(argv) < 4:
        print(
            "usage: python -m micronf.dataplane.worker PREFIX SLOT LCORE CPU [LOG]", file=sys.stderr
        )
        return 2
    _die_with_parent()
    prefix, slot, lcore, cpu = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    log_level = argv[4] if len(argv) > 4 else "error"
    args = [
        f"micronf-unf-{slot}",
        "--proc-type=secondary",
        f"--file-prefix={prefix}",
        f"--lcores={lcore}@{cpu}",
        "--no-pci",
        "--no-telemetry",
        f"--log-level={log_level}",
    ]
    keep = [ffi.new("char[]", a.encode()) for a in args]
    cargv = ffi.new("char *[]", keep)
    err = ffi.new("char[]", 256)
    if lib.unf_secondary_init(len(args), cargv, err, 256) < 0:
        message = ffi.string(err).decode(errors="replace")
        s = lib.unf_slot(slot)
        if s != ffi.NULL:
            s.error = message.encode()[:255]
            s.state = lib.UNF_SLOT_FAILED
        print(message, file=sys.stderr)
        return 1
    ret = lib.unf_worker_main(slot, err, 256)
    if ret < 0:
        print(ffi.string(err).decode(errors="replace"), file=sys.stderr)
    lib.unf_eal_cleanup()
    return 0 if ret == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
