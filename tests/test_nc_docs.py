"""Every command of docs/netconf.md, run as written (a newcomer's walk-through).

The ``sh`` blocks run in order in a fresh folder with ``examples/`` beside
them; the ``micronf controller`` block runs in the background, as the page
says ("a second terminal"), and the port 8300 of the page becomes a free one.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT

DOC = ROOT / "docs" / "netconf.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.S)


def test_doc_walkthrough(tmp_path: Path) -> None:
    port = str(_free_port())
    blocks = [b.replace("8300", port) for b in _blocks()]
    daemon = [b for b in blocks if b.lstrip().startswith("micronf controller")]
    assert len(daemon) == 1
    at = blocks.index(daemon[0])
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")

    def run(script: str) -> str:
        result = subprocess.run(
            ["bash", "-euc", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("\n".join(blocks[:at]).replace('export PATH="$PWD/.venv/bin:$PATH"', ""))
    log = (tmp_path / "controller.out").open("w")
    proc = subprocess.Popen(
        ["bash", "-euc", "exec " + daemon[0].strip()],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while "NETCONF on" not in (tmp_path / "controller.out").read_text():
            assert proc.poll() is None, (tmp_path / "controller.out").read_text()
            assert time.monotonic() < deadline, "the controller did not start"
            time.sleep(0.1)
        out = run("\n".join(blocks[at + 1 :]))
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    first = (tmp_path / "controller.out").read_text()
    assert "generated the SSH host key" in first and "controller stopped" in first
    assert "<name>paper-sfc</name>" in out  # --get-config -x /chains/chain/name
    assert "<revision>" in out  # --get -x /intent
    assert "data-missing" in out  # the typo
    assert out.count("<ok") >= 8
    assert "access-denied" not in out
    assert "~ /micronf-sfc:chains/chain[name='paper-sfc']/placement/expected-rate" in out
    assert "committed revision" in out and "confirmed: the commit rate-back stays" in out
    assert "admin (netconf)" in out  # micronf history
