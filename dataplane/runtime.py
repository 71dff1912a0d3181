"""The DPDK primary as a Python object: :class:`Runtime`.

A runtime initialises DPDK's EAL in this process as the *primary* with its own
``--file-prefix``, creates the mbuf pool and the control memzone, rings and
ethdev ports, and starts every uNF instance as a DPDK *secondary* process
(``python -m micronf.dataplane.worker``) pinned to one CPU with its own lcore
id. Python only configures and watches; packets never cross into Python
except through the test helpers :meth:`Runtime.inject` and :meth:`Runtime.drain`.

Two rules of DPDK shape this class. EAL can be initialised once per process,
so one process holds at most one runtime (a stopped runtime cannot be
restarted in the same process). And a process must not fork after
``rte_eal_init``: workers are started with :class:`subprocess.Popen`, which on
Linux uses ``vfork()`` + ``exec()`` (or ``posix_spawn``) when there is no
``preexec_fn``; the child runs no DPDK code before ``exec`` and, with
``close_fds``, inherits none of the primary's hugepage or socket descriptors.

The primary's main lcore floats over every allowed CPU (``--lcores
0@(cpus)``): ``rte_eal_init`` pins the calling thread, and pinning the
Python control thread to one core would starve it beside a busy worker.

Hugepage files (``/dev/hugepages/<prefix>map_*``) and the runtime directory
(``/var/run/dpdk/<prefix>``) are removed on :meth:`Runtime.stop`, at interpreter
exit, and for runtimes whose process died, when the next runtime starts.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from ._unf import ffi, lib
from .spec import (
    Balance,
    Counters,
    Egress,
    Mempool,
    PortKind,
    ProcessorInfo,
    UnfSpec,
)

HUGE_DIR = Path("/dev/hugepages")
RUN_DIR = Path("/var/run/dpdk")
PREFIX_STEM = "micronf"

#: Rings behind one branch or load-balanced egress (so: instances of a scaled uNF).
MAX_TARGETS = int(lib.UNF_MAX_TARGETS)

_eal_lock = threading.Lock()
_eal_used = False


class DataplaneError(Exception):
    """A data-plane operation failed; the message says what and why."""


class UnfFailed(DataplaneError):
    """A uNF process could not start or died."""


def _err() -> Any:
    return ffi.new("char[]", 256)


def _msg(buf: Any) -> str:
    return str(ffi.string(buf).decode(errors="replace"))


def _check(ret: int, buf: Any) -> int:
    if ret < 0:
        raise DataplaneError(_msg(buf))
    return ret


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_prefix_files(prefix: str) -> None:
    """Delete the hugepage files and runtime directory of one file prefix."""
    if HUGE_DIR.is_dir():
        for f in HUGE_DIR.glob(f"{prefix}map_*"):
            with contextlib.suppress(OSError):
                f.unlink()
    shutil.rmtree(RUN_DIR / prefix, ignore_errors=True)


def clean_stale_prefixes() -> list[str]:
    """Remove what runtimes of dead processes left (prefix ``micronf<pid>``)."""
    removed: list[str] = []
    names: set[str] = set()
    if RUN_DIR.is_dir():
        names |= {p.name for p in RUN_DIR.iterdir() if p.name.startswith(PREFIX_STEM)}
    if HUGE_DIR.is_dir():
        names |= {
            p.name.split("map_")[0] for p in HUGE_DIR.glob(f"{PREFIX_STEM}*map_*") if p.is_file()
        }
    for name in sorted(names):
        digits = name[len(PREFIX_STEM) :].split("-")[0]
        if digits.isdigit() and not _pid_alive(int(digits)):
            remove_prefix_files(name)
            removed.append(name)
    return removed


def hugepages_free() -> tuple[int, int]:
    """(free hugepages, page size in KiB) from /proc/meminfo."""
    free = size = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                free = int(line.split()[1])
            elif line.startswith("Hugepagesize:"):
                size = int(line.split()[1])
    return free, size


@dataclass
class UnfProcess:
    """A running (or ended) uNF instance: its spec, slot, lcore and process."""

    spec: UnfSpec
    slot: int
    lcore: int
    process: subprocess.Popen[bytes]
    log: Path
    labels: tuple[str, ...]
    counter_names: tuple[tuple[str, ...], ...]
    stopping: bool = False
    reclaimed: int = 0
    lost: int = 0
    egress: tuple[Egress, ...] = field(default=())

    @property
    def pid(self) -> int:
        return self.process.pid

    def status(self) -> str:
        """``running``, ``stopped`` (on request) or ``failed`` (exited by itself)."""
        code = self.process.poll()
        if code is None:
            return "running"
        return "stopped" if code == 0 else "failed"


class Runtime:
    """The DPDK primary of one server (see the module documentation)."""

    def __init__(
        self,
        *,
        prefix: str | None = None,
        cpus: Sequence[int] | None = None,
        mbufs: int = 8191,
        cache: int = 128,
        log_level: str = "error",
        start_timeout: float = 20.0,
    ) -> None:
        self.prefix = prefix or f"{PREFIX_STEM}{os.getpid()}"
        self.cpus = tuple(sorted(cpus if cpus is not None else os.sched_getaffinity(0)))
        self.mbufs = mbufs
        self.cache = cache
        self.log_level = log_level
        self.start_timeout = start_timeout
        self.started = False
        self.unfs: dict[tuple[str, int], UnfProcess] = {}
        self.ports: dict[str, int] = {}
        self.rings: set[str] = set()
        self._free_slots = list(range(int(lib.UNF_MAX_SLOTS)))
        self._logdir: Path | None = None
        self._tx_links: list[Path] = []

    # -- life cycle ---------------------------------------------------------

    def start(self) -> Runtime:
        global _eal_used
        with _eal_lock:
            if _eal_used:
                raise DataplaneError(
                    "DPDK can be initialised once per process: this process already ran a runtime"
                )
            _eal_used = True
        if not HUGE_DIR.is_dir() or not os.path.ismount(HUGE_DIR):
            raise DataplaneError(f"no hugepages: hugetlbfs is not mounted at {HUGE_DIR}")
        free, size_kib = hugepages_free()
        need = (self.mbufs * 2600) // (size_kib * 1024 or 1) + 8
        if free < need:
            raise DataplaneError(
                f"no hugepages: {free} free x {size_kib} KiB, the runtime needs about {need} "
                "(echo N > /proc/sys/vm/nr_hugepages)"
            )
        clean_stale_prefixes()
        remove_prefix_files(self.prefix)
        bad = [c for c in self.cpus if c not in os.sched_getaffinity(0)]
        if bad:
            raise DataplaneError(f"CPU {bad[0]} is not available to this process")
        args = [
            "micronf",
            f"--file-prefix={self.prefix}",
            "--proc-type=primary",
            f"--lcores=0@({','.join(map(str, self.cpus))})",
            "--no-pci",
            "--no-telemetry",
            f"--huge-dir={HUGE_DIR}",
            f"--log-level={self.log_level}",
        ]
        keep = [ffi.new("char[]", a.encode()) for a in args]
        argv = ffi.new("char *[]", keep)
        err = _err()
        # rte_eal_init pins the calling thread to the lcore's CPU set; keep
        # the Python thread's own affinity, whatever EAL chose.
        affinity = os.sched_getaffinity(0)
        ret = lib.unf_primary_init(len(args), argv, self.mbufs, self.cache, err, 256)
        os.sched_setaffinity(0, affinity)
        if ret < 0:
            message = _msg(err)
            remove_prefix_files(self.prefix)
            raise DataplaneError(message)
        self.started = True
        # Short on purpose: pcap paths become links in here (see _short_paths).
        self._logdir = Path(tempfile.mkdtemp(prefix="mnf", dir="/tmp"))
        atexit.register(self.stop)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every uNF, release DPDK, delete the hugepage files. Idempotent."""
        if not self.started:
            return
        for unf in list(self.unfs.values()):
            if unf.process.poll() is None:
                self._slot(unf.slot).stop = 1
                unf.stopping = True
        deadline = time.monotonic() + timeout
        for unf in list(self.unfs.values()):
            try:
                unf.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                unf.process.kill()
                unf.process.wait()
        self.unfs.clear()
        lib.unf_eal_cleanup()
        self.started = False
        remove_prefix_files(self.prefix)
        if self._logdir is not None:
            shutil.rmtree(self._logdir, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def __enter__(self) -> Runtime:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _need(self) -> None:
        if not self.started:
            raise DataplaneError("the runtime is not started")

    def _slot(self, index: int) -> Any:
        return lib.unf_slot(index)

    # -- rings, ports, mempool ---------------------------------------------

    def create_ring(
        self,
        name: str,
        size: int = 1024,
        *,
        multi_producer: bool = False,
        multi_consumer: bool = False,
    ) -> None:
        self._need()
        err = _err()
        _check(
            lib.unf_ring_create(_ring_name(name), size, multi_producer, multi_consumer, err, 256),
            err,
        )
        self.rings.add(name)

    def free_ring(self, name: str) -> None:
        """Free a ring and the packets still on it."""
        self._need()
        lib.unf_ring_free(_ring_name(name))
        self.rings.discard(name)

    def ring_count(self, name: str) -> int:
        self._need()
        n = int(lib.unf_ring_count(_ring_name(name)))
        if n < 0:
            raise DataplaneError(f"no ring '{name}'")
        return n

    def add_port(self, name: str, devargs: str = "") -> int:
        """Create a virtual ethdev (``net_pcap0``, ``net_ring0``, ``net_null0``...)
        with one Rx and one Tx queue, started; returns its port id."""
        self._need()
        devargs = self._short_paths(devargs)
        err = _err()
        port = _check(lib.unf_port_add(name.encode(), devargs.encode(), err, 256), err)
        self.ports[name] = port
        return port

    # DPDK passes a vdev's arguments to secondary processes truncated to 63
    # bytes, so that a worker would open another file than the primary: file
    # arguments become short symbolic links in the runtime's own directory.
    _FILE_ARGS = ("rx_pcap", "tx_pcap", "rx_iface", "tx_iface")
    _DEVARGS_MAX = 63

    def _short_paths(self, devargs: str) -> str:
        assert self._logdir is not None
        out = []
        for item in filter(None, devargs.split(",")):
            key, sep, value = item.partition("=")
            if sep and key in self._FILE_ARGS and key.endswith("pcap"):
                link = self._logdir / str(len(list(self._logdir.glob("f*"))))
                link = link.with_name(f"f{link.name}")
                link.symlink_to(Path(value).absolute())
                if key == "tx_pcap":
                    self._tx_links.append(link)
                value = str(link)
            out.append(f"{key}={value}" if sep else key)
        short = ",".join(out)
        if len(short) > self._DEVARGS_MAX:
            raise DataplaneError(
                f"device arguments '{short}' are longer than DPDK multi-process allows "
                f"({self._DEVARGS_MAX} bytes)"
            )
        return short

    def remove_port(self, name: str) -> None:
        """Stop and close a port (a pcap dumper is flushed and closed here)."""
        self._need()
        if self.ports.pop(name, None) is not None:
            lib.unf_port_remove(name.encode())

    def seal_tx_files(self) -> None:
        """From now on, a worker that starts opens /dev/null for the ports'
        ``tx_pcap`` files. A secondary re-opens every pcap port when it starts
        (net_pcap keeps per-process handles), which truncates a trace that the
        Tx worker, started earlier, is writing; a uNF instance started later (a
        scale-out) must not. Workers already running keep their files."""
        for link in self._tx_links:
            link.unlink(missing_ok=True)
            link.symlink_to(os.devnull)

    def tsc_hz(self) -> int:
        """Cycles per second of the TSC that busy cycles are counted in."""
        self._need()
        return int(lib.unf_harness_tsc_hz())

    def port_link_up(self, name: str) -> bool:
        """Whether the link of a port (a device name given to add_port) is up."""
        self._need()
        up = int(lib.unf_port_link_up(name.encode()))
        if up < 0:
            raise DataplaneError(f"no port '{name}'")
        return up == 1

    def port_packets(self, name: str) -> tuple[int, int]:
        """(received, sent) packets of a port, from its ethdev statistics."""
        self._need()
        rx, tx = ffi.new("uint64_t *"), ffi.new("uint64_t *")
        if lib.unf_port_packets(name.encode(), rx, tx) < 0:
            raise DataplaneError(f"no port '{name}'")
        return int(rx[0]), int(tx[0])

    def hold_readers(self, hold: bool) -> None:
        """Hold (or release) the workers that read an ethdev port: held, they
        start but do not poll. A worker's start re-opens the pcap files of the
        ports (net_pcap in a secondary process), truncating a Tx trace that an
        earlier worker may be writing: hold readers while a graph starts."""
        self._need()
        lib.unf_hold_readers(1 if hold else 0)

    def mempool(self) -> Mempool:
        self._need()
        return Mempool(size=int(lib.unf_mempool_size()), in_use=int(lib.unf_mempool_in_use()))

    def inject(self, ring: str, packets: Sequence[bytes]) -> int:
        """Copy packets into fresh mbufs on a ring (tests, replay); returns how many fit.

        The primary becomes a producer of the ring: a single-producer ring must
        have no other producer while this runs."""
        self._need()
        if not packets:
            return 0
        data = b"".join(packets)
        lens = ffi.new("uint32_t[]", [len(p) for p in packets])
        err = _err()
        return _check(
            lib.unf_ring_enqueue_copies(_ring_name(ring), data, lens, len(packets), err, 256), err
        )

    def drain(self, ring: str, max_packets: int = 4096) -> list[tuple[bytes, int]]:
        """Take up to max_packets off a ring: (bytes, chain tag) each; frees the mbufs."""
        self._need()
        cap = max_packets * 2048
        data = ffi.new("uint8_t[]", cap)
        lens = ffi.new("uint32_t[]", max_packets)
        tags = ffi.new("uint16_t[]", max_packets)
        n = lib.unf_ring_drain(_ring_name(ring), data, cap, lens, max_packets, tags)
        if n < 0:
            raise DataplaneError(f"no ring '{ring}'")
        out: list[tuple[bytes, int]] = []
        buf = ffi.buffer(data)
        off = 0
        for i in range(n):
            ln = int(lens[i])
            out.append((bytes(buf[off : off + ln]), int(tags[i])))
            off += ln
        return out

    # -- processors -------------------------------------------------------

    def processors(self) -> list[ProcessorInfo]:
        return list_processors()

    # -- uNF processes ----------------------------------------------------

    def start_unf(self, spec: UnfSpec, *, wait: bool = True) -> UnfProcess:
        """Write the slot of a uNF instance and start its worker process."""
        self._need()
        key = (spec.id, spec.instance)
        if key in self.unfs and self.unfs[key].process.poll() is None:
            raise DataplaneError(f"uNF {spec.id}[{spec.instance}] runs already")
        if spec.cpu not in self.cpus:
            raise DataplaneError(
                f"uNF {spec.id}: core {spec.cpu} out of range (cores {_ranges(self.cpus)})"
            )
        infos = [_processor(s.unf_class) for s in spec.stages]
        for st, info in zip(spec.stages, infos, strict=True):
            if info is None:
                raise DataplaneError(f"uNF {spec.id}: unknown uNF class '{st.unf_class}'")
        labels = spec.labels or (_labels(infos[-1]) if infos[-1] else ("out",))
        if len(labels) > lib.UNF_MAX_LABELS:
            raise DataplaneError(f"uNF {spec.id}: more than {lib.UNF_MAX_LABELS} result labels")
        if not self._free_slots:
            raise DataplaneError(f"no free uNF slot (at most {lib.UNF_MAX_SLOTS} instances)")
        index = self._free_slots.pop(0)
        slot = self._slot(index)
        try:
            self._write_slot(slot, index, spec, labels)
        except DataplaneError:
            self._free_slots.insert(0, index)
            raise
        assert self._logdir is not None
        log = self._logdir / f"{spec.id}.{spec.instance}.log"
        lcore = index + 1
        with open(log, "wb") as logf:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "micronf.dataplane.worker",
                    self.prefix,
                    str(index),
                    str(lcore),
                    str(spec.cpu),
                    self.log_level,
                ],
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                close_fds=True,
            )
        unf = UnfProcess(
            spec=spec,
            slot=index,
            lcore=lcore,
            process=proc,
            log=log,
            labels=labels,
            counter_names=tuple(i.counters if i else () for i in infos),
            egress=spec.egress,
        )
        self.unfs[key] = unf
        if wait:
            self.wait_running(unf)
        return unf

    def wait_running(self, unf: UnfProcess) -> None:
        slot = self._slot(unf.slot)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            state = int(slot.state)
            if state == lib.UNF_SLOT_RUNNING:
                return
            if state == lib.UNF_SLOT_FAILED or unf.process.poll() is not None:
                unf.process.wait()
                message = _msg(slot.error) or _tail(unf.log)
                self._release(unf)
                raise UnfFailed(f"uNF {unf.spec.id}[{unf.spec.instance}]: {message}")
            time.sleep(0.005)
        unf.process.kill()
        unf.process.wait()
        self._release(unf)
        raise UnfFailed(
            f"uNF {unf.spec.id}[{unf.spec.instance}] did not start within {self.start_timeout:g} s"
        )

    def stop_unf(self, unf: UnfProcess, timeout: float = 5.0) -> int:
        """Ask the worker to leave its loop; kill it after timeout. Returns its exit code."""
        self._need()
        unf.stopping = True
        self._slot(unf.slot).stop = 1
        try:
            code = unf.process.wait(timeout)
        except subprocess.TimeoutExpired:
            unf.process.kill()
            code = unf.process.wait()
        self._release(unf)
        return code

    def kill_unf(self, unf: UnfProcess) -> None:
        """SIGKILL the worker (as a crash would), then reap it like any failure."""
        self._need()
        unf.process.send_signal(signal.SIGKILL)
        unf.process.wait()
        self.reap()

    def reap(self) -> list[UnfProcess]:
        """Find workers that died on their own; reclaim the mbufs they held.

        Returns the newly failed instances (status ``failed``). Mbufs a dead
        worker held between receiving and dispatching are freed (``reclaimed``);
        when it died while handing them to egress ports their ownership is
        ambiguous and they are only counted (``lost``)."""
        failed: list[UnfProcess] = []
        for unf in list(self.unfs.values()):
            if unf.process.poll() is None or unf.stopping:
                continue
            if unf.slot in self._free_slots:
                continue
            n = int(lib.unf_slot_reclaim(unf.slot))
            if n >= 0:
                unf.reclaimed += n
            else:
                unf.lost += -n
            failed.append(unf)
            self._release(unf, keep=True)
        return failed

    def _release(self, unf: UnfProcess, keep: bool = False) -> None:
        slot = self._slot(unf.slot)
        if unf.slot not in self._free_slots:
            lib.unf_slot_reclaim(unf.slot)
            slot.state = lib.UNF_SLOT_FREE
            self._free_slots.append(unf.slot)
        if not keep:
            self.unfs.pop((unf.spec.id, unf.spec.instance), None)

    def counters(self, unf: UnfProcess) -> Counters:
        """The instance's counters, read from shared memory while it runs."""
        self._need()
        c = self._slot(unf.slot).counters
        names = [e.name for e in unf.egress]
        proc: dict[str, dict[str, int]] = {}
        for i, (stage, cnames) in enumerate(zip(unf.spec.stages, unf.counter_names, strict=True)):
            proc[stage.unf_class] = {n: int(c.proc[i][j]) for j, n in enumerate(cnames)}
        return Counters(
            rx=int(c.rx),
            tx=int(c.tx),
            dropped=int(c.dropped),
            busy_cycles=int(c.busy_cycles),
            bursts=int(c.bursts),
            yields=int(c.yields),
            idle_polls=int(c.idle_polls),
            reconfigs=int(c.reconfigs),
            egress_tx={n: int(c.egress_tx[i]) for i, n in enumerate(names)},
            egress_drops={n: int(c.egress_drops[i]) for i, n in enumerate(names)},
            processor=proc,
        )

    def reconfigure_egress(
        self,
        unf: UnfProcess,
        egress: Sequence[Egress],
        egress_map: dict[int, tuple[str, ...]] | None = None,
        timeout: float = 5.0,
    ) -> None:
        """Replace the egress ports of a running uNF. The worker switches
        between two bursts, so no packet is lost or sent twice."""
        self._need()
        slot = self._slot(unf.slot)
        if unf.process.poll() is not None:
            raise UnfFailed(f"uNF {unf.spec.id}[{unf.spec.instance}] is not running")
        emap = unf.spec.egress_map if egress_map is None else egress_map
        _write_routing(
            ffi.addressof(slot, "pending"), unf.spec.id, egress, unf.labels, emap, self.ports
        )
        slot.error = b""
        request = (int(slot.routing_request) + 1) & 0xFFFFFFFF
        slot.routing_request = request
        deadline = time.monotonic() + timeout
        while int(slot.routing_applied) != request:
            if unf.process.poll() is not None or time.monotonic() > deadline:
                raise UnfFailed(
                    f"uNF {unf.spec.id}[{unf.spec.instance}] did not take the new egress"
                )
            time.sleep(0.001)
        message = _msg(slot.error)
        if message:
            raise DataplaneError(f"uNF {unf.spec.id}: {message}")
        unf.egress = tuple(egress)

    # -- slot encoding ------------------------------------------------------

    def _write_slot(self, slot: Any, index: int, spec: UnfSpec, labels: tuple[str, ...]) -> None:
        if not spec.stages or len(spec.stages) > lib.UNF_MAX_STAGES:
            raise DataplaneError(f"uNF {spec.id}: 1 to {lib.UNF_MAX_STAGES} processor classes")
        ffi.memmove(slot, b"\0" * ffi.sizeof("struct unf_slot"), ffi.sizeof("struct unf_slot"))
        slot.id = _shortened(spec.id, lib.UNF_NAME_LEN)
        slot.instance = spec.instance
        slot.cpu = spec.cpu
        slot.lcore = index + 1
        slot.n_stages = len(spec.stages)
        for i, st in enumerate(spec.stages):
            slot.classes[i] = _name(st.unf_class, "class")
            blob = _param_blob(st.params)
            if len(blob) > lib.UNF_PARAM_LEN:
                raise DataplaneError(f"uNF {spec.id}: parameters of {st.unf_class} too long")
            ffi.memmove(slot.params[i], blob, len(blob))
        _write_port(
            slot.ingress,
            spec.ingress.kind,
            _ingress_targets(spec),
            spec.ingress.port,
            self.ports,
            spec.id,
        )
        slot.ingress.branches = spec.ingress.branches
        sc = spec.scheduling
        if not 1 <= sc.burst_size <= lib.UNF_MAX_BURST:
            raise DataplaneError(f"uNF {spec.id}: burst size 1..{lib.UNF_MAX_BURST}")
        slot.sched.burst_size = sc.burst_size
        slot.sched.prefetch = sc.prefetch
        slot.sched.yield_after_bursts = sc.yield_after_bursts
        slot.sched.yield_when_idle = sc.yield_when_idle
        slot.sched.sched_fifo = sc.sched_fifo
        slot.sched.fifo_priority = sc.fifo_priority
        slot.sched.idle_sleep_us = sc.idle_sleep_us
        slot.sched.deadline_ms = max(1, int(sc.deadline_s * 1000))
        _write_routing(
            ffi.addressof(slot, "routing"),
            spec.id,
            spec.egress,
            labels,
            spec.egress_map,
            self.ports,
        )
        slot.state = lib.UNF_SLOT_CONFIGURED


