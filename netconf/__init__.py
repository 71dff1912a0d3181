"""NETCONF protocol layer shared by controller and agent.

SSH (asyncssh) with the ``netconf`` subsystem, RFC 6242 framing, sessions,
locks, the dispatch table the hello is built from, ``rpc-error`` rendering
and the NACM engine. It knows nothing of chains: the controller (and later
the agent) registers its operations into an :class:`OperationTable`.
"""

from .errors import RpcError
from .locks import LockTable
from .nacm import Access, Nacm
from .operations import BASE_1_0, BASE_1_1, Operation, OperationTable, Reply
from .server import DEFAULT_PORT, NetconfServer, ServerConfig
from .session import Session
from .users import User, UserDb, UserFileError, ensure_host_key
from .xml import BASE_NS, NOTIF_NS

__all__ = [
    "BASE_1_0",
    "BASE_1_1",
    "BASE_NS",
    "DEFAULT_PORT",
    "NOTIF_NS",
    "Access",
    "LockTable",
    "Nacm",
    "NetconfServer",
    "Operation",
    "OperationTable",
    "Reply",
    "RpcError",
    "ServerConfig",
    "Session",
    "User",
    "UserDb",
    "UserFileError",
    "ensure_host_key",
]
