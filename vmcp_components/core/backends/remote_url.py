"""SSRF and form rules for an entry's remoteUrl.

The URL lands verbatim in config.yaml, where the vMCP binary reads it with Go's `url.Parse`
(Go 1.26, as ToolHive builds it). So it must first parse as Go's net/url parses it: no control
characters, a host made of the bytes Go accepts, at most one colon outside brackets, only IPv6
inside brackets, well-formed percent-escapes in the path and fragment. No user information
either: it would be copied into the ConfigMap and the stack outputs. Stricter than Go where vmcp
would send the URL other than as written: whitespace around it or in it, and non-ASCII text in
the query.

Then the host is checked, with no DNS resolution and no network. First as the ToolHive entry
controller checks it, with its exact messages: literal IPs against blocked ranges, hostnames
against blocked internal names (each message followed by how to fix it);
`allowPrivateEndpoint` relaxes RFC 1918, ULA and `*.cluster.local`, never loopback, link-local
or the Kubernetes API service. Then for what the
controller lets through, with messages that say how to fix: cloud metadata and loopback names
and addresses (never relaxed), IPv6 forms that reach a blocked IPv4, numeric IPv4 forms other
than a.b.c.d, non-ASCII names and IPv6 zones; in-cluster names (`*.svc`, a single label)
unless `allowPrivateEndpoint`.

Echoed values are cut to `_ECHO_LIMIT` characters and never include the user information.
"""

from __future__ import annotations

import ipaddress
import json
import re

from vmcp_components.errors import Problem

_ALWAYS_BLOCKED_NETS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "::/128", "::1/128", "fe80::/10")
)
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_ALWAYS_BLOCKED_HOSTS = (
    "localhost",
    "kubernetes.default.svc.cluster.local",
    "kubernetes.default.svc",
    "kubernetes.default",
    "metadata.google.internal",
)
_PRIVATE_HOSTS = ("cluster.local",)

# What the controller lets through. Metadata endpoints: Alibaba Cloud, Azure's WireServer,
# Oracle Cloud, AWS's IPv6 IMDS; GCP's short names and AWS's instance-data names.
_METADATA_NETS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("100.100.100.200/32", "168.63.129.16/32", "192.0.0.192/32", "fd00:ec2::254/128")
)
_METADATA_HOSTS = ("metadata", "metadata.goog", "instance-data")
# Kubelet writes the first two into every pod's /etc/hosts, for ::1.
_LOOPBACK_HOSTS = ("ip6-localhost", "ip6-loopback", "localhost.localdomain")
# IPv6 forms that carry an IPv4 address in their low 32 bits: IPv4-compatible and NAT64 /96.
_LOW32_IPV4_NETS = tuple(
    ipaddress.ip_network(cidr) for cidr in ("::/96", "64:ff9b::/96", "64:ff9b:1::/96")
)
# Translation ranges whose IPv4 cannot be read: Teredo (obfuscated), the rest of NAT64 local-use.
_OPAQUE_NETS = tuple(ipaddress.ip_network(cidr) for cidr in ("2001::/32", "64:ff9b:1::/48"))
_NEVER_ALLOWED = (
    "it is never allowed, allowPrivateEndpoint does not change that; "
    "point remoteUrl at the MCP server itself"
)
_PRIVATE_FIX = (
    "if the entry is meant to reach a private or in-cluster endpoint, "
    "set allowPrivateEndpoint: true on it"
)

_ECHO_LIMIT = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Go's getScheme: a letter, then letters, digits, "+", "-" or "."; a URL without one has none.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# A label inet_aton reads as a number: decimal, octal (leading 0) or hexadecimal (0x).
_NUMERIC_LABEL = re.compile(r"0[xX][0-9A-Fa-f]*|[0-9]+")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PORT = re.compile(r"[0-9]*")
# The ASCII bytes other than letters and digits that Go's net/url accepts in a host name.
_HOST_PUNCTUATION = frozenset("!\"$&'()*+,-.;<=>]_~")


_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Refused(Exception):
    """The remote URL is malformed or points somewhere an entry may not reach."""


def _shown(value: str) -> str:
    """`value` escaped as in a JSON string and cut to `_ECHO_LIMIT` characters."""
    escaped = json.dumps(value)[1:-1]
    return escaped[:_ECHO_LIMIT] + "..." if len(escaped) > _ECHO_LIMIT else escaped


def _quoted(value: str) -> str:
    return f'"{_shown(value)}"'


def _invalid(detail: str) -> _Refused:
    return _Refused(f"remote URL is invalid: {detail}")


def _check_port(colon_port: str) -> None:
    """Go's validOptionalPort, plus the port range (the port itself is never echoed)."""
    if not colon_port:
        return
    colon, digits = colon_port[0], colon_port[1:]
    if colon != ":" or not _PORT.fullmatch(digits) or (digits and int(digits) > 65535):
        raise _invalid(
            "the port after the host is not a number from 0 to 65535; "
            "write it as digits only, as in https://mcp.example.com:8443/"
        )


