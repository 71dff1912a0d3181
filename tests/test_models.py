"""Typed models built from validated data, and the expansion of chains into uNFs."""

from __future__ import annotations

from pathlib import Path

from micronf.models import Access, Intent
from micronf.yang import validate_dict, validate_instance

ROOT = Path(__file__).resolve().parents[1]

PAPER_UNFS = {
    "MacSwapper",
    "IPTtlDecrementer",
    "CheckIPHeader",
    "L3L4Filter",
    "HttpClassifier",
    "ValidateUrl",
    "CountUrl",
    "PacketSizeCounter",
    "RxService",
    "TxService",
}


def intent() -> Intent:
    return Intent.from_validated(
        validate_instance((ROOT / "examples" / "paper-sfc.json").read_bytes(), "json")
    )


def test_catalog_has_the_papers_unfs_and_vnfs() -> None:
    cat = intent().catalog
    assert set(cat.descriptors) >= PAPER_UNFS
    assert {
        "edge-firewall",
        "monitoring-function",
        "application-firewall",
        "load-balancer",
    } <= {name for name, _version in cat.templates}
    http = cat.descriptors["HttpClassifier"]
    assert http.result_labels == ("http", "non-http")
    assert http.access["payload"] is Access.READ_ONLY and not http.may_drop
    assert cat.descriptors["MacSwapper"].access["l2-header"].writes
    assert cat.descriptors["RxService"].is_io_service


def test_template_order_follows_links() -> None:
    tpl = intent().catalog.template("monitoring-function")
    order = tpl.topological_order()
    assert order[0] == "rx" and order[-1] == "tx"
    assert order.index("classify") < order.index("count")


def test_chain_expansion_inlines_templates_and_merges_config() -> None:
    it = intent()
    chain = it.chains["paper-sfc"]
    assert chain.vnf_order() == ["edge-fw", "monitor", "app-fw"]
    g = chain.expand(it.catalog)
    assert len(g.unfs) == 4 + 6 + 5
    assert g.entry == "edge-fw.rx" and g.exits == ("app-fw.tx",)
    # chain ports reach the outer Rx/Tx services
    assert g.unfs["edge-fw.rx"].parameters["port"] == ("port0",)
    assert g.unfs["app-fw.tx"].parameters["port"] == ("port1",)
    # node-config overrides the descriptor default; template values stay
    assert g.unfs["edge-fw.filter"].parameters["default-action"] == ("deny",)
    assert g.unfs["monitor.count"].parameters["url"] == ("^/login", "^/api/")
    assert g.unfs["monitor.size"].parameters["bins"][0] == "64"
    # VNF boundaries become Tx -> Rx links; labelled links survive
    links = {(lk.source, lk.target): lk.labels for lk in g.links}
    assert links[("edge-fw.tx", "monitor.rx")] == ()
    assert links[("monitor.tx", "app-fw.rx")] == ()
    assert links[("app-fw.classify", "app-fw.validate")] == ("http",)
    assert chain.match.fields["ipv4.destination-ipv4-network"] == "192.0.2.0/24"
    assert chain.expected_rate == 2.0


def test_exits_no_chain_link_takes_leave_by_the_egress() -> None:
    doc = {
        "micronf-catalog:catalog": {
            "vnf-template": [
                {
                    "name": "splitter",
                    "version": "1.0",
                    "node": [
                        {"id": "rx", "unf-class": "RxService"},
                        {"id": "classify", "unf-class": "HttpClassifier"},
                        {"id": "web", "unf-class": "TxService"},
                        {"id": "other", "unf-class": "TxService"},
                    ],
                    "link": [
                        {"from": "rx", "to": "classify"},
                        {"from": "classify", "to": "web", "label": ["http"]},
                        {"from": "classify", "to": "other", "label": ["non-http"]},
                    ],
                    "entry": "rx",
                    "exit": [{"name": "web", "node": "web"}, {"name": "other", "node": "other"}],
                }
            ]
        },
        "micronf-sfc:agents": {"agent": [{"name": "a", "port": [{"name": "out9"}]}]},
        "micronf-sfc:chains": {
            "chain": [
                {
                    "name": "c",
                    "vnf": [
                        {"name": "split", "template": "splitter"},
                        {"name": "waf", "template": "application-firewall"},
                    ],
                    "link": [{"from": "split", "to": "waf", "label": ["web"]}],
                    "ingress": {"vnf": "split"},
                    "egress": {"port": "out9"},
                }
            ]
        },
    }
    it = Intent.from_validated(validate_dict(doc))
    g = it.chains["c"].expand(it.catalog)
    assert set(g.exits) == {"split.other", "waf.tx"}
    assert ("split.web", "waf.rx") in {(lk.source, lk.target) for lk in g.links}
    assert g.unfs["split.other"].parameters["port"] == ("out9",)
    assert g.unfs["split.web"].parameters["port"] == ("port1",)  # inner Tx: left to the compiler
