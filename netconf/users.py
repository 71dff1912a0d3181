"""NETCONF users: SSH public keys and password hashes from a TOML file.

There are no default credentials: a server with an empty or missing users
file lets nobody in. The file is written by ``micronf user add`` and read
again whenever it changes, so adding a user needs no restart::

    [users.alice]
    keys = ["ssh-ed25519 AAAA... alice@laptop"]
    password = "scrypt$16384$8$1$<salt hex>$<hash hex>"
    groups = ["admin"]
    recovery = false

``groups`` are NACM external groups (RFC 8341 section 3.3, used when
``enable-external-groups`` is true). ``recovery = true`` marks the user
whose sessions bypass NACM (the RFC's "recovery session"): the way in to
write the first NACM rules, since NACM's default denies every write.
Passwords are stored as scrypt hashes only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_SCRYPT = (16384, 8, 1)


class UserFileError(ValueError):
    """The users file cannot be read; the message says where."""


@dataclass(frozen=True)
class User:
    name: str
    keys: tuple[str, ...] = ()
    password: str | None = None
    groups: tuple[str, ...] = ()
    recovery: bool = False

    def accepts_key(self, key: asyncssh.SSHKey) -> bool:
        wanted = key.public_data
        for line in self.keys:
            try:
                if asyncssh.import_public_key(line).public_data == wanted:
                    return True
            except (asyncssh.KeyImportError, ValueError):
                continue
        return False

    def accepts_password(self, password: str) -> bool:
        return self.password is not None and verify_password(self.password, password)


def hash_password(password: str) -> str:
    n, r, p = _SCRYPT
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise UserFileError(
            f"user name {name!r}: letters, digits, '_', '.', '-' (at most 64), not starting "
            "with a digit"
        )


@dataclass
class UserDb:
    """The users of one server, read from *path* (reloaded when the file changes)."""

    path: Path
    _users: dict[str, User] = field(default_factory=dict)
    _stamp: tuple[int, int] | None = None

    def get(self, name: str) -> User | None:
        self._reload()
        return self._users.get(name)

    def all(self) -> list[User]:
        self._reload()
        return list(self._users.values())

    def _reload(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._users, self._stamp = {}, None
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._users = load(self.path)
            self._stamp = stamp

    def add(
        self,
        name: str,
        *,
        keys: list[str] | None = None,
        password: str | None = None,
        groups: list[str] | None = None,
        recovery: bool = False,
    ) -> User:
        """Add or update user *name*; keys and groups are added to what it has."""
        check_name(name)
        for line in keys or []:
            try:
                asyncssh.import_public_key(line)
            except (asyncssh.KeyImportError, ValueError) as exc:
                raise UserFileError(f"not an SSH public key: {exc}") from None
        users = load(self.path) if self.path.exists() else {}
        old = users.get(name, User(name))
        user = User(
            name=name,
            keys=tuple(dict.fromkeys([*old.keys, *(k.strip() for k in keys or [])])),
            password=hash_password(password) if password is not None else old.password,
            groups=tuple(dict.fromkeys([*old.groups, *(groups or [])])),
            recovery=recovery or old.recovery,
        )
        users[name] = user
        save(self.path, users)
        return user


def load(path: Path) -> dict[str, User]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserFileError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserFileError(f"{path}: {exc}") from None
    users: dict[str, User] = {}
    table = raw.get("users", {})
    if not isinstance(table, dict):
        raise UserFileError(f"{path}: [users] must be a table")
    for name, entry in table.items():
        where = f"{path}: users.{name}"
        if not isinstance(entry, dict):
            raise UserFileError(f"{where}: must be a table")
        keys = entry.get("keys", [])
        groups = entry.get("groups", [])
        password = entry.get("password")
        recovery = entry.get("recovery", False)
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise UserFileError(f"{where}.keys: must be a list of strings")
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise UserFileError(f"{where}.groups: must be a list of strings")
        if password is not None and not isinstance(password, str):
            raise UserFileError(f"{where}.password: must be a string")
        if not isinstance(recovery, bool):
            raise UserFileError(f"{where}.recovery: must be true or false")
        users[name] = User(name, tuple(keys), password, tuple(groups), recovery)
    return users


def _toml_str(value: str) -> str:
    # A JSON string is a valid TOML basic string for the characters we write.
    return json.dumps(value)


def save(path: Path, users: dict[str, User]) -> None:
    lines = ["# micronf NETCONF users; written by `micronf user add`.", ""]
    for user in users.values():
        lines.append(f"[users.{_toml_str(user.name)}]")
        lines.append("keys = [" + ", ".join(_toml_str(k) for k in user.keys) + "]")
        if user.password:
            lines.append(f"password = {_toml_str(user.password)}")
        lines.append("groups = [" + ", ".join(_toml_str(g) for g in user.groups) + "]")
        lines.append(f"recovery = {'true' if user.recovery else 'false'}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # Password hashes are secrets too: owner-only from the first byte.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    os.replace(tmp, path)


def ensure_host_key(path: Path) -> bool:
    """Create an Ed25519 host key at *path* if there is none; True if created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.export_private_key())
    Path(str(path) + ".pub").write_bytes(key.export_public_key())
    return True
