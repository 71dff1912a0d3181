"""One DPDK primary for the whole test session, shared by every data-plane test.

DPDK's EAL can be initialised once per process, so every test in this process
that needs DPDK (the runtime's mechanisms, the processors' harness) uses the
session fixture ``runtime``; after each test that used it, every uNF it
started is stopped, its rings are freed, and the mbuf pool must be full again.
The hugepage files of the session's file prefix are removed at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from micronf.dataplane import Runtime

#: Test workers sleep when idle, so that idle pollers do not eat the two
#: shared cores of a CI machine.
IDLE_SLEEP_US = 200


@pytest.fixture(scope="session")
def session_runtime() -> Iterator[Runtime]:
    rt = Runtime(mbufs=8191)
    rt.start()
    yield rt
    prefix = rt.prefix
    rt.stop()
    assert not list(Path("/dev/hugepages").glob(f"{prefix}map_*")), "hugepage files left"


@pytest.fixture
def runtime(session_runtime: Runtime) -> Iterator[Runtime]:
    rt = session_runtime
    rings_before = set(rt.rings)
    yield rt
    for unf in list(rt.unfs.values()):
        if unf.process.poll() is None:
            rt.stop_unf(unf)
    rt.reap()
    rt.unfs.clear()
    for ring in rt.rings - rings_before:
        rt.free_ring(ring)
    pool = rt.mempool()
    assert pool.in_use == 0, f"{pool.in_use} mbufs not returned to the pool"
