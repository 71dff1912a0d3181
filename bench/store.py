#!/usr/bin/env python3
"""Benchmark: the intent store's commit path on SQLite and on PostgreSQL.

For each backend it creates a fresh store, commits an intent of N chains
(1,000 by default) as the first revision, then R revisions (200) that each
change one chain, through the path ``micronf apply change.json`` takes:
:meth:`IntentService.read` of a one-chain YANG JSON file,
:meth:`IntentService.plan` (merge over running, validate the full intent,
diff) and :meth:`IntentService.commit`. Interleaved with the commits it times
:meth:`Validator.validate` alone on the same full intent (the plan's tree),
which is the floor a commit cannot go below. It reports p50 / p99 of both,
their ratio, and the bytes each revision adds: the SQLite file's growth
(measured with the store closed, so WAL is checkpointed), PostgreSQL's
``pg_total_relation_size`` of the revisions table (table, TOAST and
indexes), and the compressed payload the store keeps per revision.

PostgreSQL runs in a throw-away cluster (``initdb`` + ``pg_ctl`` as the
``postgres`` user, as the tests do: ``tests/pgcluster.py``); without the
Debian package ``postgresql`` the backend is skipped with a note.

Only public APIs are used: :mod:`micronf.controller.store`,
:mod:`micronf.controller.intent`, :mod:`micronf.yang`. Results go to
``<out>/store.json`` and ``<out>/store.png``. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import io
import json
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from micronf.controller.intent import IntentService
from micronf.controller.store import Store
from micronf.yang import Validator

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results"
GOAL_COMMIT_OVER_VALIDATE = 1.3
GOAL_BYTES_PER_REVISION = 10 * 1024

TEMPLATES = ("edge-firewall", "monitoring-function", "application-firewall", "load-balancer")
SHORT = {
    "edge-firewall": "edge-fw",
    "monitoring-function": "monitor",
    "application-firewall": "app-fw",
    "load-balancer": "lb",
}
RULES = (
    "allow proto tcp dport 80",
    "allow proto tcp dport 443",
    "deny proto udp dport 53",
    "allow proto udp dport 5000-5100",
    "deny src 198.51.100.0/24",
    "allow src 10.0.0.0/8 proto tcp dport 22",
    "deny proto icmp",
    "allow dst 192.0.2.0/24 proto tcp sport 1024-65535",
)
URLS = ("^/login", "^/api/", "^/admin", "\\.php$", "^/static/")
SITES = ("fra1", "ams2", "par3", "lon1", "mad2", "mil1", "waw1", "sto2")
TENANTS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell")


# ------------------------------------------------------------------------ the intent


def make_chain(i: int, rng: random.Random, edit: int = 0) -> dict[str, Any]:
    """Chain *i*: its own name, description, prefix and port; 1 to 4 VNFs from the
    built-in templates with rule / URL / back-end overrides. *edit* > 0 is the
    edit-th change an operator made to it (a rule and the description change)."""
    n_vnf = rng.randint(1, 4)
    tpls = ["edge-firewall"] + [rng.choice(TEMPLATES[1:]) for _ in range(n_vnf - 1)]
    vnfs: list[dict[str, Any]] = []
    for j, tpl in enumerate(tpls):
        vnf: dict[str, Any] = {"name": f"{SHORT[tpl]}-{j}", "template": tpl}
        cfgs: list[dict[str, Any]] = []
        if tpl == "edge-firewall":
            rules = rng.sample(RULES, rng.randint(1, 4))
            if edit:
                rules.append(f"allow proto tcp dport {1 + (i * 7 + edit) % 65535}")
            params: list[dict[str, Any]] = [{"name": "rule", "value": rules}]
            if rng.random() < 0.5:
                params.append({"name": "default-action", "value": [rng.choice(("allow", "deny"))]})
            cfgs.append({"node": "filter", "parameter": params})
        elif tpl == "monitoring-function" and rng.random() < 0.4:
            urls = rng.sample(URLS, rng.randint(1, 3))
            cfgs.append({"node": "count", "parameter": [{"name": "url", "value": urls}]})
        elif tpl == "load-balancer":
            backends = [f"02:00:{i >> 8:02x}:{i & 255:02x}:00:{k:02x}" for k in range(1, 4)]
            cfgs.append({"node": "balance", "parameter": [{"name": "backend", "value": backends}]})
        if cfgs:
            vnf["node-config"] = cfgs
        vnfs.append(vnf)
    site, tenant = SITES[i % len(SITES)], TENANTS[(i // len(SITES)) % len(TENANTS)]
    digest = hashlib.sha256(f"{i}/{edit}".encode()).hexdigest()[:12]
    chain: dict[str, Any] = {
        "name": f"{tenant}-{site}-{i:05d}",
        "description": f"{tenant} traffic at {site}, chain {i}, change {edit} ({digest})",
        "vnf": vnfs,
    }
    if n_vnf > 1:
        chain["link"] = [
            {"from": vnfs[k]["name"], "to": vnfs[k + 1]["name"]} for k in range(n_vnf - 1)
        ]
    proto = "udp" if i % 5 == 0 else "tcp"
    chain["ingress"] = {
        "vnf": vnfs[0]["name"],
        "agent": f"{site}-a",
        "port": f"port{i % 4}",
        "match": {
            "ipv4": {"destination-ipv4-network": f"10.{(i >> 8) & 255}.{i & 255}.0/24"},
            proto: {"destination-port": {"operator": "eq", "port": 1024 + i % 60000}},
        },
    }
    chain["egress"] = {"agent": f"{site}-a", "port": f"port{(i + 1) % 4}"}
    chain["placement"] = {"expected-rate": f"{rng.randint(1, 400) / 10:.1f}"}
    return chain


def make_agents() -> dict[str, Any]:
    """One server per site, four ports each: the ports chains name (leafrefs)."""
    return {
        "agent": [
            {
                "name": f"{site}-a",
                "address": f"198.51.100.{k + 1}",
                "numa-node": [{"id": 0, "core": [1, 2, 3]}],
                "port": [
                    {
                        "name": f"port{p}",
                        "numa-node": 0,
                        "mac-address": f"02:00:00:00:{k:02x}:{p:02x}",
                    }
                    for p in range(4)
                ],
            }
            for k, site in enumerate(SITES)
        ]
    }


def make_chains(n: int, seed: int, edits: dict[int, int] | None = None) -> dict[str, Any]:
    """The intent of *n* chains (and the agents they use); *edits* maps a chain index
    to its edit count."""
    edits = edits or {}
    return {
        "micronf-sfc:agents": make_agents(),
        "micronf-sfc:chains": {
            "chain": [
                make_chain(i, random.Random(seed * 1_000_003 + i), edits.get(i, 0))
                for i in range(n)
            ]
        },
    }


def changed_chain(n: int, seed: int, revision: int) -> tuple[int, dict[str, Any]]:
    """The one chain revision *revision* changes (spread over the intent), edited."""
    i = (revision * 7919) % n
    return i, {
        "micronf-sfc:chains": {
            "chain": [make_chain(i, random.Random(seed * 1_000_003 + i), revision)]
        }
    }


# ------------------------------------------------------------------------- backends


@contextmanager
def sqlite_store(tmp: Path) -> Iterator[tuple[str, Any]]:
    path = tmp / "intent.db"

    def size() -> int:
        # measured with the store closed: the WAL is checkpointed into the file
        return sum(p.stat().st_size for p in tmp.glob("intent.db*"))

    yield str(path), size


@contextmanager
def postgresql_store() -> Iterator[tuple[str, Any]]:
    sys.path.insert(0, str(ROOT / "tests"))
    import psycopg
    from pgcluster import cluster  # the tests' throw-away cluster

    # the cluster's folder must be reachable by the postgres user; TMPDIR may be
    # a private folder (pytest's, a user's): fall back to /tmp then
    saved, tempfile.tempdir = tempfile.tempdir, _tmp_for_postgres()
    try:
        with cluster() as url:
            tempfile.tempdir = saved

            def size() -> int:
                with psycopg.connect(url, autocommit=True) as conn:
                    row = conn.execute("SELECT pg_total_relation_size('revisions')").fetchone()
                    return int(row[0]) if row else 0

            yield url, size
    finally:
        tempfile.tempdir = saved


def _tmp_for_postgres() -> str:
    tmp = Path(tempfile.gettempdir()).resolve()
    if all(p.stat().st_mode & 0o001 for p in (tmp, *tmp.parents)):
        return str(tmp)
    return "/tmp"


def postgresql_available() -> bool:
    sys.path.insert(0, str(ROOT / "tests"))
    from pgcluster import pg_bin

    return pg_bin() is not None


# ---------------------------------------------------------------------- measurement


def pct(samples: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of *samples*."""
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]


