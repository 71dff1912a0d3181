"""Every C packet processor against its Python reference model (micronf.models.reference).

Each configuration runs on generated traffic and on every malformed frame,
as whole mbufs and as chains of tiny segments, with and without prefetch;
result labels, output bytes and named counters must equal the model's, and
the harness's mbuf pool must be full again afterwards. The catalog's
built-in descriptors must be what the C registry says.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from micronf.dataplane import Runtime
from micronf.dataplane import catalog as dp_catalog
from micronf.dataplane.harness import Harness, HarnessError, instance_names, pool_in_use
from micronf.models.reference import ParameterError, classes, make

from .traces import malformed, traffic

ROOT = Path(__file__).resolve().parents[2]

BACKENDS = ["02:00:00:00:0b:01", "02:00:00:00:0b:02", "02:00:00:00:0b:03"]

#: (id, class, parameters): every processor, with its defaults and the interesting options.
CONFIGS: list[tuple[str, str, dict[str, list[str]]]] = [
    ("macswap", "MacSwapper", {}),
    ("ttl", "IPTtlDecrementer", {}),
    ("check", "CheckIPHeader", {}),
    (
        "filter-example",
        "L3L4Filter",
        {
            "rule": ["deny proto udp dport 53", "allow proto tcp dport 80"],
            "default-action": ["deny"],
        },
    ),
    (
        "filter-prefixes",
        "L3L4Filter",
        {
            "rule": [
                "deny src 10.1.0.0/16 proto tcp dport 22",
                "allow dst 10.0.0.0/8 sport 1024-65535",
                "deny proto icmp",
                "allow proto 17 dport 53-53",
                "deny src 192.168.1.7",
                "allow",
            ]
        },
    ),
    ("filter-default", "L3L4Filter", {}),
    ("http", "HttpClassifier", {}),
    ("http-ports", "HttpClassifier", {"ports": ["80", "8000-8080"]}),
    ("validate", "ValidateUrl", {}),
    ("validate-label", "ValidateUrl", {"on-attack": ["label"], "pattern": ["(?i)select", "%27"]}),
    ("count", "CountUrl", {"url": ["^/login", "^/api/", "(?i)select"]}),
    ("size", "PacketSizeCounter", {}),
    ("size-bins", "PacketSizeCounter", {"bins": ["100", "1000"]}),
    ("balance", "FlowLoadBalancer", {"backend": BACKENDS}),
    ("busy", "Busy", {"cycles": ["10"]}),
    ("rx", "RxService", {}),
    (
        "rx-classify",
        "RxService",
        {
            "classifier": [
                "7 vlan 100",
                "8 vni 5000 proto tcp",
                "9 proto tcp dport 80",
                "10 src 10.0.0.0/8",
                "11 proto udp",
            ]
        },
    ),
    ("rx-no-decap", "RxService", {"decapsulate": ["false"], "classifier": ["3 dport 80", "4"]}),
    ("tx", "TxService", {}),
    ("tx-macs", "TxService", {"src-mac": ["02:aa:00:00:00:01"], "dst-mac": ["02:bb:00:00:00:02"]}),
    (
        "tx-vlan",
        "TxService",
        {"encapsulation": ["vlan"], "tunnel-tag": ["100"], "dst-mac": ["02:bb:00:00:00:02"]},
    ),
    (
        "tx-vxlan",
        "TxService",
        {
            "encapsulation": ["vxlan"],
            "tunnel-tag": ["5000"],
            "local-address": ["192.0.2.1"],
            "remote-address": ["192.0.2.2/32"],
            "src-mac": ["02:aa:00:00:00:01"],
        },
    ),
]

#: Parameters both sides must refuse.
BAD_PARAMS: list[tuple[str, dict[str, list[str]]]] = [
    ("L3L4Filter", {"rule": ["permit proto tcp"]}),
    ("L3L4Filter", {"rule": ["allow proto tcp dport 99999"]}),
    ("L3L4Filter", {"rule": ["allow src 10.0.0.0/33"]}),
    ("L3L4Filter", {"rule": ["allow dport 80 dport 81"]}),
    ("L3L4Filter", {"rule": ["allow sport"]}),
    ("L3L4Filter", {"rule": ["allow dport 90-80"]}),
    ("L3L4Filter", {"default-action": ["maybe"]}),
    ("HttpClassifier", {"ports": ["http"]}),
    ("ValidateUrl", {"pattern": ["(unclosed"]}),
    ("ValidateUrl", {"pattern": ["a*"]}),
    ("ValidateUrl", {"pattern": [f"^/{i}" for i in range(17)]}),
    ("CountUrl", {}),
    ("CountUrl", {"url": []}),
    ("CountUrl", {"url": ["^/a", "^/a"]}),
    ("CountUrl", {"url": [f"^/{i}" for i in range(15)]}),
    ("PacketSizeCounter", {"bins": ["128", "64"]}),
    ("PacketSizeCounter", {"bins": ["-1"]}),
    ("FlowLoadBalancer", {}),
    ("FlowLoadBalancer", {"backend": ["02:00:00:00:00"]}),
    ("Busy", {"cycles": ["lots"]}),
    ("RxService", {"classifier": ["x proto tcp"]}),
    ("RxService", {"classifier": ["1 vlan 5000"]}),
    ("RxService", {"classifier": [str(i) for i in range(9)]}),
    ("RxService", {"decapsulate": ["yes"]}),
    ("TxService", {"encapsulation": ["vlan"]}),
    ("TxService", {"encapsulation": ["vlan"], "tunnel-tag": ["4095"]}),
    ("TxService", {"encapsulation": ["vxlan"], "tunnel-tag": ["1"]}),
    (
        "TxService",
        {
            "encapsulation": ["vxlan"],
            "tunnel-tag": ["1"],
            "local-address": ["10.0.0.0/8"],
            "remote-address": ["10.0.0.2"],
        },
    ),
    ("TxService", {"dst-mac": ["zz:00:00:00:00:00"]}),
    ("NoSuchProcessor", {}),
]

TRAFFIC = traffic()
MALFORMED = malformed()


@pytest.fixture(scope="module")
def eal(session_runtime: Runtime) -> Iterator[None]:
    """The session's DPDK primary brings EAL up; the harness pool must end full."""
    yield
    assert pool_in_use() == 0


