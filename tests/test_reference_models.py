"""The reference models against independent oracles (scapy's parsers and checksums).

The data-plane tests hold the C processors to these models; these tests make
sure the models themselves say what the protocols say, without DPDK.
"""

from __future__ import annotations

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Raw

from micronf.models.reference import ParameterError, classes, make


def http(url: str, dport: int = 80, **ip: object) -> bytearray:
    pkt = Ether() / IP(src="10.0.0.1", dst="10.0.0.2", **ip) / TCP(sport=40000, dport=dport)
    return bytearray(bytes(pkt / Raw(f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n".encode())))


def test_every_builtin_class_has_a_model() -> None:
    assert {
        "MacSwapper",
        "IPTtlDecrementer",
        "CheckIPHeader",
        "L3L4Filter",
        "HttpClassifier",
        "ValidateUrl",
        "CountUrl",
        "PacketSizeCounter",
        "FlowLoadBalancer",
        "Busy",
        "RxService",
        "TxService",
    } == set(classes())


def test_ttl_decrement_keeps_a_valid_checksum() -> None:
    m = make("IPTtlDecrementer", {})
    for ttl in (2, 64, 255):
        pkt = http("/", ttl=ttl)
        assert m.process(pkt) == ""
        ip = Ether(bytes(pkt))[IP]
        assert ip.ttl == ttl - 1
        sent = ip.chksum
        del ip.chksum
        assert IP(bytes(ip)).chksum == sent
    assert m.process(http("/", ttl=1)) is None
    assert m.counters == {"not-ipv4": 0, "expired": 1}


def test_check_ip_header() -> None:
    m = make("CheckIPHeader", {})
    good = http("/")
    assert m.process(good) == ""
    bad = bytearray(good)
    bad[24] ^= 0xFF  # checksum byte
    assert m.process(bad) is None
    assert m.process(bytearray(bytes(Ether() / IP(options=b"\x01\x01\x01\x00") / UDP()))) == ""
    assert m.process(bytearray(bytes(Ether(type=0x86DD) / Raw(bytes(40))))) is None
    assert m.counters["bad-checksum"] == 1 and m.counters["not-ipv4"] == 1


def test_mac_swapper() -> None:
    pkt = bytearray(bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP()))
    make("MacSwapper", {}).process(pkt)
    e = Ether(bytes(pkt))
    assert (e.src, e.dst) == ("02:00:00:00:00:02", "02:00:00:00:00:01")


def test_filter_rules_in_order() -> None:
    m = make(
        "L3L4Filter",
        {
            "rule": ["deny proto udp dport 53", "allow src 10.0.0.0/8 proto tcp dport 80-81"],
            "default-action": ["deny"],
        },
    )
    dns = bytearray(bytes(Ether() / IP(src="10.0.0.1") / UDP(dport=53)))
    web = http("/", dport=81)
    ssh = http("/", dport=22)
    assert [m.process(p) for p in (dns, web, ssh)] == [None, "", None]
    assert m.counters == {"allowed": 1, "denied": 2, "no-match": 1}


def test_http_classifier() -> None:
    m = make("HttpClassifier", {"ports": ["80", "8000-8080"]})
    response = bytearray(
        bytes(Ether() / IP() / TCP(sport=8080, dport=5555) / Raw(b"HTTP/1.1 200 OK"))
    )
    ssh = bytearray(bytes(Ether() / IP() / TCP(dport=80) / Raw(b"SSH-2.0-x")))
    empty = bytearray(bytes(Ether() / IP() / TCP(dport=80)))
    assert [m.process(p) for p in (http("/a"), http("/a", dport=443), response, ssh, empty)] == [
        "http",
        "non-http",
        "http",
        "non-http",
        "non-http",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/item?id=1%27%20OR%201=1",
        "/login?user=admin'--",
        "/s?q=1+UNION+SELECT+pw+FROM+users",
        "/a?id=1;DROP%20TABLE%20users",
        "/p?id=1%27%20and%20sleep(5)",
        "/x?t=information_schema",
    ],
)
def test_validate_url_flags_sql_injection(url: str) -> None:
    assert make("ValidateUrl", {}).process(http(url)) is None
    assert make("ValidateUrl", {"on-attack": ["label"]}).process(http(url)) == "attack"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/index.html",
        "/login?user=alice",
        "/api/v1/items?id=42",
        "/select-your-plan",
        "/search?q=o'reilly+books",
    ],
)
def test_validate_url_passes_benign_urls(url: str) -> None:
    assert make("ValidateUrl", {}).process(http(url)) == "valid"


