"""Whole-process wall time of ``micronf validate`` on one chain, against its floor.

A CI pipeline that validates many files pays micronf's start-up once per
file. This benchmark runs, alternating and on the same data
(``examples/paper-sfc.json``):

* ``micronf validate FILE`` (the console script of this venv);
* the floor: ``python -c 'import libyang'`` in the same venv (an interpreter
  that can do nothing but load the library micronf needs);
* ``yanglint`` on the same modules, built-in catalog and data (C, for scale).

It prints a markdown table (median, min, spread of the repeated runs) and
writes ``bench/results/cli_startup.json`` (key ``over_floor``: median micronf
÷ median floor; goal <= 2) and a PNG plot.

    .venv/bin/python bench/cli_startup.py [--runs 30] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from micronf.yang import MODULES, modules_dir
from micronf.yang.context import builtin_catalog_path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "paper-sfc.json"
GOAL = 2.0


def commands() -> dict[str, list[str]]:
    venv_bin = Path(sys.executable).parent
    cmds = {
        "micronf validate": [str(venv_bin / "micronf"), "validate", str(DATA)],
        "floor: python -c 'import libyang'": [sys.executable, "-c", "import libyang"],
    }
    yanglint = shutil.which("yanglint")
    if yanglint:
        mods = modules_dir()
        cmds["yanglint"] = [
            yanglint, "-D", "-t", "config", "-m", "-p", str(mods), "-p", str(mods / "ietf"),
            *(str(mods / f"{m}.yang") for m in MODULES),
            str(builtin_catalog_path()), str(DATA),
        ]  # fmt: skip
    return cmds


def measure(runs: int) -> dict[str, list[float]]:
    cmds = commands()
    samples: dict[str, list[float]] = {name: [] for name in cmds}
    for name, cmd in cmds.items():  # warm the page cache; each must succeed
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            sys.exit(f"{name} failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    for _ in range(runs):
        for name, cmd in cmds.items():  # alternate: the machine's noise hits all alike
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            samples[name].append(time.perf_counter() - t0)
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="runs of each command (default 30)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be positive")
    samples = measure(args.runs)
    med = {name: statistics.median(v) for name, v in samples.items()}
    floor = med["floor: python -c 'import libyang'"]
    over = med["micronf validate"] / floor
    print(f"\n### CLI start-up, {args.runs} alternating runs each ({DATA.name})\n")
    print("| command | median ms | min ms | p90 ms | × floor |")
    print("|---|---:|---:|---:|---:|")
    for name, v in samples.items():
        p90 = statistics.quantiles(v, n=10)[-1] if len(v) >= 2 else v[0]
        print(
            f"| {name} | {med[name] * 1e3:.1f} | {min(v) * 1e3:.1f} | {p90 * 1e3:.1f} "
            f"| {med[name] / floor:.2f} |"
        )
    print(f"\nover_floor = {over:.2f} (goal <= {GOAL})")
    args.out.mkdir(parents=True, exist_ok=True)
    result = {
        "over_floor": round(over, 3),
        "goal_over_floor": GOAL,
        "runs": args.runs,
        "median_ms": {k: round(v * 1e3, 2) for k, v in med.items()},
        "min_ms": {k: round(min(v) * 1e3, 2) for k, v in samples.items()},
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
    }
    (args.out / "cli_startup.json").write_text(json.dumps(result, indent=2) + "\n")
    _plot(samples, args.out / "cli_startup.png")
    print(f"wrote {args.out / 'cli_startup.json'} and cli_startup.png")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def _plot(samples: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(samples)
    ax.boxplot([[s * 1e3 for s in samples[n]] for n in names], showfliers=False)
    ax.set_xticks(range(1, len(names) + 1), [n.replace(": ", ":\n") for n in names], fontsize=8)
    ax.set_ylabel("wall time per process (ms)")
    ax.set_title("micronf validate start-up vs its floor")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
