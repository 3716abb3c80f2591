"""KubeSpawner's reflector with :class:`hub_runtime.kube_watch.RawWatch`, against the test
cluster's API (``tests/cluster/api.py``): its watch restarts (every second here) make no API
client, and it still follows what is created and deleted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio.client import Configuration, api_client
from kubespawner import reflector

from hub_runtime.kube_watch import RawWatch, use_raw_watches
from tests.cluster.client import ApiClient
from tests.cluster.kinds import kind_of
from tests.cluster.served import served_api

CONFIG_MAP = kind_of("ConfigMap")


class _ConfigMapReflector(reflector.ResourceReflector):  # type: ignore[misc]
    # KubeSpawner's PodReflector and EventReflector differ from this only in what they list.
    kind = "configmaps"
    list_method_name = "list_namespaced_config_map"


async def _until(check: Callable[[], bool]) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not reached within 10 s")


async def _reflect(clients: list[object], watches: list[object]) -> dict[str, Any]:
    """The reflector's resources after "a" and "b" were created and "a" deleted across
    restarts of its watch (``clients`` and ``watches``: those made, as counted)."""
    previous = Configuration.get_default_copy()
    try:
        async with (
            served_api(CONFIG_MAP, "ns") as (_, url, token),
            aiohttp.ClientSession() as session,
        ):
            configuration = Configuration(host=url)
            configuration.api_key = {"BearerToken": token}
            configuration.api_key_prefix = {"BearerToken": "Bearer"}
            Configuration.set_default(configuration)
            client = ApiClient(session, url, token)
            await client.create(CONFIG_MAP, "ns", {"metadata": {"name": "a"}})
            watcher = _ConfigMapReflector(namespace="ns", timeout_seconds=1)
            await watcher.start()
            try:
                await _until(lambda: "ns/a" in watcher.resources)
                # A few restarts of the watch, each a new Watch.
                await _until(lambda: len(watches) >= 3)
                clients.clear()
                await client.create(CONFIG_MAP, "ns", {"metadata": {"name": "b"}})
                await client.delete(CONFIG_MAP, "ns", "a")
                await _until(lambda: set(watcher.resources) == {"ns/b"})
                await _until(lambda: len(watches) >= 6)
            finally:
                await watcher.stop()
            return dict(watcher.resources)
    finally:
        Configuration.set_default(previous)


def _counting(init: Callable[..., None], made: list[object]) -> Callable[..., None]:
    def counted(self: object, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        init(self, *args, **kwargs)

    return counted


def test_watch_restarts_make_no_api_client_and_follow_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Restored after the test: the hub's launcher sets it for the hub's whole process.
    monkeypatch.setattr(reflector, "watch", reflector.watch)
    use_raw_watches()
    clients: list[object] = []
    watches: list[object] = []
    for counted, made in ((api_client.ApiClient, clients), (RawWatch, watches)):
        monkeypatch.setattr(counted, "__init__", _counting(counted.__init__, made))
    resources = asyncio.run(_reflect(clients, watches))
    assert len(watches) >= 6
    # Only the reflector's shared client was made, before the count was reset.
    assert clients == []
    assert set(resources) == {"ns/b"}
    assert resources["ns/b"]["metadata"]["name"] == "b"


def test_events_keep_the_api_objects_as_dicts() -> None:
    watch = RawWatch()
    event = watch.unmarshal_event(
        '{"type": "ADDED", "object": {"kind": "Pod", "metadata": {"name": "p", '
        '"resourceVersion": "7"}}}',
        watch.get_return_type(None),
    )
    assert event["object"] is event["raw_object"]
    assert event["object"]["metadata"]["name"] == "p"
    assert watch.resource_version == "7"
