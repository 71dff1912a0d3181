"""RFC 6242 message framing: end-of-message (base:1.0) and chunked (base:1.1).

A :class:`Deframer` takes the bytes of an SSH channel as they come and
returns whole messages; it never holds more than the message size limit,
so a peer that never ends a message, or announces a chunk larger than the
limit, is refused as soon as that is known and not after the memory is
gone. Any deviation from the chunked grammar (a header that is not
``\\n#<1-4294967295>\\n``, a chunk followed by something other than a new
header, an empty message) is a :class:`FramingError`: RFC 6242 says the
session must then be closed.
"""

from __future__ import annotations

import re
from enum import Enum

#: End of a base:1.0 message.
EOM = b"]]>]]>"
#: RFC 6242 section 4.2: the largest chunk-size.
MAX_CHUNK = 4294967295

_HEADER = re.compile(rb"\n#([1-9][0-9]{0,9})\n")
_END = b"\n##\n"


class Framing(Enum):
    """The framing in use on a session."""

    end_of_message = "1.0"
    chunked = "1.1"


class FramingError(Exception):
    """The peer broke the framing; the session must be closed."""


class MessageTooBig(FramingError):
    """A message is larger than the configured limit."""


class Deframer:
    """Incremental decoder of one session's input."""

    def __init__(self, max_message: int) -> None:
        self.max_message = max_message
        self.framing = Framing.end_of_message
        self._buf = bytearray()
        self._chunks: list[bytes] = []
        self._size = 0  # bytes of the current chunked message so far
        self._need = 0  # bytes of the current chunk still to come

    def switch(self, framing: Framing) -> None:
        """Use *framing* from the next message on (after the hello exchange)."""
        self.framing = framing

    @property
    def pending(self) -> bool:
        """True while part of a message has been received."""
        return bool(self._buf.strip()) or bool(self._chunks) or self._need > 0

    def feed(self, data: bytes) -> None:
        """Append received bytes."""
        self._buf += data
        if self.framing is Framing.end_of_message and len(self._buf) > 2 * self.max_message:
            # Checked again by next_message; this bounds the buffer between calls.
            raise MessageTooBig(f"message larger than {self.max_message} bytes")

    def next_message(self) -> bytes | None:
        """The next complete message, or None until more bytes come.

        One message at a time, because the framing changes right after the
        hello: the caller switches before asking for the next one.
        """
        if self.framing is Framing.end_of_message:
            return self._take_eom()
        return self._take_chunked()

    def _take_eom(self) -> bytes | None:
        end = self._buf.find(EOM)
        if end < 0:
            # Keep the limit even while no delimiter has come (a peer that never ends).
            if len(self._buf) > self.max_message + len(EOM):
                raise MessageTooBig(f"message larger than {self.max_message} bytes")
            return None
        if end > self.max_message:
            raise MessageTooBig(f"message larger than {self.max_message} bytes")
        msg = bytes(self._buf[:end])
        del self._buf[: end + len(EOM)]
        return msg

    def _take_chunked(self) -> bytes | None:
        while True:
            if self._need:
                take = min(self._need, len(self._buf))
                if take == 0:
                    return None
                self._chunks.append(bytes(self._buf[:take]))
                del self._buf[:take]
                self._need -= take
                continue
            if len(self._buf) < 4:
                return None
            if self._buf[:4] == _END:
                if not self._chunks:
                    raise FramingError("end-of-chunks marker before any chunk")
                del self._buf[:4]
                msg = b"".join(self._chunks)
                self._chunks.clear()
                self._size = 0
                return msg
            if self._buf[:2] != b"\n#":
                raise FramingError("expected a chunk header (\\n#SIZE\\n)")
            m = _HEADER.match(self._buf)
            if m is None:
                # Not complete yet, or not a header at all.
                if len(self._buf) >= 13 or not re.fullmatch(rb"\n#[0-9]*", self._buf):
                    raise FramingError("malformed chunk header")
                return None
            size = int(m.group(1))
            if size > MAX_CHUNK:
                raise FramingError(f"chunk size {size} above {MAX_CHUNK}")
            self._size += size
            if self._size > self.max_message:
                raise MessageTooBig(f"message larger than {self.max_message} bytes")
            del self._buf[: m.end()]
            self._need = size


def frame(message: bytes, framing: Framing) -> bytes:
    """*message* framed for sending."""
    if framing is Framing.end_of_message:
        return message + EOM
    return b"\n#%d\n" % len(message) + message + _END
