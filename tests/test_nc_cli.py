"""`micronf user add` and `micronf controller`: no default users, clear errors."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from conftest import MICRONF, run_micronf
from ncserver import ncclient_connect


def test_user_add_errors(tmp_path: Path) -> None:
    state = tmp_path / "state"
    r = run_micronf("user", "add", "alice", "--state-dir", state)
    assert r.returncode == 2 and "--key" in r.stderr
    (tmp_path / "bad.pub").write_text("ssh-ed25519 not-a-key\n")
    r = run_micronf("user", "add", "alice", "--key", tmp_path / "bad.pub", "--state-dir", state)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "not an SSH public key" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_micronf("user", "add", "alice", "--key", tmp_path / "missing.pub", "--state-dir", state)
    assert r.returncode == 1 and "cannot read" in r.stderr
    assert not (state / "users.toml").exists()  # nothing stored


def test_controller_first_start_then_login(tmp_path: Path) -> None:
    state = tmp_path / "state"
    r = run_micronf("controller", "--listen", "127.0.0.1:99999", "--state-dir", state)
    assert r.returncode == 2 and "port" in r.stderr
    proc = subprocess.Popen(
        [
            str(MICRONF),
            "controller",
            "--db",
            str(tmp_path / "m.db"),
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
            str(state),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("NETCONF on") for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, lines
            lines.append(proc.stdout.readline())
        text = "".join(lines)
        assert "generated the SSH host key" in text
        assert "micronf user add NAME --key" in text  # how to add the first user
        port = int(text.split("NETCONF on 127.0.0.1:")[1].split()[0])
        r = subprocess.run(
            [
                str(MICRONF),
                "user",
                "add",
                "ops",
                "--password-stdin",
                "--group",
                "operators",
                "--state-dir",
                str(state),
            ],
            input="pw-1\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert r.returncode == 0 and "groups operators" in r.stdout
        m = ncclient_connect(port, user="ops", password="pw-1")  # no restart needed
        m.close_session()
    finally:
        proc.terminate()
        proc.wait(30)