def run_backend(
    name: str, url: str, size: Any, chains: int, revisions: int, seed: int, tmp: Path
) -> dict[str, Any]:
    """One fresh store: the first revision, then *revisions* one-chain changes."""
    validator = Validator()
    full = tmp / f"{name}-intent.json"
    full.write_text(json.dumps(make_chains(chains, seed), indent=1))
    with Store.open(url) as store:
        svc = IntentService(store, validator)
        t0 = time.perf_counter()
        plan = svc.plan([svc.read(full, "json")], replace=True)
        first = svc.commit(plan, author="bench", channel="file", label="initial")
        first_s = time.perf_counter() - t0
    size_before = size()
    phases: dict[str, list[float]] = {"read": [], "plan": [], "commit": []}
    total: list[float] = []
    validate: list[float] = []
    change = tmp / f"{name}-change.json"
    with Store.open(url) as store:
        svc = IntentService(store, validator)
        for r in range(1, revisions + 1):
            _, data = changed_chain(chains, seed, r)
            change.write_text(json.dumps(data, indent=1))
            t0 = time.perf_counter()
            f = svc.read(change, "json")
            t1 = time.perf_counter()
            plan = svc.plan([f])
            t2 = time.perf_counter()
            rev = svc.commit(plan, author="bench", channel="file")
            t3 = time.perf_counter()
            if rev.summary != {"added": 0, "changed": 1, "removed": 0}:
                sys.exit(f"{name}: revision {rev.number} changed {rev.summary}, not one chain")
            phases["read"].append(t1 - t0)
            phases["plan"].append(t2 - t1)
            phases["commit"].append(t3 - t2)
            total.append(t3 - t0)
            # the floor: validating the same full intent, nothing else
            t0 = time.perf_counter()
            validator.validate(plan.tree)
            validate.append(time.perf_counter() - t0)
        history = store.history(limit=revisions)
        head = store.head_number()
    size_after = size()
    if head != first.number + revisions:
        sys.exit(f"{name}: head is {head}, expected {first.number + revisions}")
    payload = [h.stored_bytes for h in history]
    p50, val50 = statistics.median(total), statistics.median(validate)
    return {
        "backend": name,
        "first_commit_s": first_s,
        "first_revision_bytes": first.stored_bytes,
        "commit_p50_s": p50,
        "commit_p99_s": pct(total, 0.99),
        "commit_min_s": min(total),
        "validate_p50_s": val50,
        "validate_p99_s": pct(validate, 0.99),
        "validate_min_s": min(validate),
        "commit_over_validate": p50 / val50,
        "phases_p50_s": {k: statistics.median(v) for k, v in phases.items()},
        "bytes_per_revision": (size_after - size_before) / revisions,
        "size_before": size_before,
        "size_after": size_after,
        "payload_bytes_per_revision": statistics.mean(payload),
        "payload_bytes_p50": statistics.median(payload),
        "payload_bytes_max": max(payload),
        "samples": {"commit_s": total, "validate_s": validate},
    }


