"""Go parity for remote URLs: a URL is judged on the host Go's net/url finds in it.

Every row was produced by running Go 1.26.8's `url.Parse` (the toolchain ToolHive's go.mod asks
for; vmcp reads config.yaml with it) on the URL: either the error it returned, or its
`Hostname()`. Checks: a URL Go refuses is refused here; a URL Go accepts is judged exactly as
its Go host alone is (so the SSRF rules see the host vmcp will dial), and accepted when that
host is public; the few URLs Go accepts that are refused on purpose, with the reason.
"""

from __future__ import annotations

import pytest

from vmcp_components.core.backends.remote_url import check_remote_url


def _verdict(url: str) -> str | None:
    problem = check_remote_url(url)
    return None if problem is None else problem.reason


def _bare(host: str) -> str:
    return f"https://[{host}]/" if ":" in host else f"https://{host}/"


# url.Parse returns an error for each of these.
GO_REFUSES = [
    "https://mcp example.com/mcp",  # invalid character " " in host name
    "https://mcp^example.com/mcp",
    "https://mcp|example.com/mcp",
    "https://mcp\\example.com/mcp",
    "https://mcp`example.com/mcp",
    "https://mcp{example.com/mcp",
    "https://mcp}example.com/mcp",
    "https://mcp%20example.com/mcp",  # invalid URL escape "%20"
    "https://mcp[example.com/mcp",  # invalid IP-literal
    "https://mcp:example.com/mcp",  # invalid port ":example.com" after host
    "https://mcp\x7fexample.com/mcp",  # net/url: invalid control character in URL
    "https://mcp\texample.com/mcp",
    "https://mcp\x00example.com/mcp",
    "https://mcp.example.com/a\r\nb",
    "https://mcp.example.com/a\nb",
    "https://mcp.example.com/\tx",
    "https://mcp.example.com/%zz",  # invalid URL escape "%zz"
    "https://mcp.example.com/%2",
    "https://mcp.example.com/#%zz",
    "https://mcp.example.com:8443x/",  # invalid port ":8443x" after host
    "https://mcp.example.com:-1/",
    "https://mcp.example.com:+1/",
    "https://mcp.example.com: 1/",
    "https://a:b:8443/",  # invalid port ":b:8443" after host
    "https://::1:8443/",
    "https://[2001:db8::1]x/",  # invalid port "x" after host
    "https://[2001:db8::1/",  # missing ']' in host
    "https://2001:db8::1]/",
    "https://a[2001:db8::1]/",  # invalid IP-literal
    "https://[2001:db8::1]]/",  # invalid host: ParseAddr(...)
    "https://[8.8.8.8]/",  # invalid IP-literal
    "https://[::ffff:08.8.8.8]/",  # IPv4 field has octet with leading zero
    "https://[::ffff:8.8.8]/",  # IPv4 address too short
    "https://[02001:db8::1]/",  # each group must have 4 or less digits
    "https://[2001:db8::1::2]/",  # multiple :: in address
    "https://[::1:2:3:4:5:6:7:8]/",  # the :: must expand to at least one field of zeros
    "https://[1:2:3:4:5:6:7:8:9]/",  # trailing garbage after address
    "https://[]/",  # unable to parse IP
    "https://[:]/",
    "https://[2001:db8::g]/",
    "https://mcp.example.com\\@evil.example.org/",  # net/url: invalid userinfo
    "https://user:pa ss@mcp.example.com/",
    " https://mcp.example.com/",  # first path segment in URL cannot contain colon
    "https ://mcp.example.com/",
    "1https://mcp.example.com/",
]


@pytest.mark.parametrize("url", GO_REFUSES)
def test_urls_go_refuses_are_refused(url: str) -> None:
    assert _verdict(url) is not None


