"""`micronf apply --controller`: files through candidate -> validate -> commit over NETCONF."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest
from conftest import ROOT, run_micronf
from ncserver import ControllerServer

EXAMPLES = ROOT / "examples"


@pytest.fixture()
def setup(tmp_path: Path) -> Iterator[tuple[ControllerServer, Path]]:
    key = asyncssh.generate_private_key("ssh-ed25519")
    (tmp_path / "k").write_bytes(key.export_private_key())
    (tmp_path / "k").chmod(0o600)
    users = {"ops": {"keys": [key.export_public_key().decode()], "recovery": True}}
    ctl = ControllerServer(tmp_path, users=users)
    yield ctl, tmp_path / "k"
    ctl.stop()


def apply(ctl: ControllerServer, key: Path, *args: object) -> object:
    return run_micronf(
        "apply", "--controller", f"127.0.0.1:{ctl.port}", "--user", "ops", "--key", key, *args
    )


def test_apply_diff_revision_and_nothing_to_do(setup: tuple[ControllerServer, Path]) -> None:
    ctl, key = setup
    r = apply(ctl, key, EXAMPLES / "paper-sfc.yaml")
    assert r.returncode == 0, r.stderr
    assert "+ /micronf-sfc:chains/chain[name='paper-sfc']" in r.stdout
    assert "committed revision 1" in r.stdout
    head = ctl.store.head()
    assert head.author == "ops" and head.channel == "netconf"
    r = apply(ctl, key, EXAMPLES / "paper-sfc.xml")  # the same intent, another format
    assert r.returncode == 0 and "nothing to commit" in r.stdout
    assert ctl.store.head_number() == 1


def test_apply_invalid_file_sends_nothing(
    setup: tuple[ControllerServer, Path], tmp_path: Path
) -> None:
    ctl, key = setup
    bad = tmp_path / "bad.json"
    data = json.loads((EXAMPLES / "paper-sfc.json").read_text())
    data["micronf-sfc:chains"]["chain"][0]["vnf"][0]["template"] = "nope"
    bad.write_text(json.dumps(data, indent=1))
    r = apply(ctl, key, bad)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{bad}:" in r.stderr and "template" in r.stderr
    assert ctl.store.head() is None and ctl.datastores.candidate() == "{}"


def test_confirm_timeout_then_confirm(setup: tuple[ControllerServer, Path]) -> None:
    ctl, key = setup
    r = apply(ctl, key, "--confirm-timeout", "300", EXAMPLES / "paper-sfc.xml")
    assert r.returncode == 0, r.stderr
    token = r.stdout.split("--confirm ")[1].split()[0]
    assert ctl.datastores.pending() is not None  # outlived the command (persist)
    r = apply(ctl, key, "--confirm", token)
    assert r.returncode == 0, r.stderr
    assert ctl.datastores.pending() is None and ctl.store.head_number() == 1


def test_usage_and_unreachable(setup: tuple[ControllerServer, Path]) -> None:
    ctl, key = setup
    r = run_micronf("apply", "--confirm-timeout", "5", EXAMPLES / "paper-sfc.xml")
    assert r.returncode == 2 and "--controller" in r.stderr
    r = run_micronf(
        "apply",
        "--controller",
        "127.0.0.1:1",
        "--user",
        "ops",
        "--key",
        key,
        EXAMPLES / "paper-sfc.xml",
    )
    assert r.returncode == 1 and r.stderr.startswith("error: cannot open a NETCONF session")
