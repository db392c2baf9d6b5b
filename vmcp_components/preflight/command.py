"""`vmcp-components preflight`: the inventory (snapshot or cluster), the render, the probes.

The CLI hands over what `render` takes (the vMCP's name and arguments, and an inventory read
from a snapshot or, through `kube.discovery`, from the cluster); this module renders it with the
same `core.render` (so only backends render would include are probed), reads Secret values when
asked (`--with-secrets`, cluster only, in memory), and probes.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from lightkube import ApiError, Client
from lightkube.resources.core_v1 import Secret

from vmcp_components.core.backends.incoming_auth import incoming_references
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.errors import VmcpError
from vmcp_components.kube.discovery import ClusterDiscovery
from vmcp_components.kube.kubeconfig import load_kube_config
from vmcp_components.preflight.report import Report
from vmcp_components.preflight.runner import Settings, preflight
from vmcp_components.preflight.targets import targets_of


@dataclass(frozen=True)
class Cluster:
    """Which cluster to read: a kubeconfig (path or contents; None: $KUBECONFIG) and context."""

    kubeconfig: str | None = None
    context: str | None = None


def cluster_inventory(cluster: Cluster, args: VirtualMCPServerArgs) -> Inventory:
    """The group and what it references, listed from the cluster as the component lists it."""
    discovery = ClusterDiscovery(kubeconfig=cluster.kubeconfig, context=cluster.context)
    return discovery.fetch(
        args.namespace,
        args.group,
        args.entries,
        args.named_auth_configs(),
        incoming_references(args),
    )


def secret_values(
    cluster: Cluster, namespace: str, wanted: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """(Secret, key) -> value for the keys wanted, read from the cluster into memory only.

    A Secret or key that cannot be read is left out (the probe then says the header was left
    out); the error never carries a value.
    """
    client = Client(config=load_kube_config(cluster.kubeconfig, cluster.context))
    values: dict[tuple[str, str], str] = {}
    for name in sorted({secret for secret, _ in wanted}):
        try:
            secret: Any = client.get(Secret, name=name, namespace=namespace)
            data = cast("dict[str, str]", secret.data or {})
        except ApiError as error:
            if error.status.code == 404:
                continue
            raise VmcpError(f"cannot read Secret {name!r}: {error.status.message}") from None
        except OSError as error:
            raise VmcpError(f"cannot reach the cluster: {error}") from None
        for secret, key in wanted:
            if secret == name and key in data:
                values[secret, key] = base64.b64decode(data[key]).decode("utf-8", "replace")
    return values


def run(
    inventory: Inventory,
    name: str,
    args: VirtualMCPServerArgs,
    settings: Settings,
    secrets_from: Cluster | None = None,
) -> Report:
    """Render as `render` does (raising its VmcpError), then probe every included backend."""
    # The MCP client logs what it finds odd; the report says it, so no second copy on stderr.
    logging.getLogger("mcp").addHandler(logging.NullHandler())
    rendering = render(inventory, name, args)
    if secrets_from is not None:
        targets = targets_of(inventory, rendering.derivation.backends)
        wanted = [(h.secret, h.key) for t in targets for h in t.secret_headers]
        values = secret_values(secrets_from, args.namespace, wanted)
        settings = Settings(settings.timeout, settings.concurrency, values)
    return preflight(rendering, inventory, settings)