def _check_escapes(text: str, part: str) -> None:
    if bad := _BAD_ESCAPE.search(text):
        escape = text[bad.start() : bad.start() + 3]
        raise _invalid(
            f'{_quoted(escape)} in the {part} is not a percent-escape; write a literal "%" as "%25"'
        )


def _bracketed_host(host_port: str) -> str:
    """The IPv6 address inside `[...]`, checked as Go's parseHost checks it."""
    inside, closed, colon_port = host_port[1:].rpartition("]")
    if not closed:
        raise _invalid(
            'missing "]" after the IPv6 address in the host; write it as https://[2001:db8::1]/'
        )
    _check_port(colon_port)
    if "%" in inside:
        raise _Refused(
            "remote URL host is not allowed: the IPv6 address has a zone identifier "
            '("%25..."), which means nothing for a remote server and hides the address '
            "from this check; remove it"
        )
    try:
        ipaddress.IPv6Address(inside)
    except ValueError:
        raise _invalid(
            "the host in brackets is not an IPv6 address; brackets are only for IPv6 "
            "addresses, write IPv4 addresses and names without them"
        ) from None
    return inside


def _plain_host(host_port: str) -> str:
    """The name or IPv4 address before the optional port, checked as Go's parseHost checks it."""
    if "[" in host_port:
        raise _invalid(
            '"[" in the host; brackets may only enclose a whole IPv6 address, '
            "as in https://[2001:db8::1]:8443/"
        )
    host, colon, port = host_port.partition(":")
    _check_port(colon + port)
    for char in host:
        if char == "%":
            raise _invalid(
                "percent-escapes are not allowed in the host; write the host name in plain "
                "ASCII (an international name in its xn-- punycode form)"
            )
        if char.isascii() and not (char.isalnum() or char in _HOST_PUNCTUATION):
            raise _invalid(
                f"invalid character {_quoted(char)} in host name; a host is a DNS name, "
                "an IPv4 address or an IPv6 address in brackets"
            )
    if not host.isascii():
        raise _Refused(
            f"remote URL host is not allowed: host {_quoted(host)} has non-ASCII characters, "
            "which HTTP clients map to other names (IDNA) before resolving, so it may name an "
            "internal host; write it in ASCII, an international name in its xn-- punycode form"
        )
    return host


def _authority_end(url: str) -> int:
    """Where the `//host:port` after the scheme ends (0 when the URL has none)."""
    scheme = _SCHEME.match(url)
    start = scheme.end() if scheme else 0
    if not url.startswith("//", start):
        return start
    ends = [i for i in (url.find(c, start + 2) for c in "/?#") if i >= 0]
    return min(ends, default=len(url))


def _check_text(url: str) -> None:
    """Control characters, and what Go's url.Parse accepts but vmcp would send mangled.

    Go refuses control characters. Its HTTP client percent-encodes a space or non-ASCII
    character in the path (a trailing space makes `/sse` into `/sse%20`) and sends the query
    as written, where a space or a raw non-ASCII byte is not valid in an HTTP request line.
    """
    if url != url.strip():
        raise _invalid(
            "whitespace before or after the URL; remove it (in YAML, spaces inside quotes are kept)"
        )
    if control := _CONTROL.search(url):
        raise _invalid(
            f"control character U+{ord(control[0]):04X} at character {control.start() + 1}; "
            "remove it (tabs and line breaks are not allowed anywhere in a URL)"
        )
    start = _authority_end(url)  # whitespace in the host is Go's error, reported with the host
    if space := next((i for i, char in enumerate(url) if i >= start and char.isspace()), None):
        raise _invalid(
            f"whitespace (U+{ord(url[space]):04X}) at character {space + 1}; vmcp would not "
            'send it as written: remove it, or write it as "%20"'
        )
    query = url.partition("#")[0].partition("?")[2]
    if not query.isascii():
        raise _invalid(
            "non-ASCII characters in the query, which vmcp sends as raw bytes in the HTTP "
            'request line; percent-encode them as UTF-8 ("é" as "%C3%A9")'
        )


def _host(url: str) -> str:
    """The host of `url` as written (no brackets, no port) once the URL parses as Go's does."""
    _check_text(url)
    rest, _, fragment = url.partition("#")
    scheme = _SCHEME.match(rest)
    if scheme is None or scheme[0][:-1].lower() not in ("http", "https"):
        got = scheme[0][:-1].lower() if scheme else ""
        raise _Refused(f"remote URL must use http or https scheme, got {_quoted(got)}")
    rest = rest[scheme.end() :].partition("?")[0]
    _check_escapes(fragment, "fragment")
    if not rest.startswith("//"):
        return ""
    authority, slash, path = rest[2:].partition("/")
    _check_escapes(slash + path, "path")
    if "@" in authority:
        raise _Refused(
            "remote URL must not contain user information (user:password@ before the host): "
            "it would be copied into config.yaml and the stack outputs; remove it and pass "
            "credentials with externalAuthConfigRef or headerForward.addHeadersFromSecret"
        )
    if authority.startswith("["):
        return _bracketed_host(authority)
    return _plain_host(authority)