def profile_commits(url: str, chains: int, seed: int, tmp: Path, top: int = 25) -> str:
    """cProfile of 20 one-chain commits on top of a fresh store at *url*."""
    validator = Validator()
    full = tmp / "profile-intent.json"
    full.write_text(json.dumps(make_chains(chains, seed)))
    change = tmp / "profile-change.json"
    with Store.open(url) as store:
        svc = IntentService(store, validator)
        svc.commit(svc.plan([svc.read(full, "json")], replace=True), author="b", channel="file")
        prof = cProfile.Profile()
        for r in range(1, 21):
            change.write_text(json.dumps(changed_chain(chains, seed, r)[1]))
            prof.enable()
            svc.commit(svc.plan([svc.read(change, "json")]), author="b", channel="file")
            prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Time the intent store's commit path (micronf apply) on SQLite and PostgreSQL.",
        epilog="See docs/benchmarks.md for what is measured and how to read the numbers.",
    )
    ap.add_argument("--chains", type=int, default=1000, help="chains in the intent (1000)")
    ap.add_argument("--revisions", type=int, default=200, help="one-chain revisions (200)")
    ap.add_argument("--runs", type=int, default=1, help="fresh stores per backend (1)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the generated intent (7)")
    ap.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="which backends to run (both)",
    )
    ap.add_argument("--quick", action="store_true", help="50 chains, 10 revisions (for tests)")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of 20 commits")
    ap.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (bench/results)")
    args = ap.parse_args(argv)
    if args.quick:
        args.chains, args.revisions = 50, 10
    if min(args.chains, args.revisions, args.runs) < 1:
        ap.error("--chains, --revisions and --runs must be positive")

    started = time.perf_counter()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    notes: list[str] = []
    if "postgresql" in backends and not postgresql_available():
        backends.remove("postgresql")
        note = (
            "PostgreSQL skipped: it is not installed "
            "(Debian package postgresql; `make setup` installs it)"
        )
        notes.append(note)
        print(f"note: {note}", flush=True)
    results: dict[str, list[dict[str, Any]]] = {b: [] for b in backends}
    profile_text = ""
    with tempfile.TemporaryDirectory(prefix="micronf-bench-store-") as tmpdir:
        tmp = Path(tmpdir)
        for backend in backends:
            for run in range(args.runs):
                where = tmp / f"{backend}-{run}"
                where.mkdir()
                print(f"{backend} run {run + 1}/{args.runs}: {args.chains} chains, "
                      f"{args.revisions} revisions ...", flush=True)  # fmt: skip
                store_cm = sqlite_store(where) if backend == "sqlite" else postgresql_store()
                with store_cm as (url, size):
                    results[backend].append(
                        run_backend(
                            backend, url, size, args.chains, args.revisions, args.seed, where
                        )
                    )
        if args.profile:
            prof_dir = tmp / "profile"
            prof_dir.mkdir()
            profile_text = profile_commits(
                str(prof_dir / "intent.db"), args.chains, args.seed, prof_dir
            )

    result = summarise(results, args)
    result["notes"] = notes
    result["bench_wall_s"] = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "store.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_plot:
        plot(result, args.out / "store.png")
    report(result, args.out)
    if profile_text:
        print(profile_text)
    return 0


