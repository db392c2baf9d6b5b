"""SSRF rules for an entry's remoteUrl, with the entry controller's exact messages (§7.1), each
followed by how to fix it (allowPrivateEndpoint for private and in-cluster addresses).

Checks: the messages for an empty URL, a bad scheme, no host and a URL that does not parse;
URLs Go's net/url refuses (control characters, bad host bytes, percent-escapes in the host,
colons and brackets out of place, bad ports and escapes), refused with where and how to fix;
user information refused without echoing it; echoed values bounded;
always-blocked IPs (loopback, this-network, link-local/metadata, IPv6 loopback, unspecified
and link-local, IPv4-mapped forms) whatever allowPrivateEndpoint says; private ranges blocked
unless allowPrivateEndpoint (and the neighbours just outside them allowed); always-blocked
hostnames, exact or as a suffix, case-insensitive, reported as written; `*.cluster.local`
blocked unless allowPrivateEndpoint; public names allowed. Beyond the controller: cloud
metadata names and addresses (never relaxed), IPv6 forms that reach a blocked IPv4 (NAT64,
6to4, IPv4-compatible) or whose IPv4 cannot be read (Teredo), numeric IPv4 forms other than
a.b.c.d, and in-cluster names (`*.svc`, no dot) unless allowPrivateEndpoint.
"""

from __future__ import annotations

import json

import pytest

from vmcp_components.core.backends.remote_url import check_remote_url

PREFIX = "remote URL host is not allowed: "


PRIVATE_FIX = (
    "if the entry is meant to reach a private or in-cluster endpoint, "
    "set allowPrivateEndpoint: true on it"
)
NEVER_FIX = (
    "it is never allowed, allowPrivateEndpoint does not change that; "
    "point remoteUrl at the MCP server itself"
)
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")


def _ip(host: str, cidr: str) -> str:
    """The controller's message, then how to fix it."""
    fix = PRIVATE_FIX if cidr in PRIVATE_RANGES else NEVER_FIX
    return f"{PREFIX}IP address {host} falls within blocked range {cidr}; {fix}"


def _name(host: str, blocked: str) -> str:
    """The controller's message, then how to fix it."""
    fix = PRIVATE_FIX if blocked == "cluster.local" else NEVER_FIX
    return f'{PREFIX}hostname "{host}" matches blocked internal hostname "{blocked}"; {fix}'


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
        "https://[::8.8.8.8]/",  # IPv4-compatible, embedding a public address
        "https://[64:ff9b::808:808]/",  # NAT64 of 8.8.8.8
        "https://[2002:808:808::1]/",  # 6to4 of 8.8.8.8
        "https://100.100.100.201/",
        "https://168.63.129.17/",
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
        "http://my-svc.my-ns/",
        "https://svc.example.com/",
        "https://metadata.example.com/",
        "https://instance-data.example.com/",
        "https://google.metadata.example/",
        "https://1.2.3.example.com/",
        "https://0x7f.example.com/",
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


# ─── what Go's net/url refuses (vmcp could not read config.yaml) ───


@pytest.mark.parametrize(
    ("url", "code", "position"),
    [
        ("https://mcp.example.com/a\r\nb", "U+000D", 26),
        ("https://mcp.example.com/a\nb", "U+000A", 26),
        ("https://mcp\texample.com/", "U+0009", 12),
        ("https://mcp.example.com/\x00", "U+0000", 25),
        ("https://mcp.example.com/\x7f", "U+007F", 25),
        ("https://mcp.example.com/#\x01", "U+0001", 26),  # Go lets this one through
    ],
)
def test_control_characters_are_refused_with_their_position(
    url: str, code: str, position: int
) -> None:
    assert _message(url) == (
        f"remote URL is invalid: control character {code} at character {position}; "
        "remove it (tabs and line breaks are not allowed anywhere in a URL)"
    )


@pytest.mark.parametrize("char", [" ", "^", "|", "\\", "`", "{", "}"])
def test_host_bytes_go_refuses_are_invalid(char: str) -> None:
    message = _message(f"https://mcp{char}example.com/mcp", allow_private=True)
    assert message is not None
    invalid = f"remote URL is invalid: invalid character {json.dumps(char)} in host name; "
    assert message.startswith(invalid)
    assert message.endswith("an IPv4 address or an IPv6 address in brackets")


