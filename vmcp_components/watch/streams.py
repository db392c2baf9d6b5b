"""The watches: one lightkube async watch per kind, resumed from its last version, relisted on 410.

`follow` lists a kind once, then watches it from the list's resourceVersion; after any
disconnection it resumes from the last version it saw (backing off 0.5 s to 4 s); `410 Gone`
(that version is too old) means a fresh list, which the sink diffs against what it held, so
deletions missed while disconnected are seen too. Every call into the sink happens on the event
loop, so the sink needs no lock.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from lightkube import ApiError, AsyncClient

from vmcp_components.kube.resources import RESOURCES

WATCH_TIMEOUT = 300
"""Seconds the API server keeps one watch request open (it then resumes from the version)."""


class Sink(Protocol):
    """Where a watch reports (the watcher)."""

    def listed(self, kind: str, objects: list[dict[str, Any]], version: str) -> None:
        """A fresh list of `kind` at `version`."""
        ...

    def changed(self, kind: str, event: str, obj: dict[str, Any]) -> None:
        """One event (ADDED, MODIFIED, DELETED) on an object of `kind`."""
        ...

    def connection(self, kind: str, state: str, **fields: Any) -> None:
        """The watch of `kind` is `watching`, `relist` or `reconnecting`."""
        ...


def gone(error: BaseException) -> bool:
    """The API server answered 410 Gone: the version is too old to resume from."""
    if isinstance(error, ApiError):
        return error.status.code == 410
    response = getattr(error, "response", None)  # an HTTP status error from lightkube's client
    return getattr(response, "status_code", None) == 410


async def _list(client: AsyncClient, kind: str, namespace: str, sink: Sink) -> str:
    listed = client.list(RESOURCES[kind], namespace=namespace)  # pyright: ignore[reportUnknownMemberType]
    objects = [obj.to_dict() async for obj in listed]
    version: str = listed.resourceVersion  # known once the list was read, even when empty
    sink.listed(kind, objects, version)
    return version


async def follow(client: AsyncClient, kind: str, namespace: str, sink: Sink) -> None:
    """Keep `sink` in step with the objects of `kind` in `namespace`, until cancelled."""
    version: str | None = None
    errors = 0
    while True:
        try:
            if version is None:
                version = await _list(client, kind, namespace, sink)
            sink.connection(kind, "watching")
            async for event, obj in client.watch(  # pyright: ignore[reportUnknownMemberType]
                RESOURCES[kind],
                namespace=namespace,
                resource_version=version,
                server_timeout=WATCH_TIMEOUT,
            ):
                errors = 0
                body = obj.to_dict()
                version = body["metadata"].get("resourceVersion") or version
                if event in ("ADDED", "MODIFIED", "DELETED"):
                    sink.changed(kind, event, body)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure: resume or relist
            if gone(error):
                sink.connection(kind, "relist", reason="410 Gone", version=version)
                version = None
                continue
            errors += 1
            delay = min(0.5 * 2 ** (errors - 1), 4.0)
            sink.connection(
                kind,
                "reconnecting",
                version=version,
                error=f"{type(error).__name__}: {error}"[:300],
                retryIn=delay,
            )
            await asyncio.sleep(delay)