# url.Parse accepts each of these, with this Hostname(), and the host is public.
GO_PUBLIC_HOSTS = [
    ("https://mcp.example.com:/", "mcp.example.com"),
    ("https://mcp.example.com:08443/", "mcp.example.com"),
    ("https://mcp.example.com./", "mcp.example.com."),
    ("https://[2001:db8::1]:/", "2001:db8::1"),
    ("https://[2001:DB8::1]/", "2001:DB8::1"),
    ("https://[1:2:3:4:5:6:7::]/", "1:2:3:4:5:6:7::"),
    ("https://[::ffff:8.8.8.8]/", "::ffff:8.8.8.8"),
    ("HTTPS://mcp.example.com/", "mcp.example.com"),
    ("Https://MCP.Example.COM/", "MCP.Example.COM"),
    ("https://MCP.EXAMPLE.COM:8443/mcp?x=1#y", "MCP.EXAMPLE.COM"),
    ("https://mcp.example.com#frag", "mcp.example.com"),
    ("https://mcp.example.com?x", "mcp.example.com"),
    ("https://mcp.example.com?x#y", "mcp.example.com"),
    ("https://mcp.example.com/?q=%zz", "mcp.example.com"),  # Go leaves the query unchecked
    ("https://mcp.example.com/a\\b", "mcp.example.com"),
    ("https://mcp.example.com/p%20q#f%41", "mcp.example.com"),
    ("https://mcp.example.com/\u00e9", "mcp.example.com"),  # sent as /%C3%A9, as meant
    # The punctuation Go's parseHost accepts in a host name.
    ('https://mcp"example.com/mcp', 'mcp"example.com'),
    ("https://mcp<example.com/mcp", "mcp<example.com"),
    ("https://mcp>example.com/mcp", "mcp>example.com"),
    ("https://mcp!example.com/mcp", "mcp!example.com"),
    ("https://mcp$example.com/mcp", "mcp$example.com"),
    ("https://mcp&example.com/mcp", "mcp&example.com"),
    ("https://mcp'example.com/mcp", "mcp'example.com"),
    ("https://mcp(example.com/mcp", "mcp(example.com"),
    ("https://mcp)example.com/mcp", "mcp)example.com"),
    ("https://mcp*example.com/mcp", "mcp*example.com"),
    ("https://mcp+example.com/mcp", "mcp+example.com"),
    ("https://mcp,example.com/mcp", "mcp,example.com"),
    ("https://mcp;example.com/mcp", "mcp;example.com"),
    ("https://mcp=example.com/mcp", "mcp=example.com"),
    ("https://mcp]example.com/mcp", "mcp]example.com"),
    ("https://mcp_example.com/mcp", "mcp_example.com"),
    ("https://mcp~example.com/mcp", "mcp~example.com"),
    ("https://mcp-example.com/mcp", "mcp-example.com"),
]

# url.Parse accepts each of these, with this Hostname(), and the host is blocked.
GO_BLOCKED_HOSTS = [
    ("http://localhost:/", "localhost"),
    ("HTTP://LOCALHOST/mcp", "LOCALHOST"),
    ("http://[::1]:/", "::1"),
    ("http://[0:0:0:0:0:0:0:1]:8080/", "0:0:0:0:0:0:0:1"),
    ("http://127.0.0.1:8080/", "127.0.0.1"),
    ("http://169.254.169.254:80/latest", "169.254.169.254"),
    ("http://[::ffff:7f00:1]/", "::ffff:7f00:1"),
    ("http://[::FFFF:169.254.169.254]/", "::FFFF:169.254.169.254"),
    ("http://10.0.0.1:/", "10.0.0.1"),
    ("http://a.svc.cluster.local:8080?x#y", "a.svc.cluster.local"),
    ("http://127.1:80/", "127.1"),
    ("http://2130706433/", "2130706433"),
    ("http://[64:ff9b::7f00:1]:80/", "64:ff9b::7f00:1"),
    ("http://metadata.google.internal./", "metadata.google.internal."),
]