def model_run(
    unf_class: str, params: Mapping[str, Sequence[str]], frames: Sequence[bytes]
) -> tuple[list[tuple[str | None, bytes]], dict[str, int]]:
    m = make(unf_class, params)
    out = []
    for f in frames:
        b = bytearray(f)
        r = m.process(b)
        out.append((r, bytes(b) if r is not None else f))
    return out, m.counters


def c_run(
    unf_class: str,
    params: Mapping[str, Sequence[str]],
    frames: Sequence[bytes],
    segment: int,
    prefetch: int,
    batch: int = 64,
) -> tuple[list[tuple[str | None, bytes]], dict[str, int]]:
    out: list[tuple[str | None, bytes]] = []
    with Harness(unf_class, params) as h:
        for i in range(0, len(frames), batch):
            chunk = frames[i : i + batch]
            outcomes, _ = h.run(chunk, segment=segment, prefetch=prefetch)
            # A dropped frame's bytes are whatever the processor left: not compared.
            out += [
                (o.result, o.frame if o.result is not None else f)
                for o, f in zip(outcomes, chunk, strict=True)
            ]
        counters = h.counters
    assert pool_in_use() == 0
    return out, counters


def _diff(frames: Sequence[bytes], names: Sequence[str], got: list, want: list) -> str:
    for name, f, g, w in zip(names, frames, got, want, strict=True):
        if g != w:
            return f"frame {name} ({len(f)} B): C gave {g[0]!r}, model {w[0]!r}" + (
                "; bytes differ" if g[0] == w[0] else ""
            )
    return ""