def _ingress_targets(spec: UnfSpec) -> tuple[str, ...]:
    return (spec.ingress.ring,) if spec.ingress.ring else ()


#: Longest DPDK ring name (RTE_RING_NAMESIZE: a memzone name less "RG_").
_RING_NAME_MAX = 28


def _shortened(value: str, limit: int) -> bytes:
    """*value* as a C name shorter than *limit* bytes: itself when it fits, else
    its head and a hash of the whole (the compiler's names, e.g.
    ``to-<chain>.<vnf>.<node>``, are as long as the names users give)."""
    raw = value.encode()
    if len(raw) < limit:
        return raw
    digest = hashlib.sha1(raw).hexdigest()[:8].encode()
    return raw[: limit - 1 - len(digest) - 1] + b"~" + digest


def _ring_name(name: str) -> bytes:
    """The DPDK name of the ring called *name* in the graph."""
    return _shortened(name, _RING_NAME_MAX + 1)


def _name(value: str, what: str) -> bytes:
    raw = value.encode()
    if len(raw) >= lib.UNF_NAME_LEN:
        raise DataplaneError(f"{what} '{value}' longer than {lib.UNF_NAME_LEN - 1} bytes")
    return raw


def _param_blob(params: Any) -> bytes:
    out = bytearray()
    for name, values in params.items():
        out += name.encode() + b"\0"
        for v in values:
            out += str(v).encode() + b"\0"
        out += b"\0"
    return bytes(out + b"\0")