@pytest.mark.parametrize(("url", "go_host"), GO_PUBLIC_HOSTS + GO_BLOCKED_HOSTS)
def test_a_url_go_accepts_is_judged_on_the_host_go_finds(url: str, go_host: str) -> None:
    assert _verdict(url) == _verdict(_bare(go_host))


@pytest.mark.parametrize(("url", "go_host"), GO_PUBLIC_HOSTS)
def test_a_url_go_accepts_with_a_public_host_is_allowed(url: str, go_host: str) -> None:
    assert _verdict(url) is None


@pytest.mark.parametrize(("url", "go_host"), GO_BLOCKED_HOSTS)
def test_a_url_go_accepts_with_a_blocked_host_is_refused(url: str, go_host: str) -> None:
    assert _verdict(url) is not None


# url.Parse accepts each of these (Hostname() in the comment); refused here on purpose.
STRICTER_THAN_GO = [
    # "mcp%example.com", "mcpäexample.com": escapes in a host only spell non-ASCII or "%".
    ("https://mcp%25example.com/mcp", "remote URL is invalid: percent-escapes are not allowed"),
    ("https://mcp%c3%a4example.com/mcp", "remote URL is invalid: percent-escapes are not allowed"),
    # "mcpäexample.com": IDNA maps non-ASCII names before the lookup.
    ("https://mcp\u00e4example.com/mcp", 'remote URL host is not allowed: host "mcp\\u00e4'),
    # "::1%lo", "fe80::1%en0": the controller's net.ParseIP cannot read a zone.
    ("http://[::1%25lo]/", "remote URL host is not allowed: the IPv6 address has a zone"),
    ("https://[fe80::1%25en0]:80/", "remote URL host is not allowed: the IPv6 address has a zone"),
    # "" and ".": Go's HTTP client dials the local machine for an empty host.
    ("https://:8443/", "remote URL must have a valid host"),
    ("https://./", "remote URL must have a valid host"),
    # "mcp.example.com": Go checks no control character after "#"; no port above 65535.
    ("https://mcp.example.com/#\x01", "remote URL is invalid: control character U+0001"),
    ("https://mcp.example.com:99999/", "remote URL is invalid: the port after the host"),
    # "mcp.example.com", with an empty user: user information is refused outright.
    ("https://@mcp.example.com/", "remote URL must not contain user information"),
    # "mcp.example.com": Go's HTTP client would not send these as written. RequestURI() is
    # "/sse%20", "/%20" and "/a%20b" for a space in the path (a trailing one usually came with
    # the YAML quotes), "/a%C2%A0b" for a no-break space; a space or a raw "é" in the query
    # is sent as is, which is not a valid HTTP request line.
    ("https://mcp.example.com/sse ", "remote URL is invalid: whitespace before or after the URL"),
    ("https://mcp.example.com/ ", "remote URL is invalid: whitespace before or after the URL"),
    ("https://mcp.example.com/a b", "remote URL is invalid: whitespace (U+0020) at character 26"),
    ("https://mcp.example.com/a\u00a0b", "remote URL is invalid: whitespace (U+00A0) at"),
    ("https://mcp.example.com/?q=a b", "remote URL is invalid: whitespace (U+0020) at"),
    ("https://mcp.example.com/?q=\u00e9", "remote URL is invalid: non-ASCII characters in the"),
]


@pytest.mark.parametrize(("url", "reason"), STRICTER_THAN_GO)
def test_urls_refused_on_purpose_though_go_accepts_them(url: str, reason: str) -> None:
    message = _verdict(url)
    assert message is not None
    assert message.startswith(reason)


@pytest.mark.parametrize(
    "url", ["https://user:hunter2@mcp.example.com/ ", " https://user:hunter2@mcp.example.com/"]
)
def test_surrounding_whitespace_is_refused_without_echoing_the_url(url: str) -> None:
    message = _verdict(url)
    assert message == (
        "remote URL is invalid: whitespace before or after the URL; remove it (in YAML, spaces "
        "inside quotes are kept)"
    )
