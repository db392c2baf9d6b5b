"""The component's refusals: a `pulumi.RunError`, so the engine prints the message alone.

`ComponentError` is raised before the component registers whenever the refusal can be made
then (bad arguments, an explicit provider without a kubeconfig, a group that renders to nothing
usable), so a refused component leaves nothing in the state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import pulumi

from vmcp_components.errors import VmcpError


class ComponentError(VmcpError, pulumi.RunError):
    """The component refuses its arguments or its group; the engine prints the message alone.

    A `pulumi.RunError`, so `pulumi up` shows the message without a Python traceback.
    """


def refuse_a_second_cluster(vmcp: str, opts: pulumi.ResourceOptions | None) -> None:
    """Refuse an explicit kubernetes provider without a kubeconfig, before registering.

    Discovery must list the cluster the provider writes to, and with an explicit provider
    only the caller knows which cluster that is. The provider is the one the children would
    get: from `provider`/`providers`, else inherited from the parent.
    """
    if opts is None or not _explicit_kubernetes_provider(opts):
        return
    raise ComponentError(
        f"VirtualMCPServer {vmcp}: an explicit kubernetes provider was given but no "
        "kubeconfig, so discovery cannot know which cluster to list. Pass the provider's "
        "kubeconfig (and context) to the component as `kubeconfig`/`context`, or drop the "
        "explicit provider and set `kubernetes:kubeconfig`/`kubernetes:context` in the stack "
        "config for the default provider."
    )


def _explicit_kubernetes_provider(opts: pulumi.ResourceOptions) -> bool:
    providers: list[object] = [opts.provider]
    given: object = opts.providers
    if isinstance(given, Mapping):
        providers += list(cast("Mapping[str, object]", given).values())
    elif isinstance(given, list | tuple):
        providers += list(cast("Sequence[object]", given))
    if any(isinstance(p, pulumi.ProviderResource) and p.package == "kubernetes" for p in providers):
        return True
    parent = opts.parent
    return parent is not None and parent.get_provider("kubernetes::") is not None
