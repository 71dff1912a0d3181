"""What every northbound operation module shares: the controller's state and error mapping.

:class:`Controller` is what an operation handler reaches through its
closure: the datastores, the sessions (for notifications) and the server.
:func:`failing` turns datastore and validation errors into ``rpc-error``s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from micronf.netconf import NetconfServer, RpcError, Session
from micronf.netconf.nacm import Access
from micronf.yang import ErrorTag, ErrorType, Problem, ValidationFailed, Validator
from micronf.yang.edit import EditChange, changes
from micronf.yang.schema import Schema

from ..datastores import DatastoreError, Datastores

NC_CAP = "urn:ietf:params:netconf:capability"


@dataclass
class Controller:
    datastores: Datastores
    schema: Schema
    server: NetconfServer | None = None
    #: Notification listeners besides the sessions (tests, the reconciler later).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def validator(self) -> Validator:
        return self.datastores.validator

    def sessions(self) -> list[Session]:
        return list(self.server.sessions.values()) if self.server else []

    def datastore(self, name: str) -> str:
        if name == "running":
            return self.datastores.running()
        if name == "candidate":
            return self.datastores.candidate()
        raise RpcError.of(
            ErrorTag.invalid_value,
            f"no datastore {name!r} (this server has running and candidate)",
            info={"bad-element": name},
        )


@contextmanager
def failing() -> Iterator[None]:
    """Datastore and validation errors as rpc-errors."""
    try:
        yield
    except ValidationFailed as exc:
        raise RpcError(exc.problems) from None
    except DatastoreError as exc:
        raise RpcError(exc.problems, exc.info) from None


_ACCESS = {"create": Access.create, "update": Access.update, "delete": Access.delete}


def check_writes(ctl: Controller, session: Session, old: str, new: str) -> list[EditChange]:
    """Refuse the change from *old* to *new* whole if NACM denies any node of it;
    returns the changes checked."""
    if session.nacm() is None:  # a recovery session: nothing to check
        return []
    found = changes(ctl.validator, old, new)
    for change in found:
        if not session.may_access(_ACCESS[change.operation], change.schema_path):
            raise RpcError(
                [
                    Problem(
                        f"access denied: user {session.username!r} may not "
                        f"{change.operation} this node",
                        path=change.path,
                        error_type=ErrorType.application,
                        error_tag=ErrorTag.access_denied,
                    )
                ]
            )
    return found


def readable(session: Session, content: str) -> str:
    """*content* (RFC 7951 JSON) without what the session's user may not read."""
    if session.nacm() is None:
        return content
    return json.dumps(session.readable(json.loads(content)))