def test_count_url() -> None:
    m = make("CountUrl", {"url": ["^/login", "^/api/", "id="]})
    for url in ("/login", "/api/v1?id=3", "/other"):
        m.process(http(url))
    m.process(bytearray(bytes(Ether() / IP() / ICMP())))
    assert m.counters == {
        "no-url": 1,
        "unmatched": 1,
        "url:^/login": 1,
        "url:^/api/": 1,
        "url:id=": 1,
    }


def test_packet_size_counter_bins() -> None:
    m = make("PacketSizeCounter", {"bins": ["64", "128"]})
    for n in (10, 64, 65, 128, 1500):
        m.process(bytearray(n))
    assert m.counters == {"le-64": 2, "le-128": 2, "gt-128": 1}


def test_flow_load_balancer_is_flow_affine_and_consistent() -> None:
    macs = [f"02:00:00:00:0b:{i:02x}" for i in range(1, 6)]
    four, five = (
        make("FlowLoadBalancer", {"backend": macs[:4]}),
        make("FlowLoadBalancer", {"backend": macs}),
    )
    moved = 0
    for flow in range(2000):
        pkt = bytes(Ether() / IP(src=f"10.0.{flow >> 8}.{flow & 255}") / TCP(sport=1000 + flow))
        a, b, again = bytearray(pkt), bytearray(pkt), bytearray(pkt)
        four.process(a)
        four.process(again)
        five.process(b)
        assert a == again
        moved += a[:6] != b[:6]
    counts = [four.counters[f"backend-{i}"] for i in range(4)]
    assert min(counts) > 2 * 2000 / 4 * 0.8 and max(counts) < 2 * 2000 / 4 * 1.2
    assert 0.1 < moved / 2000 < 0.3  # adding a 5th back-end moves about 1/5 of the flows


def test_tx_vxlan_then_rx_classifies_by_vni() -> None:
    inner = http("/index.html")
    pkt = bytearray(inner)
    tx = make(
        "TxService",
        {
            "encapsulation": ["vxlan"],
            "tunnel-tag": ["5000"],
            "local-address": ["192.0.2.1"],
            "remote-address": ["192.0.2.2"],
            "dst-mac": ["02:00:00:00:00:99"],
        },
    )
    assert tx.process(pkt) == ""
    outer = Ether(bytes(pkt))
    assert outer.dst == "02:00:00:00:00:99"
    assert outer[IP].dst == "192.0.2.2" and outer[UDP].dport == 4789
    assert outer[VXLAN].vni == 5000 and bytes(outer[VXLAN].payload) == bytes(inner)
    chk = outer[IP].chksum
    del outer[IP].chksum
    assert IP(bytes(outer[IP])).chksum == chk
    rx = make("RxService", {"classifier": ["7 vni 4000", "8 vni 5000 proto tcp dport 80"]})
    assert rx.process(pkt) == "8" and pkt == inner


def test_tx_vlan_then_rx() -> None:
    pkt = http("/")
    make("TxService", {"encapsulation": ["vlan"], "tunnel-tag": ["42"]}).process(pkt)
    assert Ether(bytes(pkt))[Dot1Q].vlan == 42
    rx = make("RxService", {"classifier": ["3 vlan 41", "4 vlan 42"]})
    assert rx.process(pkt) == "4" and pkt == http("/")


@pytest.mark.parametrize(
    ("unf_class", "params", "message"),
    [
        ("NoSuch", {}, "unknown uNF class"),
        ("MacSwapper", {"speed": ["1"]}, "unknown parameter"),
        ("CountUrl", {}, "mandatory"),
        ("HttpClassifier", {"ports": ["eighty"]}, "eighty"),
        ("L3L4Filter", {"default-action": ["allow", "deny"]}, "takes one value"),
    ],
)
def test_bad_parameters(unf_class: str, params: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        make(unf_class, params)
