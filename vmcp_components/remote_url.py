"""SSRF and form rules for an entry's remoteUrl.

The URL lands verbatim in config.yaml, where the vMCP binary reads it with Go's `url.Parse`
(Go 1.26, as ToolHive builds it). So it must first parse as Go's net/url parses it: no control
characters, a host made of the bytes Go accepts, at most one colon outside brackets, only IPv6
inside brackets, well-formed percent-escapes in the path and fragment. No user information
either: it would be copied into the ConfigMap and the stack outputs.

Then the host is checked as the ToolHive entry controller checks it, with its messages. No DNS
resolution and no network: literal IPs are checked against blocked ranges, hostnames against
blocked internal names. `allowPrivateEndpoint` relaxes RFC 1918, ULA and `*.cluster.local`,
never loopback, link-local, metadata or the Kubernetes API service.

Echoed values are cut to `_ECHO_LIMIT` characters and never include the user information.
"""

from __future__ import annotations

import ipaddress
import json
import re

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

_ECHO_LIMIT = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Go's getScheme: a letter, then letters, digits, "+", "-" or "."; a URL without one has none.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PORT = re.compile(r"[0-9]*")
# The ASCII bytes other than letters and digits that Go's net/url accepts in a host name.
_HOST_PUNCTUATION = frozenset("!\"$&'()*+,-.;<=>]_~")


class RemoteURLError(ValueError):
    """The remote URL is malformed or points somewhere an entry may not reach."""


def _quoted(value: str) -> str:
    """`value` as a double-quoted, escaped string of at most `_ECHO_LIMIT` characters inside."""
    inner = json.dumps(value)[1:-1]
    if len(inner) > _ECHO_LIMIT:
        inner = inner[:_ECHO_LIMIT] + "..."
    return f'"{inner}"'


def _invalid(detail: str) -> RemoteURLError:
    return RemoteURLError(f"remote URL is invalid: {detail}")


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
        raise RemoteURLError(
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
        raise RemoteURLError(
            f"remote URL host is not allowed: host {_quoted(host)} has non-ASCII characters, "
            "which HTTP clients map to other names (IDNA) before resolving, so it may name an "
            "internal host; write it in ASCII, an international name in its xn-- punycode form"
        )
    return host


def _host(url: str) -> str:
    """The host of `url` as written (no brackets, no port) once the URL parses as Go's does."""
    if control := _CONTROL.search(url):
        raise _invalid(
            f"control character U+{ord(control[0]):04X} at character {control.start() + 1}; "
            "remove it (tabs and line breaks are not allowed anywhere in a URL)"
        )
    rest, _, fragment = url.partition("#")
    scheme = _SCHEME.match(rest)
    if scheme is None or scheme[0][:-1].lower() not in ("http", "https"):
        got = scheme[0][:-1].lower() if scheme else ""
        raise RemoteURLError(f"remote URL must use http or https scheme, got {_quoted(got)}")
    rest = rest[scheme.end() :].partition("?")[0]
    _check_escapes(fragment, "fragment")
    if not rest.startswith("//"):
        return ""
    authority, slash, path = rest[2:].partition("/")
    _check_escapes(slash + path, "path")
    if "@" in authority:
        raise RemoteURLError(
            "remote URL must not contain user information (user:password@ before the host): "
            "it would be copied into config.yaml and the stack outputs; remove it and pass "
            "credentials with externalAuthConfigRef or headerForward.addHeadersFromSecret"
        )
    if authority.startswith("["):
        return _bracketed_host(authority)
    return _plain_host(authority)


def _blocked_ip(host: str, allow_private: bool) -> str | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    networks = _ALWAYS_BLOCKED_NETS + (() if allow_private else _PRIVATE_NETS)
    for network in networks:
        if address.version == network.version and address in network:
            return f"IP address {host} falls within blocked range {network}"
    return ""


def _blocked_hostname(host: str, allow_private: bool) -> str | None:
    lowered = host.lower().rstrip(".")
    names = _ALWAYS_BLOCKED_HOSTS + (() if allow_private else _PRIVATE_HOSTS)
    for name in names:
        if lowered == name or lowered.endswith("." + name):
            return f"hostname {_quoted(host)} matches blocked internal hostname {_quoted(name)}"
    return None


def check_remote_url(url: str, allow_private_endpoint: bool = False) -> None:
    """Raise RemoteURLError, saying what is wrong and how to fix it, when `url` is not allowed."""
    if not url:
        raise RemoteURLError("remote URL must not be empty")
    host = _host(url)
    if not host.rstrip("."):
        raise RemoteURLError("remote URL must have a valid host")
    detail = _blocked_ip(host, allow_private_endpoint)
    if detail is None:
        detail = _blocked_hostname(host, allow_private_endpoint)
    if detail:
        raise RemoteURLError(f"remote URL host is not allowed: {detail}")