def _blocked_by(address: _Address, allow_private: bool) -> _Network | None:
    networks = _ALWAYS_BLOCKED_NETS + _METADATA_NETS + (() if allow_private else _PRIVATE_NETS)
    return next((net for net in networks if _holds(net, address)), None)


def _holds(network: _Network, address: _Address) -> bool:
    return address.version == network.version and address in network


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, NAT64 /96 or IPv4-compatible address reaches, if any."""
    if address.sixtofour is not None:
        return address.sixtofour
    if any(_holds(network, address) for network in _LOW32_IPV4_NETS):
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def _ip_problem(host: str, address: _Address, allow_private: bool) -> str | None:
    host = _shown(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    network = _blocked_by(address, allow_private)
    if network in _METADATA_NETS:
        return f"IP address {host} is a cloud metadata endpoint; {_NEVER_ALLOWED}"
    if network is not None:
        fix = _PRIVATE_FIX if network in _PRIVATE_NETS else _NEVER_ALLOWED
        return f"IP address {host} falls within blocked range {network}; {fix}"
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    embedded = _embedded_ipv4(address)
    if embedded is not None and (network := _blocked_by(embedded, allow_private)):
        fix = _PRIVATE_FIX if network in _PRIVATE_NETS else _NEVER_ALLOWED
        return (
            f"IP address {host} reaches IPv4 address {embedded}, which falls within blocked "
            f"range {network}; {fix}"
        )
    if network := next((net for net in _OPAQUE_NETS if _holds(net, address)), None):
        return (
            f"IP address {host} falls within translation range {network} (Teredo or NAT64), "
            f"whose IPv4 destination cannot be read from the address; {_NEVER_ALLOWED}"
        )
    return None


def _suffix_match(name: str, blocked_names: tuple[str, ...]) -> str | None:
    return next((b for b in blocked_names if name == b or name.endswith("." + b)), None)


def _name_problem(host: str, name: str, allow_private: bool) -> str | None:
    """What is wrong with hostname `host`; `name` is it lower-cased, without trailing dots."""
    if blocked := _suffix_match(name, _ALWAYS_BLOCKED_HOSTS):
        return (
            f"hostname {_quoted(host)} matches blocked internal hostname {_quoted(blocked)}; "
            f"{_NEVER_ALLOWED}"
        )
    if _suffix_match(name, _METADATA_HOSTS) or (
        name.startswith("instance-data.") and name.endswith(".internal")
    ):
        return f"hostname {_quoted(host)} is a cloud metadata endpoint; {_NEVER_ALLOWED}"
    if _suffix_match(name, _LOOPBACK_HOSTS):
        return f"hostname {_quoted(host)} is a loopback name; {_NEVER_ALLOWED}"
    if allow_private:
        return None
    if blocked := _suffix_match(name, _PRIVATE_HOSTS):
        return (
            f"hostname {_quoted(host)} matches blocked internal hostname {_quoted(blocked)}; "
            f"{_PRIVATE_FIX}"
        )
    if name.endswith(".svc"):
        return f'hostname {_quoted(host)} is an in-cluster service name (".svc"); {_PRIVATE_FIX}'
    if "." not in name:
        return (
            f"hostname {_quoted(host)} is a single label, which only the pod's DNS search "
            f"path resolves, to an in-cluster name; {_PRIVATE_FIX}"
        )
    return None


def check_remote_url(url: str, allow_private_endpoint: bool = False) -> Problem | None:
    """The Problem with `url` (what is wrong and how to fix it), or None when it is allowed."""
    try:
        _check(url, allow_private_endpoint)
    except _Refused as refused:
        return Problem(str(refused))
    return None


def _check(url: str, allow_private_endpoint: bool) -> None:
    if not url:
        raise _Refused("remote URL must not be empty")
    host = _host(url)
    name = host.rstrip(".").lower()
    if not name:
        raise _Refused("remote URL must have a valid host")
    address: _Address | None = None
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if all(_NUMERIC_LABEL.fullmatch(label) for label in name.split(".")):
            raise _Refused(
                f"remote URL host is not allowed: host {_quoted(host)} is an IPv4 address in a "
                "non-standard form (hexadecimal, octal or fewer than four numbers), which some "
                "resolvers read as another address (127.1 as 127.0.0.1); write it as four "
                "decimal numbers, a.b.c.d, or use a DNS name"
            ) from None
    if address is None:
        problem = _name_problem(host, name, allow_private_endpoint)
    else:
        problem = _ip_problem(host, address, allow_private_endpoint)
    if problem:
        raise _Refused(f"remote URL host is not allowed: {problem}")
