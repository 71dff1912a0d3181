#!/usr/bin/env python3
"""Benchmark: micronf's validation path against ``yanglint`` on the same intent.

It generates a deterministic intent of N chains (RFC 7951 JSON), checks that
both tools accept it (and that both reject a deliberately broken copy), then
times, interleaved, R times each:

* ``micronf``: :func:`micronf.yang.validate_instance` in-process, on a warm
  shared libyang context (libyang parse, catalog merge, ``lyd_validate_all``,
  JSON print and ``json.loads``, graph checks);
* ``yanglint``: ``yanglint -t config -m`` on the same modules, the built-in
  catalog and the same intent file, as a subprocess (module loading included:
  that is what a user of yanglint pays);
* ``cli``: ``micronf validate intent.json`` as a subprocess (Python start-up
  and imports included).

The headline ratio is micronf (in-process) / yanglint. It also times
micronf's phases separately, the cold context build and, unless
``--no-sweep``, how the tools scale over several chain counts. Results go to
``<out>/validate.json`` and ``<out>/validate.png``. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from micronf.yang import (
    MODULES,
    ValidationFailed,
    Validator,
    default_validator,
    modules_dir,
    validate_instance,
)
from micronf.yang.context import builtin_catalog_path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results"
GOAL_RATIO = 1.5
NO_LIMIT = 1 << 40  # bytes: the benchmark intents may exceed the CLI's 4 MiB default

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


# ------------------------------------------------------------------------ the intent


def make_intent(n_chains: int, seed: int = 7) -> dict[str, Any]:
    """A deterministic, varied intent of *n_chains* valid chains."""
    rng = random.Random(seed)
    chains = []
    for i in range(n_chains):
        n_vnf = rng.randint(1, 4)
        vnfs: list[dict[str, Any]] = []
        for j in range(n_vnf):
            tpl = rng.choice(TEMPLATES)
            vnf: dict[str, Any] = {"name": f"{SHORT[tpl]}-{j}", "template": tpl}
            cfgs: list[dict[str, Any]] = []
            if tpl == "edge-firewall" and rng.random() < 0.7:
                params: list[dict[str, Any]] = [
                    {"name": "rule", "value": rng.sample(RULES, rng.randint(1, 4))}
                ]
                if rng.random() < 0.5:
                    params.append(
                        {"name": "default-action", "value": [rng.choice(("allow", "deny"))]}
                    )
                cfgs.append({"node": "filter", "parameter": params})
            elif tpl == "monitoring-function" and rng.random() < 0.3:
                urls = rng.sample(URLS, rng.randint(1, 3))
                cfgs.append({"node": "count", "parameter": [{"name": "url", "value": urls}]})
            elif tpl == "load-balancer" and rng.random() < 0.5:
                backends = [
                    f"02:00:00:00:{i % 256:02x}:{k:02x}" for k in range(1, rng.randint(2, 5))
                ]
                cfgs.append(
                    {"node": "balance", "parameter": [{"name": "backend", "value": backends}]}
                )
            if cfgs:
                vnf["node-config"] = cfgs
            vnfs.append(vnf)
        chain: dict[str, Any] = {"name": f"chain-{i:05d}", "vnf": vnfs}
        if rng.random() < 0.3:
            chain["description"] = f"generated chain {i} ({n_vnf} VNFs)"
        if n_vnf > 1:
            chain["link"] = [
                {"from": vnfs[k]["name"], "to": vnfs[k + 1]["name"]} for k in range(n_vnf - 1)
            ]
        ingress: dict[str, Any] = {"vnf": vnfs[0]["name"]}
        match: dict[str, Any] = {}
        if rng.random() < 0.8:
            net = f"10.{(i >> 8) & 255}.{i & 255}.0/24"
            match["ipv4"] = {"destination-ipv4-network": net}
        proto = rng.choice(("tcp", "udp", None))
        if proto:
            port = rng.choice((53, 80, 443, 8080))
            match[proto] = {"destination-port": {"operator": "eq", "port": port}}
        if match:
            ingress["match"] = match
        if rng.random() < 0.5:
            ingress["port"] = f"port{rng.randint(0, 3)}"
        chain["ingress"] = ingress
        if rng.random() < 0.5:
            chain["egress"] = {"port": f"port{rng.randint(0, 3)}"}
        if rng.random() < 0.5:
            chain["placement"] = {"expected-rate": f"{rng.randint(1, 400) / 10:.1f}"}
        chains.append(chain)
    # Chains name the ports of a registered agent (leafrefs into the registry).
    agents = {
        "agent": [
            {
                "name": "server-a",
                "numa-node": [{"id": 0, "core": [1, 2, 3]}],
                "port": [{"name": f"port{k}"} for k in range(4)],
            }
        ]
    }
    return {"micronf-sfc:agents": agents, "micronf-sfc:chains": {"chain": chains}}


def break_intent(intent: dict[str, Any]) -> dict[str, Any]:
    """A copy whose last chain names a template the catalog does not have."""
    bad = copy.deepcopy(intent)
    bad["micronf-sfc:chains"]["chain"][-1]["vnf"][0]["template"] = "no-such-template"
    return bad


def write_json(data: dict[str, Any], path: Path) -> bytes:
    raw = json.dumps(data, indent=1).encode()
    path.write_bytes(raw)
    return raw


# ------------------------------------------------------------------------- the tools


def yanglint_cmd(intent: Path) -> list[str]:
    mods = modules_dir()
    exe = shutil.which("yanglint")
    if exe is None:
        sys.exit("yanglint not found (apt-get install libyang2-tools)")
    return [
        exe,
        "-D",  # like micronf: no implicit search in the current directory
        "-t", "config",  # configuration datastore: no state data required
        "-m",  # merge the data files into one tree, validate at once
        "-p", str(mods),
        "-p", str(mods / "ietf"),
        *(str(mods / f"{m}.yang") for m in MODULES),
        str(builtin_catalog_path()),
        str(intent),
    ]  # fmt: skip


def yanglint_schema_cmd() -> list[str]:
    """yanglint loading the modules only (its fixed cost)."""
    return yanglint_cmd(Path("intent.json"))[:-2]  # without the catalog and the intent


def cli_cmd(intent: Path) -> list[str]:
    exe = Path(sys.executable).parent / "micronf"
    head = [str(exe)] if exe.exists() else [sys.executable, "-m", "micronf.cli"]
    return [*head, "validate", "--max-bytes", str(NO_LIMIT), str(intent)]


def run(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    return time.perf_counter() - t0, proc


def time_micronf(raw: bytes) -> float:
    t0 = time.perf_counter()
    validate_instance(raw, "json", max_bytes=NO_LIMIT)
    return time.perf_counter() - t0


def time_yanglint(intent: Path) -> float:
    t, proc = run(yanglint_cmd(intent))
    if proc.returncode != 0:
        sys.exit(f"yanglint rejected the intent:\n{proc.stderr.decode(errors='replace')}")
    return t


def time_cli(intent: Path) -> float:
    t, proc = run(cli_cmd(intent))
    if proc.returncode != 0:
        sys.exit(f"micronf validate rejected the intent:\n{proc.stderr.decode(errors='replace')}")
    return t


def check_both_accept_and_reject(intent: dict[str, Any], tmp: Path) -> None:
    """Sanity: both accept the intent and both reject a broken copy."""
    good = tmp / "intent.json"
    raw = write_json(intent, good)
    validate_instance(raw, "json", max_bytes=NO_LIMIT)
    time_yanglint(good)
    bad = tmp / "broken.json"
    raw_bad = write_json(break_intent(intent), bad)
    try:
        validate_instance(raw_bad, "json", max_bytes=NO_LIMIT)
    except ValidationFailed:
        pass
    else:
        sys.exit("micronf accepted the broken intent")
    _, proc = run(yanglint_cmd(bad))
    if proc.returncode == 0:
        sys.exit("yanglint accepted the broken intent: it does not really validate")


# ------------------------------------------------------------------------ the phases


def micronf_phases(raw: bytes) -> dict[str, float]:
    """validate_instance, phase by phase (the validator's named phases)."""
    validator = default_validator()
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    tree = validator.parse(raw, "json")
    out["parse"] = time.perf_counter() - t0
    validator.validate(tree, timings=out)
    return out


PHASE_GROUPS = {
    "libyang parse+merge+validate": ("parse", "catalog", "yang"),
    "graph checks": ("graph",),
}


def profile_micronf(raw: bytes, top: int = 15) -> str:
    prof = cProfile.Profile()
    prof.enable()
    validate_instance(raw, "json", max_bytes=NO_LIMIT)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# ---------------------------------------------------------------------- measurement


def stats(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples)}