def summarise(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> dict[str, Any]:
    """Per backend: the run with the median commit p50, and every run's headline figures."""
    per_backend: dict[str, Any] = {}
    for backend, runs in results.items():
        ordered = sorted(runs, key=lambda r: r["commit_over_validate"])
        median_run = dict(ordered[len(ordered) // 2])
        median_run["runs"] = [
            {
                k: r[k]
                for k in (
                    "commit_p50_s",
                    "commit_p99_s",
                    "validate_p50_s",
                    "commit_over_validate",
                    "bytes_per_revision",
                    "payload_bytes_per_revision",
                )
            }
            for r in runs
        ]
        ratios = [r["commit_over_validate"] for r in runs]
        median_run["commit_over_validate_spread"] = [min(ratios), max(ratios)]
        per_backend[backend] = median_run
    out: dict[str, Any] = {
        "chains": args.chains,
        "revisions": args.revisions,
        "runs": args.runs,
        "seed": args.seed,
        "goals": {
            "commit_over_validate": GOAL_COMMIT_OVER_VALIDATE,
            "bytes_per_revision": GOAL_BYTES_PER_REVISION,
        },
        "backends": per_backend,
        "environment": environment(),
    }
    main_backend = per_backend.get("sqlite") or next(iter(per_backend.values()), None)
    if main_backend is not None:
        out["commit_over_validate"] = main_backend["commit_over_validate"]
        out["bytes_per_revision"] = main_backend["bytes_per_revision"]
    return out


def environment() -> dict[str, Any]:
    from importlib.metadata import version

    import sqlalchemy

    env: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "libyang_python": version("libyang"),
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": __import__("sqlite3").sqlite_version,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    if postgresql_available():
        from pgcluster import pg_bin

        bindir = pg_bin()
        env["postgresql"] = bindir.parent.name if bindir else None
    return env


# --------------------------------------------------------------------------- output


def report(r: dict[str, Any], out: Path) -> None:
    ms = 1000.0
    for backend, b in r["backends"].items():
        print()
        print(
            f"### {backend}: {r['chains']} chains, {r['revisions']} one-chain revisions"
            + (f" (median of {r['runs']} runs)" if r["runs"] > 1 else "")
        )
        print()
        print("| measure | value |")
        print("|---|---:|")
        print(f"| commit p50 (read + plan + commit) | {b['commit_p50_s'] * ms:.1f} ms |")
        print(f"| commit p99 | {b['commit_p99_s'] * ms:.1f} ms |")
        print(
            f"| validation alone p50 (`Validator.validate`) | {b['validate_p50_s'] * ms:.1f} ms |"
        )
        print(f"| validation alone p99 | {b['validate_p99_s'] * ms:.1f} ms |")
        lo, hi = b["commit_over_validate_spread"]
        spread = f" (runs: {lo:.2f}–{hi:.2f})" if r["runs"] > 1 else ""
        print(f"| **commit ÷ validation** (p50) | **{b['commit_over_validate']:.2f}**{spread} |")
        ph = b["phases_p50_s"]
        print(
            f"| of a commit, p50: read / plan / store commit | {ph['read'] * ms:.1f} / "
            f"{ph['plan'] * ms:.1f} / {ph['commit'] * ms:.1f} ms |"
        )
        growth = "file growth" if backend == "sqlite" else "pg_total_relation_size growth"
        print(f"| **bytes per revision** ({growth}) | **{b['bytes_per_revision']:,.0f}** |")
        print(
            f"| stored payload per revision (mean / max) | {b['payload_bytes_per_revision']:,.0f}"
            f" / {b['payload_bytes_max']:,} |"
        )
        print(f"| first revision (whole intent) payload | {b['first_revision_bytes']:,} |")
    print()
    for note in r.get("notes", []):
        print(f"note: {note}")
    if "commit_over_validate" in r:
        g = r["goals"]
        cov, bpr = r["commit_over_validate"], r["bytes_per_revision"]
        print(
            f"commit_over_validate = {cov:.2f} "
            f"({'meets' if cov <= g['commit_over_validate'] else 'MISSES'} the goal "
            f"<= {g['commit_over_validate']}); bytes_per_revision = {bpr:,.0f} "
            f"({'meets' if bpr <= g['bytes_per_revision'] else 'MISSES'} the goal "
            f"<= {g['bytes_per_revision']:,})"
        )
    print(f"results: {out / 'store.json'}")


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ms = 1000.0
    backends = list(r["backends"])
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.8))
    colours = {"sqlite": "#1f77b4", "postgresql": "#ff7f0e"}
    # left: commit p50 / p99 against validation alone
    width = 0.2
    for k, backend in enumerate(backends):
        b = r["backends"][backend]
        xs = [k - 1.5 * width, k - 0.5 * width, k + 0.5 * width, k + 1.5 * width]
        vals = [b["commit_p50_s"], b["commit_p99_s"], b["validate_p50_s"], b["validate_p99_s"]]
        ax1.bar(xs, [v * ms for v in vals], width,
                color=[colours[backend], colours[backend], "#999999", "#999999"],
                alpha=1.0)  # fmt: skip
        for x, label in zip(xs, ("commit\np50", "commit\np99", "validate\np50", "validate\np99"),
                            strict=True):  # fmt: skip
            ax1.text(x, 0, label, ha="center", va="bottom", fontsize=7, color="white")
        ax1.text(k, b["commit_p99_s"] * ms, f"{b['commit_over_validate']:.2f}×", ha="center",
                 va="bottom", fontsize=9)  # fmt: skip
    ax1.set_xticks(range(len(backends)), backends)
    ax1.set_ylabel("ms")
    ax1.set_title(
        f"commit vs validation, {r['chains']} chains (goal p50 ratio <= "
        f"{r['goals']['commit_over_validate']})",
        fontsize=9,
    )
    # middle: latency per revision
    for backend in backends:
        samples = r["backends"][backend]["samples"]
        ax2.plot([s * ms for s in samples["commit_s"]], label=f"{backend} commit",
                 color=colours[backend], lw=0.8)  # fmt: skip
        ax2.plot([s * ms for s in samples["validate_s"]], label=f"{backend} validate",
                 color=colours[backend], lw=0.8, ls=":")  # fmt: skip
    ax2.set_xlabel("revision")
    ax2.set_ylabel("ms")
    ax2.set_title("latency per revision", fontsize=9)
    ax2.legend(fontsize=7)
    # right: bytes per revision
    for k, backend in enumerate(backends):
        b = r["backends"][backend]
        ax3.bar([k - 0.2, k + 0.2], [b["bytes_per_revision"], b["payload_bytes_per_revision"]],
                0.4, color=[colours[backend], "#999999"])  # fmt: skip
    ax3.axhline(r["goals"]["bytes_per_revision"], color="red", ls="--", lw=0.8, label="goal")
    ax3.set_xticks(range(len(backends)), [f"{b}\n(growth | payload)" for b in backends])
    ax3.set_ylabel("bytes per revision")
    ax3.set_title("storage per one-chain revision", fontsize=9)
    ax3.legend(fontsize=7)
    env = r["environment"]
    fig.suptitle(f"micronf intent store, {env['cpus']} CPUs, {env['date'][:10]}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