@pytest.mark.parametrize(("segment", "prefetch"), [(0, 0), (0, 4), (7, 2), (64, 0)])
@pytest.mark.parametrize(("cid", "unf_class", "params"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_processor_matches_model(
    eal: None, cid: str, unf_class: str, params: dict[str, list[str]], segment: int, prefetch: int
) -> None:
    frames = TRAFFIC + list(MALFORMED.values())
    names = [f"traffic#{i}" for i in range(len(TRAFFIC))] + list(MALFORMED)
    want, want_counters = model_run(unf_class, params, frames)
    batch = 16 if 0 < segment < 64 else 64  # tiny segments: many mbufs per frame
    got, got_counters = c_run(unf_class, params, frames, segment, prefetch, batch)
    assert got == want, _diff(frames, names, got, want)
    assert got_counters == want_counters


def test_traces_exercise_every_label_and_drop() -> None:
    """The comparison above means something only if the traces reach every outcome."""
    for cid, unf_class, params in CONFIGS:
        out, counters = model_run(unf_class, params, TRAFFIC + list(MALFORMED.values()))
        results = {r for r, _ in out}
        m = make(unf_class, params)
        if unf_class in ("HttpClassifier",):
            assert {"http", "non-http"} <= results, cid
        if cid == "validate-label":
            assert {"valid", "attack"} <= results, cid
        if cid in ("validate", "ttl", "check", "filter-example", "rx-classify"):
            assert None in results, cid
        if cid == "rx-classify":
            assert {"7", "8", "9", "10", "11"} <= results, results
        if cid in ("check", "size", "count", "balance"):
            assert all(counters.values()), (cid, counters)
        assert set(counters) == set(m.counters)


@pytest.mark.parametrize(("unf_class", "params"), BAD_PARAMS)
def test_bad_parameters_are_refused_by_both(
    eal: None, unf_class: str, params: dict[str, list[str]]
) -> None:
    with pytest.raises(ParameterError):
        make(unf_class, params)
    with pytest.raises(HarnessError, match=unf_class):
        Harness(unf_class, params)


def test_jumbo_frame_spans_segments(eal: None) -> None:
    frame = MALFORMED["jumbo-9000"]
    assert len(frame) == 9000
    with Harness("IPTtlDecrementer", {}) as h:
        (o,), _ = h.run([frame])
    want = bytearray(frame)
    make("IPTtlDecrementer", {}).process(want)
    assert o.frame == bytes(want) and o.frame != frame


def test_tx_then_rx_restores_the_frame(eal: None) -> None:
    """A tunnel tag TxService puts on is what RxService strips and classifies by."""
    frames = TRAFFIC[:20]
    for tx, rx_entry, tag in (
        ({"encapsulation": ["vlan"], "tunnel-tag": ["42"]}, "5 vlan 42", "5"),
        (
            {
                "encapsulation": ["vxlan"],
                "tunnel-tag": ["4242"],
                "local-address": ["192.0.2.1"],
                "remote-address": ["192.0.2.9"],
            },
            "6 vni 4242",
            "6",
        ),
    ):
        with Harness("TxService", tx) as t, Harness("RxService", {"classifier": [rx_entry]}) as r:
            sent, _ = t.run(frames)
            back, _ = r.run([o.frame for o in sent])
        plain = [f for f in frames if f[12:14] != b"\x81\x00"]  # VLAN frames lose their own tag
        assert [o.result for o in back] == [tag] * len(frames)
        assert [o.frame for o, f in zip(back, frames, strict=True) if f in plain] == plain


def test_models_cover_the_registry() -> None:
    registry = [d["class"] for d in dp_catalog.descriptors()]
    assert sorted(registry) == sorted(classes())


def test_catalog_is_generated_from_the_registry() -> None:
    path = ROOT / "yang" / "catalog" / "builtin.json"
    text = path.read_text()
    assert dp_catalog.render(json.loads(text)) == text, (
        "yang/catalog/builtin.json differs from the C registry: run "
        "python -m micronf.dataplane.catalog yang/catalog/builtin.json"
    )


def test_catalog_check_command_fails_on_a_stale_catalog(tmp_path) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads((ROOT / "yang" / "catalog" / "builtin.json").read_text())
    doc["micronf-catalog:catalog"]["unf-descriptor"][2]["cost"] = 1
    stale = tmp_path / "builtin.json"
    stale.write_text(json.dumps(doc, indent=2) + "\n")
    assert dp_catalog.main(["--check", str(stale)]) == 1
    assert dp_catalog.main([str(stale)]) == 0
    assert dp_catalog.main(["--check", str(stale)]) == 0
    assert (
        json.loads(stale.read_text())["micronf-catalog:catalog"]["vnf-template"]
        == doc["micronf-catalog:catalog"]["vnf-template"]
    )


def mutations(n: int, seed: int) -> list[bytes]:
    """Traffic frames with random bytes flipped, cut short or extended (deterministic)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        f = bytearray(rng.choice(TRAFFIC[:200]))
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(3)
            if op == 0 and f:
                f[rng.randrange(min(len(f), 80))] = rng.randrange(256)
            elif op == 1:
                del f[rng.randrange(len(f) + 1) :]
            else:
                f += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        out.append(bytes(f))
    return out


@pytest.mark.parametrize(("cid", "unf_class", "params"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_mutated_frames_match_model(
    eal: None, cid: str, unf_class: str, params: dict[str, list[str]]
) -> None:
    frames = mutations(2000, seed=zlib.crc32(cid.encode()))
    want, want_counters = model_run(unf_class, params, frames)
    got, got_counters = c_run(unf_class, params, frames, segment=13, prefetch=3)
    assert got == want, _diff(frames, [f"mutation#{i}" for i in range(len(frames))], got, want)
    assert got_counters == want_counters


@pytest.mark.parametrize(("cid", "unf_class", "params"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_instance_names_are_the_models(
    cid: str, unf_class: str, params: dict[str, list[str]]
) -> None:
    """What the primary learns of an instance's outputs and counters, without running it."""
    labels, counters = instance_names(unf_class, params)
    assert counters == tuple(make(unf_class, params).counters)
    if unf_class == "RxService":
        assert labels == tuple(e.split()[0] for e in params.get("classifier", []))
    else:
        d = next(d for d in dp_catalog.descriptors() if d["class"] == unf_class)
        assert labels == tuple(d.get("result-label", []))
    with pytest.raises(HarnessError, match="mandatory"):
        instance_names("CountUrl", {})
