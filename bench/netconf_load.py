#!/usr/bin/env python3
"""Benchmark: many NETCONF sessions on one controller (edit, validate, commit, get).

It starts ``micronf controller`` (a subprocess, SQLite store in a temporary
folder, loopback only), adds a user, and opens N sessions over SSH
(asyncssh, raw RFC 6242 framing, so that the client costs little). Each
session loops for S seconds over its own chain: ``edit-config`` of the
candidate, ``validate``, ``commit``, ``get-config`` with a subtree filter,
and now and then a ``lock``/``unlock`` of the candidate, which makes the
others' writes meet proper ``in-use`` / ``lock-denied`` refusals. Any other
``rpc-error`` or a lost session is an error.

Afterwards it checks that running (read over NETCONF) equals the head
revision of the store, and that replaying the stored revisions (each
validated again) ends at the same configuration. It prints a markdown
table (per operation: count, p50, p99, and p50 as a ratio to get-config's),
writes ``<out>/netconf_load.json`` (``rpcs_per_s``, ``errors``,
``sessions``, ``p99_ms``, ...) and ``<out>/netconf_load.png``. Traffic
goes to 127.0.0.1 only and every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import asyncssh
from lxml import etree

from micronf.netconf.framing import EOM, Deframer, Framing, frame
from micronf.yang import Validator

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results"
NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
SFC = "urn:micronf:yang:micronf-sfc"
PASSWORD = "bench-password"
PROPER = {"in-use", "lock-denied"}
CHAIN = (ROOT / "examples" / "paper-sfc.xml").read_text().split("-->", 1)[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """One raw NETCONF 1.1 session."""

    def __init__(self, conn: Any, proc: Any) -> None:
        self.conn, self.proc = conn, proc
        self.deframer = Deframer(64 << 20)
        self.msg_id = 0

    @classmethod
    async def open(cls, port: int, user: str) -> Client:
        conn = await asyncssh.connect(
            "127.0.0.1",
            port,
            username=user,
            password=PASSWORD,
            known_hosts=None,
            client_keys=None,
            agent_path=None,
        )
        proc = await conn.create_process(subsystem="netconf", encoding=None)
        client = cls(conn, proc)
        await client.read()  # server hello
        caps = "".join(
            f"<capability>urn:ietf:params:netconf:base:{v}</capability>" for v in ("1.0", "1.1")
        )
        proc.stdin.write(
            f'<hello xmlns="{NS}"><capabilities>{caps}</capabilities></hello>'.encode() + EOM
        )
        client.deframer.switch(Framing.chunked)
        return client

    async def read(self) -> bytes:
        while True:
            msg = self.deframer.next_message()
            if msg is not None:
                return msg
            data = await self.proc.stdout.read(65536)
            if not data:
                raise ConnectionError("the server closed the session")
            self.deframer.feed(data)

    async def rpc(self, body: str) -> list[str]:
        """The error-tags of the reply (empty: success)."""
        self.msg_id += 1
        self.proc.stdin.write(
            frame(
                f'<rpc xmlns="{NS}" message-id="{self.msg_id}">{body}</rpc>'.encode(),
                Framing.chunked,
            )
        )
        reply = await self.read()
        return [t.decode() for t in re.findall(rb"<error-tag>([^<]+)</error-tag>", reply)]

    async def get_config_raw(self) -> bytes:
        self.msg_id += 1
        self.proc.stdin.write(
            frame(
                f'<rpc xmlns="{NS}" message-id="{self.msg_id}"><get-config><source><running/>'
                "</source></get-config></rpc>".encode(),
                Framing.chunked,
            )
        )
        return await self.read()

    async def close(self) -> None:
        with contextlib.suppress(ConnectionError, asyncssh.Error):
            await self.rpc("<close-session/>")
        self.conn.close()


def chain_edit(name: str, n: int) -> str:
    body = CHAIN.replace("<name>paper-sfc</name>", f"<name>{name}</name>", 1)
    body = re.sub(r"<description>.*?</description>", f"<description>edit {n}</description>", body)
    return f"<edit-config><target><candidate/></target><config>{body}</config></edit-config>"


async def session_loop(
    port: int, index: int, deadline: float, stats: dict[str, list[float]], counts: dict[str, int]
) -> None:
    client = await Client.open(port, "bench")
    rng = random.Random(index)
    name = f"chain-{index:02d}"
    n = 0
    try:
        while time.monotonic() < deadline:
            n += 1
            plan = [
                ("edit-config", chain_edit(name, n)),
                ("validate", "<validate><source><candidate/></source></validate>"),
                ("commit", "<commit/>"),
                (
                    "get-config",
                    f"<get-config><source><running/></source><filter>"
                    f'<chains xmlns="{SFC}"><chain><name>{name}</name></chain>'
                    "</chains></filter></get-config>",
                ),
            ]
            locked = rng.random() < 0.1
            if locked:
                plan = [
                    ("lock", "<lock><target><candidate/></target></lock>"),
                    *plan,
                    ("unlock", "<unlock><target><candidate/></target></unlock>"),
                ]
            for op, body in plan:
                if time.monotonic() >= deadline:
                    break
                t0 = time.perf_counter()
                tags = await client.rpc(body)
                stats[op].append((time.perf_counter() - t0) * 1000)
                counts["rpcs"] += 1
                for tag in tags:
                    counts["proper" if tag in PROPER else "errors"] += 1
                    if tag not in PROPER:
                        counts[f"error:{op}:{tag}"] += 1
                if op == "lock" and tags:
                    break  # someone else holds it: skip this round's writes
    except (ConnectionError, asyncssh.Error):
        counts["errors"] += 1
        counts["lost-sessions"] += 1
    finally:
        await client.close()


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace, port: int) -> dict[str, Any]:
    stats: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    # Seed running with every session's chain, so that the sessions edit, not create.
    seed = await Client.open(port, "bench")
    for i in range(args.sessions):
        tags = await seed.rpc(chain_edit(f"chain-{i:02d}", 0))
        assert not tags, tags
    assert not await seed.rpc("<commit/>")
    start = time.monotonic()
    deadline = start + args.seconds
    await asyncio.gather(
        *(session_loop(port, i, deadline, stats, counts) for i in range(args.sessions))
    )
    elapsed = time.monotonic() - start
    running = await seed.get_config_raw()
    await seed.close()
    all_ms = [v for vs in stats.values() for v in vs]
    return {
        "stats": stats,
        "counts": dict(counts),
        "elapsed": elapsed,
        "running": running,
        "p99_ms": round(pct(all_ms, 0.99), 2),
        "p50_ms": round(pct(all_ms, 0.50), 2),
    }


def check_store(db: Path, running_reply: bytes) -> tuple[int, bool]:
    """Revisions stored, and whether running == head == the replay of all revisions."""
    from micronf.controller.store import Store  # public API of the store

    store = Store.open(str(db))
    validator = Validator()
    numbers = sorted(info.number for info in store.history())
    replayed = validator.empty()
    for number in numbers:  # each revision rebuilt from its deltas, valid on its own
        replayed = validator.parse(store.revision(number).config, "json")
        if not replayed.empty:
            validator.validate(replayed)
    head = validator.parse(store.head().config, "json")
    data = etree.fromstring(running_reply).find(f"{{{NS}}}data")
    body = b"".join(etree.tostring(c) for c in data)
    running = validator.parse(body, "xml")
    close = getattr(store, "close", None)
    if close:
        close()
    return len(numbers), not head.diff(running) and not replayed.diff(running)


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ops = list(result["operations"])
    p50 = [result["operations"][o]["p50_ms"] for o in ops]
    p99 = [result["operations"][o]["p99_ms"] for o in ops]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    xs = range(len(ops))
    ax.bar([x - 0.2 for x in xs], p50, 0.4, label="p50")
    ax.bar([x + 0.2 for x in xs], p99, 0.4, label="p99")
    ax.set_xticks(list(xs), ops)
    ax.set_ylabel("latency (ms)")
    ax.set_title(
        f"{result['sessions']} NETCONF sessions, {result['seconds']} s: "
        f"{result['rpcs_per_s']} RPC/s, {result['errors']} errors"
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    micronf = Path(sys.executable).parent / "micronf"
    with tempfile.TemporaryDirectory() as tmp:
        state, db = Path(tmp) / "state", Path(tmp) / "micronf.db"
        subprocess.run(
            [
                str(micronf),
                "user",
                "add",
                "bench",
                "--password-stdin",
                "--recovery",
                "--state-dir",
                str(state),
            ],
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        port = free_port()
        log = open(Path(tmp) / "controller.log", "w")  # noqa: SIM115 (closed below)
        daemon = subprocess.Popen(
            [
                str(micronf),
                "controller",
                "--db",
                str(db),
                "--listen",
                f"127.0.0.1:{port}",
                "--state-dir",
                str(state),
                "--max-sessions",
                str(args.sessions + 8),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while "NETCONF on" not in (Path(tmp) / "controller.log").read_text():
                if daemon.poll() is not None or time.monotonic() > deadline:
                    print((Path(tmp) / "controller.log").read_text(), file=sys.stderr)
                    return 1
                time.sleep(0.1)
            raw = asyncio.run(run(args, port))
        finally:
            daemon.terminate()
            daemon.wait(30)
            log.close()
        revisions, consistent = check_store(db, raw["running"])
    counts = raw["counts"]
    ops = {
        op: {
            "count": len(v),
            "p50_ms": round(pct(v, 0.5), 2),
            "p99_ms": round(pct(v, 0.99), 2),
        }
        for op, v in sorted(raw["stats"].items())
    }
    base = ops.get("get-config", {}).get("p50_ms") or 1.0
    for entry in ops.values():
        entry["p50_vs_get_config"] = round(entry["p50_ms"] / base, 2)
    result = {
        "benchmark": "netconf_load",
        "sessions": args.sessions,
        "seconds": args.seconds,
        "rpcs": counts.get("rpcs", 0),
        "rpcs_per_s": round(counts.get("rpcs", 0) / raw["elapsed"], 1),
        "errors": counts.get("errors", 0),
        "proper_refusals": counts.get("proper", 0),
        "p50_ms": raw["p50_ms"],
        "p99_ms": raw["p99_ms"],
        "revisions": revisions,
        "running_equals_replay": consistent,
        "error_detail": {k: v for k, v in counts.items() if k.startswith("error:")},
        "operations": ops,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "netconf_load.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, args.out / "netconf_load.png")
    print(f"## NETCONF load: {args.sessions} sessions, {args.seconds:g} s\n")
    print("| operation | count | p50 ms | p99 ms | p50 / get-config p50 |")
    print("|---|---:|---:|---:|---:|")
    for op, e in ops.items():
        print(f"| {op} | {e['count']} | {e['p50_ms']} | {e['p99_ms']} | {e['p50_vs_get_config']} |")
    print(
        f"\n{result['rpcs_per_s']} RPC/s, p99 {result['p99_ms']} ms, errors {result['errors']}, "
        f"proper in-use/lock-denied {result['proper_refusals']}, {revisions} revisions, "
        f"running == replay of the store: {consistent}"
    )
    return 0 if result["errors"] == 0 and consistent else 1


if __name__ == "__main__":
    sys.exit(main())