@pytest.mark.parametrize(
    "url", ["https://mcp%20example.com/", "https://mcp%25example.com/", "https://b%C3%BCcher.de/"]
)
def test_percent_escapes_in_the_host_are_invalid(url: str) -> None:
    assert _message(url) == (
        "remote URL is invalid: percent-escapes are not allowed in the host; write the host "
        "name in plain ASCII (an international name in its xn-- punycode form)"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://b\u00fccher.de/mcp", "b\\u00fccher.de"),
        # Full-width letters: IDNA maps them to "localhost" before the lookup.
        ("http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/", None),
    ],
)
def test_non_ascii_hosts_are_refused(url: str, shown: str | None) -> None:
    message = _message(url, allow_private=True)
    assert message is not None
    assert message.startswith("remote URL host is not allowed: host ")
    assert "write it in ASCII, an international name in its xn-- punycode form" in message
    if shown is not None:
        assert f'host "{shown}" has non-ASCII characters' in message


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("https://[8.8.8.8]/", "the host in brackets is not an IPv6 address"),
        ("https://[2001:db8::1::2]/", "the host in brackets is not an IPv6 address"),
        ("https://[]/", "the host in brackets is not an IPv6 address"),
        ("https://[2001:db8::1/", 'missing "]" after the IPv6 address in the host'),
        ("https://a[2001:db8::1]/", '"[" in the host; brackets may only enclose'),
        ("https://[2001:db8::1]x/", "the port after the host is not a number"),
        ("https://mcp.example.com:8443x/", "the port after the host is not a number"),
        ("https://mcp.example.com:99999/", "the port after the host is not a number"),
        ("https://a:b:8443/", "the port after the host is not a number"),  # one colon, if any
        ("https://::1:8443/", "the port after the host is not a number"),  # IPv6 needs brackets
        ("https://mcp.example.com/%zz", '"%zz" in the path is not a percent-escape'),
        ("https://mcp.example.com/a%2", '"%2" in the path is not a percent-escape'),
        ("https://mcp.example.com/#%zz", '"%zz" in the fragment is not a percent-escape'),
    ],
)
def test_hosts_ports_and_escapes_go_refuses_are_invalid(url: str, detail: str) -> None:
    message = _message(url, allow_private=True)
    assert message is not None
    assert message.startswith(f"remote URL is invalid: {detail}")


@pytest.mark.parametrize("url", ["https://:8443/", "https://./", "https://..:80/mcp"])
def test_a_port_or_dots_without_a_host_has_no_valid_host(url: str) -> None:
    # The controller checks Go's u.Host (":8443" is not empty) and lets "http://:8443/" through;
    # Go's HTTP client then dials the local machine.
    assert _message(url, allow_private=True) == "remote URL must have a valid host"


@pytest.mark.parametrize("allow_private", [False, True])
def test_an_ipv6_zone_is_refused(allow_private: bool) -> None:
    # The controller's net.ParseIP cannot read "::1%lo" and lets it through as a name.
    for url in ("http://[::1%25lo]/", "https://[fd00::1%25eth0]:8443/"):
        message = _message(url, allow_private)
        assert message is not None
        assert message.startswith(
            "remote URL host is not allowed: the IPv6 address has a zone identifier"
        )


# ─── user information ───

USERINFO = [
    "https://user:password@mcp.example.com/mcp",
    "https://s3cr3t-token@mcp.example.com/mcp",
    "https://@mcp.example.com/mcp",
    "https://user:p@ss@localhost/",
    "https://mcp.example.com\\@evil.example.org/",
]


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize("url", USERINFO)
def test_user_information_is_refused_and_never_echoed(url: str, allow_private: bool) -> None:
    assert _message(url, allow_private) == (
        "remote URL must not contain user information (user:password@ before the host): it "
        "would be copied into config.yaml and the stack outputs; remove it and pass "
        "credentials with externalAuthConfigRef or headerForward.addHeadersFromSecret"
    )