def measure(n_chains: int, repeat: int, seed: int, tmp: Path, cli: bool = True) -> dict[str, Any]:
    intent = make_intent(n_chains, seed)
    path = tmp / f"intent-{n_chains}.json"
    raw = write_json(intent, path)
    samples: dict[str, list[float]] = {"micronf": [], "yanglint": []}
    if cli:
        samples["cli"] = []
    phases: dict[str, list[float]] = {}
    for r in range(repeat):
        # interleaved, and the order rotates so no tool always runs first
        jobs: list[tuple[str, Callable[[], float]]] = [
            ("micronf", lambda: time_micronf(raw)),
            ("yanglint", lambda: time_yanglint(path)),
        ]
        if cli:
            jobs.append(("cli", lambda: time_cli(path)))
        for name, job in jobs[r % len(jobs) :] + jobs[: r % len(jobs)]:
            samples[name].append(job())
        for k, v in micronf_phases(raw).items():
            phases.setdefault(k, []).append(v)
    return {
        "chains": n_chains,
        "intent_bytes": len(raw),
        "samples": samples,
        "phases": {k: statistics.median(v) for k, v in phases.items()},
    }


def parse_counts(text: str) -> list[int]:
    try:
        counts = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected counts like 10,100,1000, got {text!r}"
        ) from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("chain counts must be positive")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Time micronf's validation path against yanglint on the same intent.",
        epilog="See docs/benchmarks.md for what is compared and how to read the numbers.",
    )
    ap.add_argument("--chains", type=int, default=1000, help="chains in the intent (1000)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each measurement (5)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the generated intent (7)")
    ap.add_argument(
        "--sweep",
        type=parse_counts,
        default=None,
        metavar="N,N,...",
        help="chain counts of the scaling sweep (default 10,100,1000; 10,50 with --quick)",
    )
    ap.add_argument("--no-sweep", action="store_true", help="skip the scaling sweep")
    ap.add_argument("--quick", action="store_true", help="50 chains, repeat 1 (for tests)")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of micronf's path")
    ap.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (bench/results)")
    args = ap.parse_args(argv)
    if args.quick:
        args.chains, args.repeat = 50, 1
    if args.chains < 1 or args.repeat < 1:
        ap.error("--chains and --repeat must be positive")
    sweep: list[int] = []
    if not args.no_sweep:
        sweep = args.sweep or ([10, 50] if args.quick else [10, 100, 1000])

    started = time.perf_counter()
    # cold: a fresh context (what the first validation in a process pays) ...
    t0 = time.perf_counter()
    Validator()
    context_build_s = time.perf_counter() - t0
    # ... then warm the shared context with a tiny intent
    tiny = json.dumps(make_intent(1, args.seed)).encode()
    t0 = time.perf_counter()
    validate_instance(tiny, "json")
    first_call_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="micronf-bench-") as tmpdir:
        tmp = Path(tmpdir)
        check_both_accept_and_reject(make_intent(args.chains, args.seed), tmp)
        schema_only = []
        for _ in range(args.repeat):
            t, proc = run(yanglint_schema_cmd())
            if proc.returncode != 0:
                sys.exit(f"yanglint cannot load the modules:\n{proc.stderr.decode()}")
            schema_only.append(t)
        main_run = measure(args.chains, args.repeat, args.seed, tmp)
        sweep_runs = []
        for n in sweep:
            if n == args.chains:
                sweep_runs.append(main_run)
            else:
                sweep_runs.append(measure(n, min(args.repeat, 3), args.seed, tmp))
        profile_text = ""
        if args.profile:
            profile_text = profile_micronf((tmp / f"intent-{args.chains}.json").read_bytes())

    s = main_run["samples"]
    mic, yl, cli = stats(s["micronf"]), stats(s["yanglint"]), stats(s["cli"])
    phases = main_run["phases"]
    result: dict[str, Any] = {
        "micronf_s": mic["median"],
        "yanglint_s": yl["median"],
        "ratio": mic["median"] / yl["median"],
        "cli_s": cli["median"],
        "cli_ratio": cli["median"] / yl["median"],
        "micronf_min_s": mic["min"],
        "yanglint_min_s": yl["min"],
        "cli_min_s": cli["min"],
        "ratio_of_mins": mic["min"] / yl["min"],
        "goal_ratio": GOAL_RATIO,
        "chains": args.chains,
        "repeat": args.repeat,
        "seed": args.seed,
        "intent_bytes": main_run["intent_bytes"],
        "context_build_s": context_build_s,
        "first_call_s": first_call_s,
        "yanglint_schema_only_s": statistics.median(schema_only),
        "phases": phases,
        "phase_groups": {g: sum(phases[p] for p in ps) for g, ps in PHASE_GROUPS.items()},
        "samples": s,
        "sweep": [
            {
                "chains": r["chains"],
                "intent_bytes": r["intent_bytes"],
                **{f"{k}_s": statistics.median(v) for k, v in r["samples"].items()},
            }
            for r in sweep_runs
        ],
        "environment": environment(),
    }
    result["bench_wall_s"] = time.perf_counter() - started

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "validate.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_plot:
        plot(result, args.out / "validate.png")
    report(result, args.out)
    if profile_text:
        print(profile_text)
    return 0


