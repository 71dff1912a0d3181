"""The cffi builder (API mode) of ``micronf.dataplane._unf``.

It compiles every C file of the data plane into one extension module: the
runtime (``dataplane/src/*.c``) and the packet processors
(``dataplane/processors/*.c``), with the flags ``pkg-config`` gives for DPDK
and Hyperscan and ``-Wall -Wextra -Werror``.  The cdef is the concatenation of
every ``dataplane/include/*.cdef`` file in name order, so a part of the data
plane exposes functions to Python by adding its own ``.cdef`` beside its
header.  setup.py names this file in ``cffi_modules``; the normal install
(``make setup``, ``pip install``) builds it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
INCLUDE = HERE / "include"
PKG_MODULES = ("libdpdk", "libhs")


def _pkg_config(*args: str) -> list[str]:
    try:
        out = subprocess.run(
            ["pkg-config", *args, *PKG_MODULES], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(
            "pkg-config cannot find DPDK and Hyperscan "
            "(apt-get install libdpdk-dev libhyperscan-dev pkg-config): " + str(exc)
        ) from exc
    return shlex.split(out)


def _sources() -> list[str]:
    # setuptools wants paths relative to the project root (the build's cwd).
    files = sorted((HERE / "src").glob("*.c")) + sorted((HERE / "processors").glob("*.c"))
    return [os.path.relpath(f) for f in files]


def _cdef() -> str:
    return "\n".join(p.read_text() for p in sorted(INCLUDE.glob("*.cdef")))


def _headers() -> str:
    # Every public header, so that each .cdef finds its declarations.
    return "\n".join(f'#include "{p.name}"' for p in sorted(INCLUDE.glob("*.h")))


ffibuilder = FFI()
ffibuilder.cdef(_cdef())
ffibuilder.set_source(
    "micronf.dataplane._unf",
    "#include <rte_config.h>\n" + _headers(),
    sources=_sources(),
    include_dirs=[os.path.relpath(INCLUDE)],
    extra_compile_args=[
        *_pkg_config("--cflags"),
        "-O3",
        "-g",
        "-Wall",
        "-Wextra",
        "-Werror",
        # cffi's generated glue (not our code) trips these two; `make lint`
        # checks our C sources with them on.
        "-Wno-unused-parameter",
        "-Wno-missing-field-initializers",
    ],
    # rte_bus_vdev (hot-plugged virtual ports) is a driver, not in libdpdk.pc.
    extra_link_args=[*_pkg_config("--libs"), "-lrte_bus_vdev"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
