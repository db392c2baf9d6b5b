"""An entry's CA bundle: found, parsed once per render, and usable as Go's TLS trust anchors.

vMCP appends the mounted PEM to its root pool (`AppendCertsFromPEM`) and Go's `crypto/x509`
verifies the backend's certificate against it. So a bundle is refused when it cannot work or
should not be there: no certificate that parses, a private key (never echoed), a certificate
outside its validity period at `now` (Go checks the dates of the root too), or a certificate
that cannot anchor trust. A bundle with a certificate that expires within `EXPIRY_WARNING`
gives a warning. One `CABundles` serves one render: a bundle shared by many entries is parsed
and checked once, keyed by ConfigMap and key (the inventory does not change during a render).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509

from vmcp_components.core import naming
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.references import ConfigMapKeyUse
from vmcp_components.errors import Problem, echo, listing

EXPIRY_WARNING = timedelta(days=30)
"""A certificate that expires sooner than this after `now` gives a warning."""
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


@dataclass(frozen=True)
class BundleVerdict:
    """The outcome for one ConfigMap key: the Problem that refuses it, else its warnings."""

    problem: Problem | None = None
    warnings: tuple[str, ...] = ()


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _described(cert: x509.Certificate) -> str:
    return (
        f"certificate {echo(cert.subject.rfc4514_string())} (valid "
        f"{_when(cert.not_valid_before_utc)} to {_when(cert.not_valid_after_utc)})"
    )


def _can_anchor(cert: x509.Certificate) -> bool:
    """Whether Go's verifier can use `cert` from the root pool.

    Go never requires a root to be a CA, but it checks a signature only with a parent that may
    sign (`CheckSignatureFrom`): a v1 certificate, or a v3 one with basicConstraints CA true and
    no keyUsage without keyCertSign. A certificate that may not sign works only when the server
    presents that very certificate; it is accepted when self-signed (a pinned server
    certificate), and refused otherwise: a server certificate issued by some CA is almost always
    pasted in place of that CA's certificate.
    """
    if cert.subject == cert.issuer or cert.version == x509.Version.v1:
        return True
    extensions = cert.extensions
    try:
        constraints = extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return constraints.ca
    return constraints.ca and usage.key_cert_sign


def _certificate_problem(cert: x509.Certificate, now: datetime) -> str | None:
    """What keeps `cert` from serving as a trust anchor at `now`, with the fix; None if nothing."""
    if now < cert.not_valid_before_utc:
        return f"{_described(cert)} is not valid yet; use a certificate that is valid now"
    if now > cert.not_valid_after_utc:
        return f"{_described(cert)} has expired; replace it with a current certificate"
    try:
        anchors = _can_anchor(cert)
    except ValueError:
        return f"{_described(cert)} has extensions that do not parse; replace it"
    if not anchors:
        return (
            f"{_described(cert)} is neither a CA certificate (basicConstraints CA true, "
            "keyCertSign allowed) nor self-signed, so TLS verification cannot trust a server "
            "with it; put the certificate of the CA that issued it in the bundle instead"
        )
    return None


def _others(count: int, what: str) -> str:
    return f"; {count} more certificate(s) in the bundle {what} too" if count else ""


def _content_verdict(pem: str, where: str, now: datetime) -> BundleVerdict:
    """The verdict on the PEM text of one bundle: one parse, then every certificate checked."""
    if _PRIVATE_KEY.search(pem):
        return BundleVerdict(
            Problem(
                f"{where} holds a private key (a '-----BEGIN ... PRIVATE KEY-----' block); a CA "
                "bundle must hold certificates only: remove the key from the ConfigMap and "
                "replace the key, since anyone who can read the ConfigMap could read it"
            )
        )
    try:
        certificates = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return BundleVerdict(Problem(f"{where} holds no PEM certificate that parses"))
    problems = [p for cert in certificates if (p := _certificate_problem(cert, now))]
    if problems:
        others = _others(len(problems) - 1, "cannot be used")
        return BundleVerdict(Problem(f"{where}: {problems[0]}{others}"))
    expiring = [cert for cert in certificates if cert.not_valid_after_utc - now < EXPIRY_WARNING]
    if not expiring:
        return BundleVerdict()
    first = min(expiring, key=lambda cert: cert.not_valid_after_utc)
    days = (first.not_valid_after_utc - now).days
    others = _others(len(expiring) - 1, f"expire within {EXPIRY_WARNING.days} days")
    return BundleVerdict(
        warnings=(
            f"{where}: {_described(first)} expires in {days} day(s); replace it before then, "
            f"or TLS to the backend fails{others}",
        )
    )


def _path_problem(entry: str, use: ConfigMapKeyUse) -> Problem | None:
    """A `caBundlePath` with `..` or NUL anywhere, which vMCP refuses (config/validator.go)."""
    path = naming.ca_bundle_path(entry, use.key)
    if "\x00" in path or ".." in path:
        return Problem(
            f'CA bundle ConfigMap "{use.config_map}" key "{use.key}" gives caBundlePath '
            f"{echo(path)}, which vMCP refuses (it contains '..' or NUL); rename the key and set "
            "caBundleRef.configMapRef.key to the new name"
        )
    return None


@dataclass
class CABundles:
    """The CA bundle checks of one render, at `now` (timezone-aware); each key checked once."""

    inventory: Inventory
    now: datetime
    _verdicts: dict[tuple[str, str], BundleVerdict] = field(
        default_factory=dict[tuple[str, str], BundleVerdict], init=False, repr=False
    )

    def check(self, entry: str, use: ConfigMapKeyUse) -> BundleVerdict:
        """Whether `entry` can mount the bundle `use`, and the warnings about its content."""
        if problem := _path_problem(entry, use):
            return BundleVerdict(problem)
        cached = self._verdicts.get((use.config_map, use.key))
        if cached is None:
            cached = self._verdicts[use.config_map, use.key] = self._verdict(use)
        return cached

    def _verdict(self, use: ConfigMapKeyUse) -> BundleVerdict:
        data = self.inventory.config_maps.get(use.config_map)
        if data is None:
            return BundleVerdict(
                Problem(
                    f'CA bundle ConfigMap "{use.config_map}" not found in namespace '
                    f'"{self.inventory.namespace}"; create it there, or fix '
                    "caBundleRef.configMapRef.name"
                )
            )
        pem = data.get(use.key)
        if pem is None:
            return BundleVerdict(
                Problem(
                    f'CA bundle ConfigMap "{use.config_map}" has no key "{use.key}"; its keys '
                    f"are {listing(data)}: add the key, or set caBundleRef.configMapRef.key to "
                    "one of them"
                )
            )
        where = f'CA bundle ConfigMap "{use.config_map}" key "{use.key}"'
        return _content_verdict(pem, where, self.now)