@pytest.mark.parametrize(
    "url",
    [
        # A "/" in the password ends the authority: Go then reads "pa" as a bad port.
        "https://user:pa/ss@mcp.example.com/",
        "https://user:pa ss/x@mcp.example.com/",
        "https://user:pa%zz/x@mcp.example.com/",
    ],
)
def test_a_password_cut_short_by_a_slash_is_not_echoed(url: str) -> None:
    message = _message(url)
    assert message is not None
    assert "pa" not in message.replace("path", "").replace("pass credentials", "")
    assert "user" not in message


# ─── echoed values are bounded ───


@pytest.mark.parametrize(
    "url",
    [
        "http://" + "a" * 5000 + ".localhost/",
        "http://" + "a" * 5000 + ".svc.cluster.local/",
        "x" * 5000 + "://mcp.example.com/",
        "https://mcp.example.com/%" + "z" * 5000,
        "https://" + "\u00e4" * 5000 + "/",
    ],
)
def test_echoed_values_are_cut_short(url: str) -> None:
    message = _message(url)
    assert message is not None
    quoted = [part for part in message.split('"')[1::2] if len(part) > 20]
    assert all(len(part) <= 103 for part in quoted), message
    assert len(message) < 500


# ─── beyond the controller: metadata, IPv6 translations, numeric forms, in-cluster names ───

NEVER = (
    "it is never allowed, allowPrivateEndpoint does not change that; "
    "point remoteUrl at the MCP server itself"
)
PRIVATE_FIX = (
    "if the entry is meant to reach a private or in-cluster endpoint, "
    "set allowPrivateEndpoint: true on it"
)


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://metadata/computeMetadata/v1/", "metadata"),
        ("http://metadata.goog/computeMetadata/v1/", "metadata.goog"),
        ("http://Metadata.Goog./", "Metadata.Goog."),
        ("http://instance-data/latest/meta-data/", "instance-data"),
        ("http://instance-data.ec2.internal/latest/", "instance-data.ec2.internal"),
        (
            "http://instance-data.eu-west-1.compute.internal/",
            "instance-data.eu-west-1.compute.internal",
        ),
    ],
)
def test_cloud_metadata_names_are_always_blocked(url: str, host: str, allow_private: bool) -> None:
    assert _message(url, allow_private) == (
        f'{PREFIX}hostname "{host}" is a cloud metadata endpoint; {NEVER}'
    )


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://100.100.100.200/latest/meta-data/", "100.100.100.200"),
        ("http://168.63.129.16/machine?comp=goalstate", "168.63.129.16"),
        ("http://192.0.0.192/latest/", "192.0.0.192"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254"),
        ("http://[FD00:EC2:0::254]/", "FD00:EC2:0::254"),
        ("http://[::ffff:100.100.100.200]/", "::ffff:100.100.100.200"),
    ],
)
def test_cloud_metadata_addresses_are_always_blocked(
    url: str, host: str, allow_private: bool
) -> None:
    assert (
        _message(url, allow_private)
        == f"{PREFIX}IP address {host} is a cloud metadata endpoint; {NEVER}"
    )


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    ("host", "ipv4", "cidr"),
    [
        ("64:ff9b::7f00:1", "127.0.0.1", "127.0.0.0/8"),  # NAT64 well-known prefix
        ("64:ff9b::169.254.169.254", "169.254.169.254", "169.254.0.0/16"),
        ("64:ff9b:1::a9fe:a9fe", "169.254.169.254", "169.254.0.0/16"),  # NAT64 local-use /96
        ("64:ff9b::6464:64c8", "100.100.100.200", "100.100.100.200/32"),
        ("::127.0.0.1", "127.0.0.1", "127.0.0.0/8"),  # IPv4-compatible
        ("::a9fe:a9fe", "169.254.169.254", "169.254.0.0/16"),
        ("2002:7f00:1::", "127.0.0.1", "127.0.0.0/8"),  # 6to4
        ("2002:a9fe:a9fe::1", "169.254.169.254", "169.254.0.0/16"),
    ],
)
def test_ipv6_forms_of_always_blocked_ipv4_are_blocked(
    host: str, ipv4: str, cidr: str, allow_private: bool
) -> None:
    assert _message(f"http://[{host}]/", allow_private) == (
        f"{PREFIX}IP address {host} reaches IPv4 address {ipv4}, which falls within blocked "
        f"range {cidr}; {NEVER}"
    )


