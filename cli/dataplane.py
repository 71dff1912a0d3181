"""``micronf dataplane run``: run one agent graph on packet traces, without a
controller.

The command validates the desired graph with libyang, checks it against this
machine (:func:`micronf.agent.deployer.plan`), starts a DPDK primary in this
process, replays each ``--rx`` pcap into its port through ``net_pcap``, writes
what leaves each ``--tx`` port, and ends with one row per uNF instance (in,
out, dropped, cycles per packet) and the mbuf pool's occupancy. When the
graph has uNFs with ``autoscale``, the run drives the agent's auto-scaling
loop (:mod:`micronf.agent.autoscale`) while it waits, prints each scale
event as it happens, and lists them in the report. Every
failure a user can cause is one line and exit status 1; the runtime's
hugepage files are removed whatever happens.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from micronf.yang import Problem, ValidationFailed
from micronf.yang.locate import line_of

from .intake import UsageError, load_file, preflight

if TYPE_CHECKING:  # the runtime (cffi module, DPDK libraries) loads only when a graph runs
    from micronf.agent.deployer import PortBinding

app = typer.Typer(
    help="Run uNF graphs on the DPDK data plane of this machine.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

_WIDTH = None if sys.stdout is not None and sys.stdout.isatty() else 200  # None: closed (>&-)
out = Console(highlight=False, soft_wrap=True, width=_WIDTH, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH, emoji=False)


def _fail(problem: Problem, source: str, text: bytes | None = None, fmt: str = "json") -> NoReturn:
    line = line_of(text, fmt, problem.path) if text is not None and problem.path else None
    err.print(f"[red]✗[/] {escape(problem.located(source, line).format())}")
    raise typer.Exit(1)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _bindings(rx: list[str], tx: list[str]) -> list[PortBinding]:
    from micronf.agent.deployer import PortBinding

    ports: dict[str, dict[str, Path]] = {}
    for opt, values in (("rx", rx), ("tx", tx)):
        for v in values:
            name, sep, path = v.partition("=")
            if not sep or not name or not path:
                raise UsageError(f"--{opt} takes PORT=FILE, not {v!r}")
            if opt in ports.setdefault(name, {}):
                raise UsageError(f"--{opt} {name} given twice")
            ports[name][opt] = Path(path)
    return [PortBinding(n, p.get("rx"), p.get("tx")) for n, p in sorted(ports.items())]


def _devices(bindings: list[PortBinding], port: list[str]) -> list[PortBinding]:
    """--port NAME=DRIVER[,ARGS]: a port on a live DPDK device (tunnels to another server)."""
    from micronf.agent.deployer import PortBinding

    by_name = {b.name: b for b in bindings}
    for v in port:
        name, sep, device = v.partition("=")
        driver = device.partition(",")[0]
        if not sep or not name or not driver.startswith("net_") or len(driver) <= 4:
            raise UsageError(
                f"--port takes PORT=DEVICE with a DPDK vdev such as "
                f"net_memif0,role=server,socket=/tmp/a.sock, not {v!r}"
            )
        if driver.startswith("net_af_packet"):
            # Its rings are mapped in the primary only: a uNF worker (a
            # secondary process) that polls it crashes.
            raise UsageError(
                f"--port {name}: net_af_packet devices work in one process only, and every "
                "uNF is its own DPDK process; use net_memif (or --rx/--tx pcap files)"
            )
        if name in by_name:
            raise UsageError(f"port {name} is bound twice (--port, --rx or --tx)")
        by_name[name] = PortBinding(name, vdev=device)
    if len({b.device for b in by_name.values()}) < len(by_name):
        raise UsageError("two --port options name the same DPDK device")
    return [b for _, b in sorted(by_name.items())]


@app.command()
def run(
    desired: Annotated[
        Path, typer.Argument(help="Desired graph in micronf-agent form (JSON or XML).")
    ],
    rx: Annotated[
        list[str] | None,
        typer.Option("--rx", metavar="PORT=IN.pcap", help="Replay a pcap into a port."),
    ] = None,
    tx: Annotated[
        list[str] | None,
        typer.Option("--tx", metavar="PORT=OUT.pcap", help="Write what leaves a port."),
    ] = None,
    port: Annotated[
        list[str] | None,
        typer.Option(
            "--port",
            metavar="PORT=DEVICE",
            help="Bind a port to a live DPDK device, e.g. net_memif0,role=server,socket=/tmp/a.sock"
            " (a tunnel to another server).",
        ),
    ] = None,
    idle_end: Annotated[
        float,
        typer.Option(
            "--idle-end",
            min=0.1,
            help="With --port devices: end the run once packets went through them and none "
            "has for this many seconds.",
        ),
    ] = 2.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Give up after this many seconds.")
    ] = 60.0,
    mbufs: Annotated[int, typer.Option("--mbufs", min=1023, help="Mbufs in the pool.")] = 8191,
    idle_sleep_us: Annotated[
        int,
        typer.Option(
            "--idle-sleep-us",
            min=0,
            max=10000,
            help="Idle uNFs sleep this long after 256 empty polls (0: poll, as in the paper).",
        ),
    ] = 50,
    scale_interval: Annotated[
        float,
        typer.Option(
            "--scale-interval",
            min=0.01,
            max=60,
            help="Seconds between two steps of the auto-scaling loop (uNFs with autoscale).",
        ),
    ] = 0.5,
    scale_after: Annotated[
        int,
        typer.Option(
            "--scale-after",
            min=1,
            max=100,
            help="Consecutive intervals with drops above drop-threshold before a scale-out.",
        ),
    ] = 2,
    autoscale: Annotated[
        bool,
        typer.Option(
            "--autoscale/--no-autoscale",
            help="Scale uNFs whose graph entry has autoscale (else: min-instances each).",
        ),
    ] = True,
) -> None:
    """Run DESIRED on traces: --rx replays pcaps into ports, --tx records ports.

    uNFs with autoscale are scaled out when the ring feeding them keeps
    dropping, and back in when idle, with the graph's cool-down; each event is
    printed and listed in the report.

    Exit status: 0 when every packet went through, 1 on a bad graph or a failed
    run, 2 on a usage error.
    """
    from micronf.agent.autoscale import Autoscaler, ScaleEvent
    from micronf.agent.deployer import DeployError, Deployment, plan
    from micronf.agent.tunnels import wait_quiet
    from micronf.dataplane import DataplaneError, Runtime
    from micronf.dataplane.pcap import count_packets

    source = str(desired)
    try:
        fmt = preflight(desired)
        bindings = _devices(_bindings(rx or [], tx or []), port or [])
    except UsageError as exc:
        sys.stderr.write(f"error: {' '.join(str(exc).split())}\n")
        raise typer.Exit(2) from None
    try:
        validated = load_file(desired, fmt)
    except ValidationFailed as failed:
        _fail(failed.problems[0], source)
    totals: dict[str, int] = {}
    for b in bindings:
        if b.rx_pcap is not None:
            try:
                totals[b.name] = count_packets(b.rx_pcap)
            except DataplaneError as exc:
                _fail(Problem(str(exc), app_tag="micronf-bad-trace"), f"--rx {b.name}")
        if b.tx_pcap is not None and not b.tx_pcap.parent.is_dir():
            _fail(
                Problem(f"{b.tx_pcap}: no such directory", app_tag="micronf-bad-trace"),
                f"--tx {b.name}",
            )
    try:
        the_plan = plan(
            validated.data, bindings, idle_sleep_us=idle_sleep_us, deadline_s=timeout + 30
        )
    except DeployError as exc:
        _fail(exc.problem, source, desired.read_bytes(), fmt)

    runtime = Runtime(mbufs=mbufs)
    deployment = Deployment(runtime, the_plan)

    def shown(event: ScaleEvent) -> None:
        err.print(escape(event.describe()))

    scaler = Autoscaler(deployment, interval=scale_interval, sustain=scale_after, on_event=shown)
    tick = scaler.poll if autoscale and scaler.active else None
    complete = False
    failure: str | None = None
    # SIGTERM unwinds like Ctrl-C, so that the finally below frees DPDK.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        runtime.start()
        deployment.start(release=False)
        if tick is not None:
            tick()  # the counters' baseline, before the first packet moves
        deployment.release()
        live = [f"{b.name} ({b.device})" for b in bindings if b.vdev]
        if live:  # the other server may send now (a test waits for this line)
            err.print(f"running: live port{'s' if len(live) > 1 else ''} {', '.join(live)}")
        if as_json or not err.is_terminal:
            complete = deployment.run_trace(totals, timeout=timeout, tick=tick)
        else:
            with Progress(
                TextColumn("replaying"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("packets"),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task("rx", total=sum(totals.values()))
                complete = deployment.run_trace(
                    totals,
                    timeout=timeout,
                    progress=lambda got, want: bar.update(task, completed=got),
                    tick=tick,
                )
        if complete and any(b.vdev for b in bindings):
            complete = wait_quiet(deployment, quiet=idle_end, timeout=timeout)
        dead = deployment.failed()
        if dead:
            f = dead[0]
            failure = (
                f"uNF {f.unf}[{f.index}] failed (exit status {f.process.process.returncode}); "
                f"{f.process.reclaimed} mbufs reclaimed, {f.process.lost} lost"
            )
        elif not complete:
            failure = f"the run did not complete within {timeout:g} s"
        deployment.stop()
        rows = deployment.rows()  # after the stop: final counters and exit status
        pool = runtime.mempool()
    except DataplaneError as exc:
        runtime.stop()
        _fail(Problem(str(exc), app_tag="micronf-dataplane"), source)
    except KeyboardInterrupt:
        runtime.stop()
        err.print("interrupted")
        raise typer.Exit(130) from None
    finally:
        runtime.stop()

    report: dict[str, Any] = {
        "desired": source,
        "generation": the_plan.generation,
        "complete": failure is None,
        "ports": {
            b.name: {
                **({"rx-pcap": str(b.rx_pcap), "packets": totals[b.name]} if b.rx_pcap else {}),
                **({"tx-pcap": str(b.tx_pcap)} if b.tx_pcap else {}),
                **({"device": b.vdev} if b.vdev else {}),
            }
            for b in bindings
        },
        "unfs": rows,
        "mempool": {"size": pool.size, "in-use": pool.in_use},
        "scale-events": [e.as_dict() for e in scaler.events],
    }
    if failure:
        report["error"] = failure
    if as_json:
        out.print_json(json.dumps(report))
    else:
        _print_table(report)
    if failure:
        _fail(Problem(failure, app_tag="micronf-run-failed"), source)


def _print_table(report: dict[str, Any]) -> None:
    table = Table(title=f"{report['desired']} (generation {report['generation']})")
    for col, just in (
        ("uNF", "left"),
        ("class", "left"),
        ("core", "right"),
        ("in", "right"),
        ("out", "right"),
        ("dropped", "right"),
        ("cycles/pkt", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in report["unfs"]:
        table.add_row(
            f"{r['unf']}[{r['instance']}]" + (" (scaled in)" if r.get("scaled-in") else ""),
            r["class"],
            str(r["core"]),
            str(r["in"]),
            str(r["out"]),
            str(r["dropped"]),
            f"{r['cycles-per-packet']:.0f}",
        )
    out.print(table)
    for e in report["scale-events"]:
        turn = f"{e['from']} → {e['to']} instances"
        out.print(f"scaled {e['direction']} {e['unf']} at {e['time']}: {turn} ({e['reason']})")
    pool = report["mempool"]
    out.print(f"mempool: {pool['in-use']} of {pool['size']} mbufs in use after the run")
    for name, p in report["ports"].items():
        if "tx-pcap" in p:
            out.print(f"{name}: written to {p['tx-pcap']}")
