"""Every file of the bad-input corpus is rejected cleanly by the real CLI.

``tests/data/bad`` holds small committed bad inputs, each named for what it
breaks; the big or pathological ones (8 MiB files, 100000-deep nesting, a
near-limit chain) are generated at test time. For each, ``micronf validate
FILE`` must exit 1 with one located error line per problem and no traceback,
fail for the intended reason (checked through ``--json``), and change
nothing on disk. Run times are reported at the end of the session, never
asserted.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
EXAMPLES = ROOT / "examples"
MIB = 1024 * 1024
#: Not a timing assertion: a run that needs this long is reported as hung.
HANG_GUARD = 20.0


# ------------------------------------------------------------- generated inputs


def _json_8mb(p: Path) -> None:
    ex = (EXAMPLES / "paper-sfc.json").read_text()
    p.write_text(ex.rstrip()[:-1] + ', "padding": "' + "a" * (8 * MIB) + '"}\n')


def _xml_8mb(p: Path) -> None:
    ex = (EXAMPLES / "paper-sfc.xml").read_text()
    p.write_text(ex.replace("?>", "?>\n<!-- bad: 8 MiB -->" + " " * (8 * MIB), 1))


def _yaml_8mb(p: Path) -> None:
    ex = (EXAMPLES / "paper-sfc.yaml").read_text()
    p.write_text("# bad: 8 MiB of comment\n" + ("#" * 1023 + "\n") * 8192 + ex)


def _json_deep_arrays(p: Path) -> None:
    p.write_text("[" * 100_000 + "]" * 100_000)


def _json_deep_in_leaf(p: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    p.write_text('{"micronf-sfc:chains": {"chain": [{"name": "a", "description": ' + deep + "}]}}")


def _xml_deep(p: Path) -> None:
    p.write_text(
        '<chains xmlns="urn:micronf:yang:micronf-sfc">'
        + "<a>" * 100_000
        + "</a>" * 100_000
        + "</chains>"
    )


def _yaml_deep(p: Path) -> None:
    p.write_text("# bad: 100000 nested flow sequences\n" + "[" * 100_000 + "]" * 100_000 + "\n")


def _json_big_chain_cycle(p: Path) -> None:
    # ~1.9 MB, under the 4 MiB limit: 25000 VNFs in a line closed into a cycle.
    n = 25_000
    chain = {
        "name": "big",
        "vnf": [{"name": f"v{i}", "template": "load-balancer"} for i in range(n)],
        "link": [{"from": f"v{i}", "to": f"v{(i + 1) % n}"} for i in range(n)],
        "ingress": {"vnf": "v0"},
    }
    p.write_text(json.dumps({"micronf-sfc:chains": {"chain": [chain]}}, separators=(",", ":")))


GENERATED: dict[str, Callable[[Path], None]] = {
    "gen-json-8mb.json": _json_8mb,
    "gen-xml-8mb.xml": _xml_8mb,
    "gen-yaml-8mb.yaml": _yaml_8mb,
    "gen-json-deep-nesting-arrays.json": _json_deep_arrays,
    "gen-json-deep-nesting-in-leaf.json": _json_deep_in_leaf,
    "gen-xml-deep-nesting.xml": _xml_deep,
    "gen-yaml-deep-nesting.yaml": _yaml_deep,
    "gen-json-big-chain-cycle.json": _json_big_chain_cycle,
}

COMMITTED = sorted(p.name for p in BAD.iterdir() if p.is_file())
ALL = COMMITTED + sorted(GENERATED)


# ------------------------------------------------------------- expected reasons

# file -> (substring of "path: message", expected error-app-tag or None = any).
# Every bad file must be listed, so that each one is known to fail for the
# reason its name gives, not an incidental one.
EXPECTED: dict[str, tuple[str, str | None]] = {
    "binary-garbage.json": ("NUL bytes", "malformed-message"),
    "binary-garbage.xml": ("NUL bytes", "malformed-message"),
    "binary-garbage.yaml": ("NUL bytes", "malformed-message"),
    "json-agent-ring-size-1000.json": ("ring[name='r0']/size: Unsatisfied range", None),
    "json-bad-enum-operator.json": ('operator: Invalid enumeration value "equals"', None),
    "json-bad-ipv4-prefix.json": (
        'destination-ipv4-network: Unsatisfied pattern - "192.0.2.0/33"',
        None,
    ),
    "json-bad-label-chars.json": ("a result label holds only", "micronf-bad-label"),
    "json-bad-port-range.json": ("range bounds are reversed", "micronf-bad-parameter-value"),
    "json-bad-regex.json": ("not a regular expression", "micronf-bad-parameter-value"),
    "json-bad-rule.json": ("a rule starts with 'allow' or 'deny'", "micronf-bad-parameter-value"),
    "json-bad-uint32-parameter.json": ("bad uint32 value 'lots'", "micronf-bad-parameter-value"),
    "json-chain-cycle.json": ("the chain has a cycle", "micronf-cycle"),
    "json-chain-link-label-not-an-exit.json": (
        "'http' is not an exit of VNF",
        "micronf-unknown-label",
    ),
    "json-chain-self-loop.json": ("cannot connect a VNF to itself", "micronf-self-loop"),
    "json-chain-without-vnf.json": ('Too few "vnf" instances', "too-few-elements"),
    "json-dangling-template.json": (
        'Invalid leafref value "no-such-template"',
        "instance-required",
    ),
    "json-descriptor-bad-class-name.json": ("CamelCase", "micronf-bad-class"),
    "json-descriptor-missing-cost.json": ('Mandatory node "cost"', None),
    "json-duplicate-list-keys.json": (
        "vnf[name='monitor']: the list entry is given more than once",
        "micronf-duplicate-entry",
    ),
    "json-duplicate-member.json": ('Duplicate instance of "name"', None),
    "json-empty-chain-no-vnf.json": ('Too few "vnf" instances', "too-few-elements"),
    "json-empty-file.json": ("input is empty", "micronf-empty-input"),
    "json-expected-rate-5000.json": (
        "expected-rate: an expected rate is 0 to 1000",
        "micronf-bad-rate",
    ),
    "json-expected-rate-too-many-decimals.json": ("fraction digits", None),
    "json-ingress-unknown-vnf.json": (
        'ingress/vnf: Invalid leafref value "ghost"',
        "instance-required",
    ),
    "json-invalid-utf8.json": ("not valid UTF-8 at byte", "micronf-bad-encoding"),
    "json-link-to-unknown-vnf.json": ("[to='ghost']/to: Invalid leafref", "instance-required"),
    "json-malformed-trailing-comma.json": ("JSON syntax error", "malformed-message"),
    "json-malformed-truncated.json": ("JSON syntax error", "malformed-message"),
    "json-missing-ingress.json": ('ingress/vnf: Mandatory node "vnf"', None),
    "json-missing-mandatory-url.json": ("needs parameter 'url'", "micronf-missing-parameter"),
    "json-name-starts-with-digit.json": (
        "chain/name: a name starts with a letter",
        "micronf-bad-name",
    ),
    "json-name-too-long.json": ("chain/name: a name has 1 to 63 characters", "micronf-bad-name"),
    "json-node-config-unknown-node.json": (
        "node-config[node='filtre']/node: the VNF's template has no such node",
        "micronf-unknown-node",
    ),
    "json-parameter-without-value.json": ('Too few "value" instances', "too-few-elements"),
    "json-port-70000.json": ('"70000" is out of type uint16', None),
    "json-rpc-in-config.json": ('Unexpected RPC element "dry-run"', None),
    "json-state-data-status.json": ('Unexpected data state node "status"', None),
    "json-template-cycle.json": ("the uNF graph has a cycle", "micronf-cycle"),
    "json-template-dead-end.json": ("has no outgoing link and is not an exit", "micronf-dead-end"),
    "json-template-entry-unknown-node.json": (
        'entry: Invalid leafref value "ghost"',
        "instance-required",
    ),
    "json-template-link-label-not-emitted.json": (
        "never emitted by node 'rx'",
        "micronf-unknown-label",
    ),
    "json-template-link-to-unknown-node.json": (
        "[to='ghost']/to: Invalid leafref",
        "instance-required",
    ),
    "json-template-self-loop.json": ("cannot connect a node to itself", "micronf-self-loop"),
    "json-template-unknown-unf-class.json": (
        'Invalid leafref value "CountUrls"',
        "instance-required",
    ),
    "json-template-unreachable-node.json": ("'extra' cannot be reached", "micronf-unreachable"),
    "json-template-without-exit.json": ('Too few "exit" instances', "too-few-elements"),
    "json-too-many-values-single-valued.json": (
        "parameter[name='default-action']: the parameter is single-valued",
        "micronf-too-many-values",
    ),
    "json-top-level-array.json": ("Expected top-level JSON object", None),
    "json-top-level-scalar.json": ("YANG JSON data is an object", "micronf-wrong-format"),
    "json-uint-port-is-string.json": ('uint16 value "eighty"', None),
    "json-unknown-leaf.json": ('Node "priority" not found', None),
    "json-unknown-module.json": ('No module named "micronf-chains"', None),
    "json-unknown-parameter.json": (
        "parameter[name='rules']/name: the node's uNF class declares no such parameter",
        "micronf-unknown-parameter",
    ),
    "json-unreachable-vnf.json": ("'app-fw' cannot be reached", "micronf-unreachable"),
    "json-vnf-missing-template.json": ('Mandatory node "template"', None),
    "json-whitespace-only.json": ("input is empty", "micronf-empty-input"),
    "tosca-cycle.yaml": ("the chain has a cycle", "micronf-cycle"),
    "tosca-dangling-template.yaml": (
        'Invalid leafref value "no-such-template"',
        "instance-required",
    ),
    "tosca-expected-rate-5000.yaml": ("/placement/expected-rate", None),
    "tosca-expected-rate-not-a-number.yaml": ("expected_rate 'fast'", None),
    "tosca-forwarder-unknown.yaml": ('"ghost-fw" was not found', None),
    "tosca-import-absolute-path.yaml": ("'/etc/passwd': absolute paths", None),
    "tosca-import-by-url.yaml": ("not supported", None),
    "tosca-missing-import.yaml": ("no-such-profile.yaml", None),
    "tosca-name-starts-with-digit.yaml": ("a name starts with a letter", "micronf-bad-name"),
    "tosca-no-definitions-version.yaml": ("tosca_definitions_version", None),
    "tosca-node-config-unknown-node.yaml": ("node-config[node='filtre']", "micronf-unknown-node"),
    "tosca-not-tosca-list.yaml": ("a TOSCA document is a YAML mapping", None),
    "tosca-not-tosca-scalar.yaml": ("a TOSCA document is a YAML mapping", None),
    "tosca-substitution-mappings.yaml": ("substitution_mappings is not supported", None),
    "tosca-unknown-definitions-version.yaml": ("tosca_simple_yaml_9_9", None),
    "tosca-unknown-node-type.yaml": ("micronf.nodes.Firewall", None),
    "tosca-vdu.yaml": ("VDU", None),
    "xml-bad-enum-operator.xml": ('operator: Invalid enumeration value "equals"', None),
    "xml-billion-laughs.xml": ("Document Type Declaration", None),
    "xml-chain-cycle.xml": ("the chain has a cycle", "micronf-cycle"),
    "xml-comment-only.xml": ("no data of a micronf module", "micronf-empty-input"),
    "xml-dangling-template.xml": ('Invalid leafref value "no-such-template"', "instance-required"),
    "xml-duplicate-list-keys.xml": (
        "vnf[name='edge-fw']: the list entry is given more than once",
        "micronf-duplicate-entry",
    ),
    "xml-empty-chain-no-vnf.xml": ('Too few "vnf" instances', "too-few-elements"),
    "xml-empty-file.xml": ("input is empty", "micronf-empty-input"),
    "xml-expected-rate-5000.xml": (
        "expected-rate: an expected rate is 0 to 1000",
        "micronf-bad-rate",
    ),
    "xml-external-dtd-url.xml": ("Document Type Declaration", None),
    "xml-external-entity-file.xml": ("Document Type Declaration", None),
    "xml-invalid-utf8.xml": ("not valid UTF-8 at byte", "micronf-bad-encoding"),
    "xml-malformed-mismatched-tag.xml": ("tag mismatch", None),
    "xml-malformed-two-roots-garbage.xml": ("not well-formed XML", "malformed-message"),
    "xml-no-namespace.xml": ("Missing XML namespace", None),
    "xml-parameter-entity.xml": ("Document Type Declaration", None),
    "xml-port-is-string.xml": ('uint16 value "http"', None),
    "xml-state-data-status.xml": ('Unexpected data state node "status"', None),
    "xml-template-bad-label-chars.xml": ("a result label holds only", "micronf-bad-label"),
    "xml-unknown-element.xml": ('Node "priority" not found', None),
    "xml-unknown-namespace.xml": ('No module with namespace "urn:example:not-micronf"', None),
    "xml-whitespace-only.xml": ("input is empty", "micronf-empty-input"),
    "yaml-billion-laughs.yaml": ("aliases", None),
    "yaml-comment-only.yaml": ("a TOSCA document is a YAML mapping", None),
    "yaml-duplicate-keys.yaml": ("duplicate key 'edge-fw'", None),
    "yaml-empty-file.yaml": ("input is empty", "micronf-empty-input"),
    "yaml-invalid-utf8.yaml": ("not valid UTF-8 at byte", "micronf-bad-encoding"),
    "yaml-malformed.yaml": ("YAML syntax error", None),
    "yaml-python-object-tag.yaml": ("python/object", None),
    "yaml-tab-indentation.yaml": ("YAML syntax error", None),
    "yaml-whitespace-only.yaml": ("input is empty", "micronf-empty-input"),
    "tosca-yaml-merge-key.yaml": ("YAML merge keys (<<) are not supported", None),
    "xml-pi-before-declaration.xml": ("XML declaration", "malformed-message"),
    "json-arabic-indic-digits-in-rule.json": (
        "expected a port (0-65535)",
        "micronf-bad-parameter-value",
    ),
    "json-leaf-list-value-twice.json": (
        "allowed-agent: the value 'a' is given more than once",
        "micronf-duplicate-value",
    ),
    "json-bidi-override-in-template.json": ("template: a name starts with a letter", None),
    "tosca-import-nul.yaml": ("cannot hold a NUL character", None),
    "tosca-vnffg-unknown-property.yaml": ("unknown property 'egres_port'; did you mean", None),
    "tosca-function-in-string-property.yaml": ("TOSCA function get_attribute has no meaning", None),
    "tosca-allowed-agents-not-a-list.yaml": ("'allowed_agents' must be a list", None),
    "tosca-vnf-unknown-property.yaml": ('contains unknown field "templat"', None),
    "tosca-get-input-cycle.yaml": ("get_input cycle", None),
    "tosca-string-where-list-belongs.yaml": ("property 'label': \"http\" is not a list", None),
    "gen-json-8mb.json": ("more than the limit", "micronf-input-too-large"),
    "gen-xml-8mb.xml": ("more than the limit", "micronf-input-too-large"),
    "gen-yaml-8mb.yaml": ("more than the limit", "micronf-input-too-large"),
    "gen-json-deep-nesting-arrays.json": ("nested too deeply", "malformed-message"),
    "gen-json-deep-nesting-in-leaf.json": ("nested too deeply", "malformed-message"),
    "gen-xml-deep-nesting.xml": ("nested more than 256 levels", "malformed-message"),
    "gen-yaml-deep-nesting.yaml": ("exceeded maximum nesting depth", None),
    "gen-json-big-chain-cycle.json": ("the chain has a cycle", "micronf-cycle"),
}


# ------------------------------------------------------------------ the runs


@dataclass
class Run:
    returncode: int | None  # None: killed by the hang guard
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0


@dataclass(repr=False)
class Corpus:
    paths: dict[str, Path]
    plain: dict[str, Run] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)  # name -> --json entry
    cwd: Path = ROOT
    before: dict[str, tuple[int, str]] = field(default_factory=dict)
    after: dict[str, tuple[int, str]] = field(default_factory=dict)
    listing_before: dict[Path, list[str]] = field(default_factory=dict)
    listing_after: dict[Path, list[str]] = field(default_factory=dict)


def _fingerprint(paths: dict[str, Path]) -> dict[str, tuple[int, str]]:
    return {
        n: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for n, p in paths.items()
    }


def _listings(dirs: set[Path]) -> dict[Path, list[str]]:
    return {d: sorted(os.listdir(d)) for d in dirs}


Micronf = Callable[..., subprocess.CompletedProcess[str]]


def _run_plain(micronf: Micronf, path: Path, cwd: Path) -> Run:
    start = time.monotonic()
    try:
        r = micronf("validate", path, cwd=cwd, timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:  # the child was killed
        return Run(None, seconds=time.monotonic() - start)
    return Run(r.returncode, r.stdout, r.stderr, time.monotonic() - start)


def _run_json(micronf: Micronf, paths: list[Path], cwd: Path) -> dict[str, Any]:
    try:
        r = micronf("validate", "--json", *paths, cwd=cwd, timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        return {}
    try:
        return {Path(e["file"]).name: e for e in json.loads(r.stdout)}
    except ValueError:
        return {}


@pytest.fixture(scope="module")
def corpus(
    tmp_path_factory: pytest.TempPathFactory, micronf: Micronf, cli_durations: dict[str, float]
) -> Corpus:
    gen_dir = tmp_path_factory.mktemp("bad-generated")
    for name, make in GENERATED.items():
        make(gen_dir / name)
    paths = {n: BAD / n for n in COMMITTED} | {n: gen_dir / n for n in GENERATED}
    cwd = tmp_path_factory.mktemp("cwd")
    c = Corpus(paths=paths, cwd=cwd)
    dirs = {BAD, gen_dir, cwd}
    c.before, c.listing_before = _fingerprint(paths), _listings(dirs)

    names = list(paths)
    # --json runs are batched (12 small files per run); each generated file,
    # big or pathological, gets a run of its own.
    chunks = [COMMITTED[i : i + 12] for i in range(0, len(COMMITTED), 12)]
    chunks += [[n] for n in GENERATED]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        plain = {n: pool.submit(_run_plain, micronf, paths[n], cwd) for n in names}
        reports = [
            pool.submit(_run_json, micronf, [paths[n] for n in chunk], cwd) for chunk in chunks
        ]
        c.plain = {n: f.result() for n, f in plain.items()}
        for f in reports:
            c.reports.update(f.result())

    c.after, c.listing_after = _fingerprint(paths), _listings(dirs)
    cli_durations.update({n: r.seconds for n, r in c.plain.items()})
    return c


# ------------------------------------------------------------------ the tests


def test_corpus_is_big_small_and_fully_described() -> None:
    assert len(ALL) >= 45
    assert set(EXPECTED) == set(ALL), "every bad file needs an EXPECTED entry (and no stale ones)"
    too_big = [p.name for p in BAD.iterdir() if p.stat().st_size > 200 * 1024]
    assert not too_big, f"committed bad files must stay small: {too_big}"


@pytest.mark.parametrize("name", ALL)
def test_rejected_cleanly(corpus: Corpus, name: str) -> None:
    run = corpus.plain[name]
    path = str(corpus.paths[name])
    assert run.returncode is not None, f"{name}: no answer within {HANG_GUARD:.0f} s (hang guard)"
    assert run.returncode == 1, f"{name}: exit {run.returncode}\n{run.stdout}{run.stderr}"
    assert run.stderr.strip(), f"{name}: nothing on stderr"
    assert "Traceback" not in run.stderr + run.stdout
    assert "internal error" not in run.stderr, run.stderr
    for line in run.stderr.splitlines():
        if line.strip():
            assert line.removeprefix("✗ ").startswith(path), f"unlocated error line: {line!r}"


@pytest.mark.parametrize("name", ALL)
def test_fails_for_the_intended_reason(corpus: Corpus, name: str) -> None:
    entry = corpus.reports.get(name)
    assert entry is not None, f"{name}: no --json report (hang guard or unparsable output)"
    assert entry["valid"] is False
    errors = entry["errors"]
    assert errors and all(e["source"] == str(corpus.paths[name]) for e in errors)
    needle, tag = EXPECTED[name]
    hits = [e for e in errors if needle in f"{e['path'] or ''}: {e['message']}"]
    assert hits, f"{name}: no error mentions {needle!r}: {errors}"
    if tag is not None:
        assert any(tag in (e["app-tag"], e["error-tag"]) for e in hits), (
            f"{name}: expected [{tag}]: {hits}"
        )
    assert not any(e["app-tag"] == "micronf-internal-error" for e in errors), errors


def test_side_effect_free(corpus: Corpus) -> None:
    assert corpus.after == corpus.before, "a bad input file was modified"
    assert corpus.listing_after == corpus.listing_before, "validation created or removed files"
    assert not any(corpus.cwd.iterdir())