@pytest.mark.parametrize(
    ("host", "ipv4", "cidr"),
    [
        ("64:ff9b::a00:1", "10.0.0.1", "10.0.0.0/8"),
        ("::192.168.1.1", "192.168.1.1", "192.168.0.0/16"),
        ("2002:ac10:1::", "172.16.0.1", "172.16.0.0/12"),
    ],
)
def test_ipv6_forms_of_private_ipv4_follow_allow_private_endpoint(
    host: str, ipv4: str, cidr: str
) -> None:
    assert _message(f"https://[{host}]/") == (
        f"{PREFIX}IP address {host} reaches IPv4 address {ipv4}, which falls within blocked "
        f"range {cidr}; {PRIVATE_FIX}"
    )
    assert _message(f"https://[{host}]/", allow_private=True) is None


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    ("host", "cidr"),
    [("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32"), ("64:ff9b:1:2::1", "64:ff9b:1::/48")],
)
def test_translation_ranges_that_hide_their_ipv4_are_always_blocked(
    host: str, cidr: str, allow_private: bool
) -> None:
    assert _message(f"https://[{host}]/", allow_private) == (
        f"{PREFIX}IP address {host} falls within translation range {cidr} (Teredo or NAT64), "
        f"whose IPv4 destination cannot be read from the address; {NEVER}"
    )


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "127.1",
        "0",
        "0x7f000001",
        "127.0.0.01",
        "10.1",
        "1.2.3.4.5",
        "0x.0",
    ],
)
def test_numeric_ipv4_forms_other_than_dotted_decimal_are_refused(
    host: str, allow_private: bool
) -> None:
    assert _message(f"http://{host}:8080/mcp", allow_private) == (
        f'{PREFIX}host "{host}" is an IPv4 address in a non-standard form (hexadecimal, octal '
        "or fewer than four numbers), which some resolvers read as another address (127.1 as "
        "127.0.0.1); write it as four decimal numbers, a.b.c.d, or use a DNS name"
    )


@pytest.mark.parametrize("allow_private", [False, True])
def test_a_trailing_dot_does_not_hide_an_ip_address(allow_private: bool) -> None:
    assert _message("http://127.0.0.1./", allow_private) == _ip("127.0.0.1.", "127.0.0.0/8")
    message = _message("http://127.0.0.1" + "." * 5000 + "/", allow_private)
    assert message == _ip("127.0.0.1" + "." * 91 + "...", "127.0.0.0/8")


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize("host", ["ip6-localhost", "IP6-Loopback.", "localhost.localdomain"])
def test_loopback_names_are_always_blocked(host: str, allow_private: bool) -> None:
    assert _message(f"http://{host}:8080/", allow_private) == (
        f'{PREFIX}hostname "{host}" is a loopback name; {NEVER}'
    )


IN_CLUSTER_NAMES = [
    ("https://vault.vault.svc:8200/mcp", "vault.vault.svc", '(".svc")'),
    ("https://My-Svc.NS.SVC./", "My-Svc.NS.SVC.", '(".svc")'),
    ("http://vault:8200/", "vault", "is a single label"),
    ("http://svc/", "svc", "is a single label"),
    ("http://mcp-proxy./mcp", "mcp-proxy.", "is a single label"),
]


@pytest.mark.parametrize(("url", "host", "why"), IN_CLUSTER_NAMES)
def test_in_cluster_names_are_blocked_by_default(url: str, host: str, why: str) -> None:
    message = _message(url)
    assert message is not None
    assert message.startswith(f'{PREFIX}hostname "{host}" ')
    assert why in message
    assert message.endswith(PRIVATE_FIX)


@pytest.mark.parametrize(("url", "host", "why"), IN_CLUSTER_NAMES)
def test_in_cluster_names_are_allowed_with_allow_private_endpoint(
    url: str, host: str, why: str
) -> None:
    assert _message(url, allow_private=True) is None