def _write_port(
    cport: Any,
    kind: PortKind,
    rings: Sequence[str],
    port: int | None,
    ports: dict[str, int],
    unf_id: str,
    balance: Balance = Balance.FLOW_HASH,
) -> None:
    cport.kind = int(kind)
    cport.lb_mode = (
        lib.UNF_LB_ROUND_ROBIN if balance == Balance.ROUND_ROBIN else lib.UNF_LB_FLOW_HASH
    )
    if kind == PortKind.ETHDEV:
        if port is None or port not in ports.values():
            raise DataplaneError(f"uNF {unf_id}: no ethdev port {port}")
        cport.ethdev = port
        return
    if len(rings) > lib.UNF_MAX_TARGETS:
        raise DataplaneError(f"uNF {unf_id}: more than {lib.UNF_MAX_TARGETS} rings in one port")
    cport.n_targets = len(rings)
    for i, r in enumerate(rings):
        cport.targets[i] = _ring_name(r)


def _write_routing(
    routing: Any,
    unf_id: str,
    egress: Sequence[Egress],
    labels: tuple[str, ...],
    egress_map: Any,
    ports: dict[str, int],
) -> None:
    if len(egress) > lib.UNF_MAX_EGRESS:
        raise DataplaneError(f"uNF {unf_id}: more than {lib.UNF_MAX_EGRESS} egress ports")
    ffi.memmove(routing, b"\0" * ffi.sizeof("struct unf_routing"), ffi.sizeof("struct unf_routing"))
    routing.n_egress = len(egress)
    for i, e in enumerate(egress):
        _write_port(routing.egress[i], e.kind, e.rings, e.port, ports, unf_id, e.balance)
    table = _label_table(unf_id, egress, labels, None)
    for i, v in enumerate(table):
        routing.label_egress[i] = v
    if len(egress_map) > lib.UNF_MAX_TAGS:
        raise DataplaneError(f"uNF {unf_id}: more than {lib.UNF_MAX_TAGS} egress-map entries")
    routing.n_tags = len(egress_map)
    for t, (tag, names) in enumerate(sorted(egress_map.items())):
        routing.tags[t] = tag
        for i, v in enumerate(_label_table(unf_id, egress, labels, set(names))):
            routing.tag_label_egress[t][i] = v


