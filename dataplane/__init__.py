"""micronf dataplane: the uNF runtime on DPDK multi-process, driven through cffi.

The C runtime (ports, worker loop, processors) is compiled into the cffi
module ``micronf.dataplane._unf``; only this package imports it. The typed
API is :class:`Runtime` (the DPDK primary) and the values of
:mod:`micronf.dataplane.spec`.
"""

from .runtime import (
    MAX_TARGETS,
    DataplaneError,
    Runtime,
    UnfFailed,
    UnfProcess,
    clean_stale_prefixes,
    find_processor,
    hugepages_free,
    list_processors,
)
from .spec import (
    Balance,
    Counters,
    Egress,
    Ingress,
    Mempool,
    PortKind,
    ProcessorInfo,
    Scheduling,
    Stage,
    UnfSpec,
)

__all__ = [
    "MAX_TARGETS",
    "Balance",
    "Counters",
    "DataplaneError",
    "Egress",
    "Ingress",
    "Mempool",
    "PortKind",
    "ProcessorInfo",
    "Runtime",
    "Scheduling",
    "Stage",
    "UnfFailed",
    "UnfProcess",
    "UnfSpec",
    "clean_stale_prefixes",
    "find_processor",
    "hugepages_free",
    "list_processors",
]
