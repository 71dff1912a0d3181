"""Authentication: users from the users file only, keys or passwords, no defaults."""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest
from ncserver import PASSWORD, Server, ncclient_connect

from micronf.netconf import UserDb, UserFileError


def _key_pair(tmp: Path) -> Path:
    key = asyncssh.generate_private_key("ssh-ed25519")
    path = tmp / "id_ed25519"
    path.write_bytes(key.export_private_key())
    path.chmod(0o600)
    (tmp / "id_ed25519.pub").write_bytes(key.export_public_key())
    return path


def test_nobody_gets_in_without_a_users_file(tmp_path: Path) -> None:
    server = Server(tmp_path, users={})
    try:
        (tmp_path / "users.toml").unlink()
        for user in ("admin", "root", "netconf"):
            with pytest.raises(Exception, match="(?i)auth"):
                ncclient_connect(server.port, user=user, password="admin")
    finally:
        server.stop()


def test_password_and_key_and_reload(tmp_path: Path) -> None:
    server = Server(tmp_path, users={"alice": {"password": PASSWORD}})
    try:
        with pytest.raises(Exception, match="(?i)auth"):
            ncclient_connect(server.port, user="alice", password="wrong")
        m = ncclient_connect(server.port, user="alice")
        m.close_session()
        # A user added while the server runs can log in: the file is read again.
        key = _key_pair(tmp_path)
        UserDb(tmp_path / "users.toml").add("bob", keys=[(tmp_path / "id_ed25519.pub").read_text()])
        from ncclient import manager

        m = manager.connect(
            host="127.0.0.1",
            port=server.port,
            username="bob",
            key_filename=str(key),
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
        )
        m.close_session()
    finally:
        server.stop()


def test_users_file_mode_and_errors(tmp_path: Path) -> None:
    db = UserDb(tmp_path / "users.toml")
    db.add("carol", password="pw", groups=["ops"])
    assert (tmp_path / "users.toml").stat().st_mode & 0o777 == 0o600
    assert "pw" not in (tmp_path / "users.toml").read_text()  # a hash, never the password
    assert db.get("carol") is not None and db.get("carol").accepts_password("pw")
    with pytest.raises(UserFileError, match="not an SSH public key"):
        db.add("dave", keys=["ssh-ed25519 notbase64"])
    with pytest.raises(UserFileError, match="user name"):
        db.add("bad name", password="x")
    (tmp_path / "broken.toml").write_text("[users.x]\nkeys = 3\n")
    with pytest.raises(UserFileError, match="broken.toml: users.x.keys"):
        UserDb(tmp_path / "broken.toml").all()
