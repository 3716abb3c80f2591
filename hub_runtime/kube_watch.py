"""KubeSpawner's watches without a new API client at each restart.

KubeSpawner 7.0's reflectors (``kubespawner/reflector.py``,
``ResourceReflector._watch_and_update``) make a new ``kubernetes_asyncio`` ``Watch`` for each
watch they start: they ask the API to end every watch after 10 s (``timeout_seconds``), then
list and watch again, and the hub runs two (pods and events), so twelve a minute. In
kubernetes_asyncio 36.1 ``Watch.__init__`` (``watch/watch.py``) makes an ``ApiClient`` of its
own, whose ``RESTClientObject`` (``client/rest.py``) builds an SSL context loading the
system's CA certificates (``ssl.create_default_context``, 17 ms of CPU each here) and an
aiohttp session, and ``Watch.close`` closes them again. Neither ever sends a request: the
reflector's list and watch go through its shared client (``kubespawner/clients.py``,
``shared_client``). The ``Watch`` would use its client only to turn events into models
(``unmarshal_event``), and does not for KubeSpawner, whose ``functools.partial`` of the list
method names no return type (``_find_return_type``); the reflector reads
``event["raw_object"]`` and ``event["type"]``.

:class:`RawWatch` is that ``Watch`` without a client of its own;
:func:`use_raw_watches` has KubeSpawner's reflectors use it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kubernetes_asyncio import watch

__all__ = ["RawWatch", "use_raw_watches"]


class RawWatch(watch.Watch):
    """A ``Watch`` whose events keep the API's objects as dicts (``event["object"]`` is
    ``event["raw_object"]``), with no ``ApiClient`` of its own: for KubeSpawner's reflectors,
    which read nothing else."""

    def __init__(self, return_type: str | None = None) -> None:
        # Watch.__init__ but its ApiClient.
        self._raw_return_type = return_type
        self._stop = False
        self._api_client = None  # type: ignore[assignment]
        self.resource_version = None
        self.resp = None

    def get_return_type(self, func: Any) -> str:
        # Never a model (there is no client to make one): unmarshal_event then leaves the
        # object a dict and takes the resource version from its metadata.
        return ""

    async def close(self) -> None:
        # Watch.close but its ApiClient's.
        if self.resp is not None:
            self.resp.release()
            self.resp = None


def use_raw_watches() -> None:
    """Have KubeSpawner's reflectors make a :class:`RawWatch` at each restart of a watch:
    ``watch.Watch()`` is the one use of the name ``watch`` in ``kubespawner.reflector``."""
    from kubespawner import reflector

    reflector.watch = SimpleNamespace(Watch=RawWatch)
