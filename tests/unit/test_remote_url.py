"""SSRF rules for an entry's remoteUrl, with the entry controller's exact messages (§7.1).

Checks: the messages for an empty URL, a bad scheme, no host and a URL that does not parse;
always-blocked IPs (loopback, this-network, link-local/metadata, IPv6 loopback, unspecified
and link-local, IPv4-mapped forms) whatever allowPrivateEndpoint says; private ranges blocked
unless allowPrivateEndpoint (and the neighbours just outside them allowed); always-blocked
hostnames, exact or as a suffix, case-insensitive, reported as written; `*.cluster.local`
blocked unless allowPrivateEndpoint; public names and `*.svc` allowed.
"""

from __future__ import annotations

import pytest

from vmcp_components.remote_url import check_remote_url

PREFIX = "remote URL host is not allowed: "


def _ip(host: str, cidr: str) -> str:
    return f"{PREFIX}IP address {host} falls within blocked range {cidr}"


def _name(host: str, blocked: str) -> str:
    return f'{PREFIX}hostname "{host}" matches blocked internal hostname "{blocked}"'


def _message(url: str, allow_private: bool = False) -> str | None:
    problem = check_remote_url(url, allow_private)
    return None if problem is None else problem.reason


# ─── form ───


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "remote URL must not be empty"),
        ("ftp://files.example.com/mcp", 'remote URL must use http or https scheme, got "ftp"'),
        ("ws://mcp.example.com/", 'remote URL must use http or https scheme, got "ws"'),
        ("mcp.example.com/mcp", 'remote URL must use http or https scheme, got ""'),
        ("https:///mcp", "remote URL must have a valid host"),
        ("http://", "remote URL must have a valid host"),
    ],
)
def test_form_errors_have_the_controller_messages(url: str, expected: str) -> None:
    assert _message(url) == expected
    assert _message(url, allow_private=True) == expected


@pytest.mark.parametrize("url", ["http://[::1", "https://mcp.example.com:port/"])
def test_a_url_that_does_not_parse_is_invalid(url: str) -> None:
    message = _message(url)
    assert message is not None
    assert message.startswith("remote URL is invalid: ")


# ─── literal IPs ───

ALWAYS_BLOCKED_IPS = [
    ("http://127.0.0.1/mcp", "127.0.0.1", "127.0.0.0/8"),
    ("http://127.10.20.30:8080/", "127.10.20.30", "127.0.0.0/8"),
    ("http://0.0.0.0/", "0.0.0.0", "0.0.0.0/8"),  # noqa: S104 - a URL under test
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254", "169.254.0.0/16"),
    ("http://[::1]/", "::1", "::1/128"),
    ("http://[::1]:4483/mcp", "::1", "::1/128"),
    ("http://[::]/", "::", "::/128"),
    ("http://[fe80::1]/", "fe80::1", "fe80::/10"),
    ("http://[febf::1]/", "febf::1", "fe80::/10"),
    # IPv4-mapped IPv6 is normalised to IPv4 for matching, reported as written.
    ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", "127.0.0.0/8"),
    ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254", "169.254.0.0/16"),
]


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(("url", "host", "cidr"), ALWAYS_BLOCKED_IPS)
def test_always_blocked_ips_ignore_allow_private_endpoint(
    url: str, host: str, cidr: str, allow_private: bool
) -> None:
    assert _message(url, allow_private) == _ip(host, cidr)


PRIVATE_IPS = [
    ("https://10.0.0.1/mcp", "10.0.0.1", "10.0.0.0/8"),
    ("https://10.255.255.255/", "10.255.255.255", "10.0.0.0/8"),
    ("https://172.16.0.1/", "172.16.0.1", "172.16.0.0/12"),
    ("https://172.31.255.254/", "172.31.255.254", "172.16.0.0/12"),
    ("https://192.168.1.10:8443/", "192.168.1.10", "192.168.0.0/16"),
    ("https://[fc00::1]/", "fc00::1", "fc00::/7"),
    ("https://[fd12:3456::1]/", "fd12:3456::1", "fc00::/7"),
    ("https://[::ffff:10.1.2.3]/", "::ffff:10.1.2.3", "10.0.0.0/8"),
]


@pytest.mark.parametrize(("url", "host", "cidr"), PRIVATE_IPS)
def test_private_ranges_are_blocked_by_default(url: str, host: str, cidr: str) -> None:
    assert _message(url) == _ip(host, cidr)