def _label_table(
    unf_id: str, egress: Sequence[Egress], labels: tuple[str, ...], allowed: set[str] | None
) -> list[int]:
    """Result label index -> egress index (UNF_NO_EGRESS: dropped)."""
    known = {e.name for e in egress}
    if allowed is not None and not allowed <= known:
        raise DataplaneError(
            f"uNF {unf_id}: egress map names unknown egress {sorted(allowed - known)[0]}"
        )
    for e in egress:
        for lab in e.labels:
            if lab not in labels:
                raise DataplaneError(
                    f"uNF {unf_id}: egress {e.name} routes label '{lab}', "
                    f"which the processor does not emit ({', '.join(labels)})"
                )
    usable = [(ei, e) for ei, e in enumerate(egress) if allowed is None or e.name in allowed]
    catch_all = next((ei for ei, e in usable if not e.labels), int(lib.UNF_NO_EGRESS))
    # Indices past the named labels (a processor whose labels depend on its
    # parameters, such as an Rx classifier) take the catch-all egress too.
    table = [catch_all] * int(lib.UNF_MAX_LABELS)
    for li, lab in enumerate(labels):
        table[li] = next((ei for ei, e in usable if lab in e.labels), catch_all)
    return table


def _str(p: Any) -> str:
    return "" if p == ffi.NULL else str(ffi.string(p).decode())


