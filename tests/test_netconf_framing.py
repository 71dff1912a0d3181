"""RFC 6242 framing: end-of-message (base:1.0) and chunked (base:1.1), good and bad."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ncserver import NS, RawSession, Server, errors, is_ok, ncclient_connect

from micronf.netconf import BASE_1_0
from micronf.netconf.framing import Deframer, Framing, FramingError, MessageTooBig, frame


def test_end_of_message_split_anywhere() -> None:
    d = Deframer(1000)
    data = b"<a/>]]>]]><b/>]]>]]>"
    out = []
    for i in range(len(data)):  # one byte at a time: the delimiter spans reads
        d.feed(data[i : i + 1])
        while (msg := d.next_message()) is not None:
            out.append(msg)
    assert out == [b"<a/>", b"<b/>"]


def test_chunked_several_chunks_per_message() -> None:
    d = Deframer(1000)
    d.switch(Framing.chunked)
    d.feed(b"\n#4\n<rpc\n#3\n/>x\n##\n" + frame(b"<b/>", Framing.chunked))
    assert d.next_message() == b"<rpc/>x"
    assert d.next_message() == b"<b/>"
    assert d.next_message() is None


@pytest.mark.parametrize(
    "data",
    [
        b"#4\n<rpc/>",  # no leading newline
        b"\n#0\n",  # chunk-size starts at 1
        b"\n#04\n<rp",  # no leading zeros
        b"\n#x\n",
        b"\n##\n",  # end of chunks before any chunk
        b"\n#3\n<rpc/>\n##\n",  # the header lies: more data than announced
        b"\n#99999999999\n",  # more digits than a chunk-size has
    ],
)
def test_chunked_framing_errors(data: bytes) -> None:
    d = Deframer(1 << 40)
    d.switch(Framing.chunked)
    d.feed(data)
    with pytest.raises(FramingError):
        while d.next_message() is not None:
            pass


def test_size_limit_chunked_and_eom() -> None:
    d = Deframer(100)
    d.switch(Framing.chunked)
    d.feed(b"\n#60\n" + b"x" * 60 + b"\n#60\n")
    with pytest.raises(MessageTooBig):
        d.next_message()
        d.next_message()
    e = Deframer(100)
    with pytest.raises(MessageTooBig):
        e.feed(b"x" * 300)  # no end-of-message mark ever: refused without holding it all
        e.next_message()


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path, max_message=4096)
    yield s
    s.stop()


def test_base_1_0_session(server: Server) -> None:
    raw = RawSession(server.port)
    try:
        assert raw.server_hello.tag == f"{{{NS}}}hello"
        raw.hello((BASE_1_0,))
        reply = raw.rpc("<lock><target><running/></target></lock>", "m-1")
        assert is_ok(reply) and reply.get("message-id") == "m-1"
    finally:
        raw.close()


def test_base_1_1_session_with_ncclient(server: Server) -> None:
    m = ncclient_connect(server.port)
    try:
        assert m.lock("candidate").ok  # a reply: the server has read the client's hello
        (session,) = server.server.sessions.values()
        assert session.framing is Framing.chunked  # both sides said base:1.1
    finally:
        m.close_session()


def test_lying_chunk_header_closes_only_that_session(server: Server) -> None:
    liar = RawSession(server.port)
    other = RawSession(server.port)
    try:
        liar.hello()
        other.hello()
        # Announces 5 bytes, sends a whole RPC: what follows is no chunk header.
        liar.send_raw(b'\n#5\n<rpc xmlns="' + NS.encode() + b'" message-id="1"><lock/></rpc>\n##\n')
        assert liar.closed()
        assert is_ok(other.rpc("<lock><target><running/></target></lock>"))
    finally:
        liar.close()
        other.close()


def test_oversized_message_gets_too_big_and_close(server: Server) -> None:
    raw = RawSession(server.port)
    try:
        raw.hello()
        raw.send_raw(b"\n#10000\n" + b"x" * 100)
        reply = raw.read()
        assert errors(reply)[0]["error-tag"] == "too-big"
        assert raw.closed()
    finally:
        raw.close()


def test_disconnect_mid_message_leaves_server_serving(server: Server) -> None:
    raw = RawSession(server.port)
    raw.hello()
    raw.send_raw(b'\n#200\n<rpc xmlns="' + NS.encode() + b'" message-id="1"><lo')
    raw.close()
    raw2 = RawSession(server.port)
    try:
        raw2.hello()
        assert is_ok(raw2.rpc("<lock><target><running/></target></lock>"))
    finally:
        raw2.close()