@pytest.mark.parametrize(("url", "host", "cidr"), PRIVATE_IPS)
def test_private_ranges_are_allowed_with_allow_private_endpoint(
    url: str, host: str, cidr: str
) -> None:
    assert _message(url, allow_private=True) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://172.15.255.255/",  # just below 172.16/12
        "https://172.32.0.1/",  # just above 172.16/12
        "https://11.0.0.1/",
        "https://192.169.0.1/",
        "https://169.255.0.1/",
        "https://1.1.1.1/",
        "https://[2001:db8::1]/",
        "https://[fec0::1]/",  # just above fe80::/10
        "https://[::127.0.0.1]/",  # IPv4-compatible, not IPv4-mapped: not normalised
    ],
)
def test_public_and_neighbouring_ips_are_allowed(url: str) -> None:
    assert _message(url) is None


# ─── hostnames ───

ALWAYS_BLOCKED_NAMES = [
    ("http://localhost/mcp", "localhost", "localhost"),
    ("http://localhost:8080/mcp", "localhost", "localhost"),
    ("http://api.localhost/", "api.localhost", "localhost"),
    ("http://LOCALHOST/", "LOCALHOST", "localhost"),
    ("https://kubernetes.default/", "kubernetes.default", "kubernetes.default"),
    ("https://kubernetes.default.svc/", "kubernetes.default.svc", "kubernetes.default.svc"),
    (
        "https://kubernetes.default.svc.cluster.local:443/api",
        "kubernetes.default.svc.cluster.local",
        "kubernetes.default.svc.cluster.local",
    ),
    ("https://api.kubernetes.default.svc/", "api.kubernetes.default.svc", "kubernetes.default.svc"),
    ("https://Kubernetes.Default/", "Kubernetes.Default", "kubernetes.default"),
    (
        "http://metadata.google.internal/computeMetadata/v1/",
        "metadata.google.internal",
        "metadata.google.internal",
    ),
    (
        "http://instance.metadata.google.internal/",
        "instance.metadata.google.internal",
        "metadata.google.internal",
    ),
    (
        "http://Metadata.Google.Internal/",
        "Metadata.Google.Internal",
        "metadata.google.internal",
    ),
    ("http://user:pw@localhost/", "localhost", "localhost"),
]


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(("url", "host", "blocked"), ALWAYS_BLOCKED_NAMES)
def test_always_blocked_hostnames_ignore_allow_private_endpoint(
    url: str, host: str, blocked: str, allow_private: bool
) -> None:
    assert _message(url, allow_private) == _name(host, blocked)


CLUSTER_NAMES = [
    ("http://my-svc.my-ns.svc.cluster.local:8080/mcp", "my-svc.my-ns.svc.cluster.local"),
    ("http://cluster.local/", "cluster.local"),
    ("http://MY-SVC.NS.SVC.Cluster.Local/", "MY-SVC.NS.SVC.Cluster.Local"),
]


@pytest.mark.parametrize(("url", "host"), CLUSTER_NAMES)
def test_cluster_local_names_are_blocked_by_default(url: str, host: str) -> None:
    assert _message(url) == _name(host, "cluster.local")


@pytest.mark.parametrize(("url", "host"), CLUSTER_NAMES)
def test_cluster_local_names_are_allowed_with_allow_private_endpoint(url: str, host: str) -> None:
    assert _message(url, allow_private=True) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://mcp.context7.com/mcp",
        "http://mcp.example.com:8080/sse",
        "https://internal-mcp.corp:8443/mcp",
        "http://my-svc.my-ns.svc:8080/mcp",  # *.svc without the cluster domain
        "http://my-svc.my-ns/",
        "https://notlocalhost.com/",  # a suffix match needs the dot
        "https://localhost.example.com/",
        "https://evilcluster.local/",
        "https://cluster.local.example.com/",
        "https://kubernetes.default.example.com/",
        "https://metadata.google.internal.example.com/",
    ],
)
def test_public_names_are_allowed(url: str) -> None:
    assert _message(url) is None


def test_fully_qualified_trailing_dot_does_not_bypass_the_name_rules() -> None:
    # Stricter than the controller (which compares the host as written): "localhost." is the
    # same name as "localhost", so it is refused too.
    assert _message("http://localhost./") == _name("localhost.", "localhost")
    assert _message("http://a.svc.cluster.local./") == _name(
        "a.svc.cluster.local.", "cluster.local"
    )