def _strings(arr: Any, n: int) -> tuple[str, ...]:
    return tuple(_str(arr[i]) for i in range(n))


def _info(d: Any) -> ProcessorInfo:
    return ProcessorInfo(
        unf_class=_str(d.unf_class),
        role=_str(d.role) or None,
        help=_str(d.help),
        stateful=bool(d.stateful),
        may_drop=bool(d.may_drop),
        can_scale=bool(d.can_scale),
        cost=int(d.cost),
        labels=_strings(d.labels, d.n_labels) if d.n_labels else (),
        counters=_strings(d.counter_names, d.n_counters) if d.n_counters else (),
        params=tuple(_str(d.params[i].name) for i in range(d.n_params)),
    )


def _processor(unf_class: str) -> ProcessorInfo | None:
    d = lib.unf_find_processor(unf_class.encode())
    return None if d == ffi.NULL else _info(d)


def _labels(info: ProcessorInfo) -> tuple[str, ...]:
    return info.labels or ("out",)


def list_processors() -> list[ProcessorInfo]:
    """Every processor class the data plane has (the registry, then test processors)."""
    return [_info(lib.unf_processor_at(i)) for i in range(lib.unf_processor_count())]


def find_processor(unf_class: str) -> ProcessorInfo | None:
    return _processor(unf_class)


def _ranges(cpus: Iterable[int]) -> str:
    return ",".join(map(str, cpus))


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "exited"
    return " / ".join(text[-lines:]) or "exited"