def environment() -> dict[str, Any]:
    try:
        yl = subprocess.run(["yanglint", "-v"], capture_output=True, text=True, check=False)
        yl_version = yl.stdout.strip()
    except OSError:
        yl_version = "?"
    from importlib.metadata import version

    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "libyang_python": version("libyang"),
        "yanglint": yl_version,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


# --------------------------------------------------------------------------- output


def report(r: dict[str, Any], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    ms = 1000.0
    t = Table(title=f"Validating {r['chains']} chains ({r['intent_bytes'] / 1024:.0f} KiB JSON), "
              f"{r['repeat']} runs each, interleaved")  # fmt: skip
    t.add_column("tool")
    t.add_column("median ms", justify="right")
    t.add_column("min ms", justify="right")
    t.add_column("/ yanglint", justify="right")
    t.add_row("micronf (in-process, warm)", f"{r['micronf_s'] * ms:.1f}",
              f"{r['micronf_min_s'] * ms:.1f}", f"{r['ratio']:.2f}")  # fmt: skip
    t.add_row("yanglint (subprocess)", f"{r['yanglint_s'] * ms:.1f}",
              f"{r['yanglint_min_s'] * ms:.1f}", "1.00")  # fmt: skip
    t.add_row("micronf validate (CLI)", f"{r['cli_s'] * ms:.1f}",
              f"{r['cli_min_s'] * ms:.1f}", f"{r['cli_ratio']:.2f}")  # fmt: skip
    con.print(t)

    p = Table(title="micronf phases (median)")
    p.add_column("phase")
    p.add_column("ms", justify="right")
    p.add_column("share", justify="right")
    total = sum(r["phases"].values())
    for name, v in r["phases"].items():
        p.add_row(name, f"{v * ms:.1f}", f"{v / total:.0%}")
    for name, v in r["phase_groups"].items():
        p.add_row(f"[bold]{name}[/]", f"{v * ms:.1f}", f"{v / total:.0%}")
    con.print(p)

    con.print(
        f"context build (cold, once per process): {r['context_build_s'] * ms:.1f} ms; "
        f"first validation incl. build: {r['first_call_s'] * ms:.1f} ms; "
        f"yanglint loading the modules only: {r['yanglint_schema_only_s'] * ms:.1f} ms"
    )
    if r["sweep"]:
        w = Table(title="scaling (median ms)")
        w.add_column("chains", justify="right")
        w.add_column("micronf", justify="right")
        w.add_column("yanglint", justify="right")
        w.add_column("ratio", justify="right")
        w.add_column("cli", justify="right")
        for row in r["sweep"]:
            w.add_row(str(row["chains"]), f"{row['micronf_s'] * ms:.1f}",
                      f"{row['yanglint_s'] * ms:.1f}",
                      f"{row['micronf_s'] / row['yanglint_s']:.2f}",
                      f"{row['cli_s'] * ms:.1f}")  # fmt: skip
        con.print(w)
    verdict = "meets" if r["ratio"] <= GOAL_RATIO else "MISSES"
    con.print(f"ratio micronf/yanglint = {r['ratio']:.2f} ({verdict} the goal <= {GOAL_RATIO}); "
              f"ratio of the minima = {r['ratio_of_mins']:.2f}; "
              f"CLI ratio = {r['cli_ratio']:.2f}")  # fmt: skip
    con.print(f"results: {out / 'validate.json'}")


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ms = 1000.0
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    # left: the three tools; micronf's bar stacked by phase groups
    labels = ["micronf\n(in-process)", "yanglint\n(subprocess)", "micronf validate\n(CLI)"]
    bottom = 0.0
    scale = r["micronf_s"] / sum(r["phase_groups"].values())
    colours = ["#1f77b4", "#6baed6", "#c6dbef"][: len(r["phase_groups"])]
    for (name, v), c in zip(r["phase_groups"].items(), colours, strict=True):
        ax1.bar(0, v * scale * ms, bottom=bottom, color=c, label=f"micronf: {name}")
        bottom += v * scale * ms
    ax1.bar(1, r["yanglint_s"] * ms, color="#ff7f0e", label="yanglint")
    ax1.bar(2, r["cli_s"] * ms, color="#2ca02c", label="micronf CLI")
    mins = [r["micronf_min_s"], r["yanglint_min_s"], r["cli_min_s"]]
    ax1.scatter(
        range(3), [m * ms for m in mins], marker="_", s=400, color="k", label="min", zorder=3
    )
    ax1.set_xticks(range(3), labels)
    ax1.set_ylabel("time (ms, median)")
    ax1.set_title(f"{r['chains']} chains, ratio {r['ratio']:.2f} (goal <= {GOAL_RATIO})")
    ax1.legend(fontsize=8)
    # right: scaling
    if r["sweep"]:
        xs = [row["chains"] for row in r["sweep"]]
        for key, label, c in (
            ("micronf_s", "micronf (in-process)", "#1f77b4"),
            ("yanglint_s", "yanglint", "#ff7f0e"),
            ("cli_s", "micronf CLI", "#2ca02c"),
        ):
            ax2.plot(xs, [row[key] * ms for row in r["sweep"]], "o-", label=label, color=c)
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.legend(fontsize=8)
    else:
        ax2.text(0.5, 0.5, "no sweep (--no-sweep)", ha="center", va="center")
    ax2.set_xlabel("chains")
    ax2.set_ylabel("time (ms, median)")
    ax2.set_title("scaling")
    env = r["environment"]
    fig.suptitle(
        f"micronf vs yanglint {env['yanglint'].split()[-1]}, "
        f"{env['cpus']} CPUs, {env['date'][:10]}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
