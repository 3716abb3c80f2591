"""A small Kubernetes API client for the cluster's own machinery (kubelet, controllers,
kube-proxy): plain JSON over HTTP with a bearer token, as they talk to a real API server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from tests.cluster.kinds import Kind

__all__ = ["ApiClient", "ApiError"]


class ApiError(Exception):
    """A refused request: the HTTP status and the API's Status body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body.get('message', body)}")
        self.status = status
        self.body = body

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))


class ApiClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.token = token

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body)
        async with self.session.request(
            method, self.base_url + path, data=data, params=params, headers=headers
        ) as response:
            text = await response.text()
            payload: dict[str, Any] = json.loads(text) if text else {}
            if response.status >= 400:
                raise ApiError(response.status, payload)
            return payload

    async def get(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        return await self.request("GET", kind.path(namespace, name))

    async def find(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            return await self.get(kind, namespace, name)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def list(
        self, kind: Kind, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        params = {"labelSelector": label_selector} if label_selector else None
        result = await self.request("GET", kind.path(namespace), params=params)
        items: list[dict[str, Any]] = result.get("items", [])
        return items

    async def create(
        self, kind: Kind, namespace: str | None, body: dict[str, Any]
    ) -> dict[str, Any]:
        return await self.request("POST", kind.path(namespace), body=body)

    async def patch(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        body: dict[str, Any],
        subresource: str | None = None,
    ) -> dict[str, Any]:
        return await self.request(
            "PATCH",
            kind.path(namespace, name, subresource),
            body=body,
            content_type="application/merge-patch+json",
        )

    async def delete(
        self, kind: Kind, namespace: str | None, name: str, grace_period_seconds: int | None = None
    ) -> dict[str, Any]:
        params = (
            None
            if grace_period_seconds is None
            else {"gracePeriodSeconds": str(grace_period_seconds)}
        )
        return await self.request("DELETE", kind.path(namespace, name), params=params)

    async def watch(
        self,
        kind: Kind,
        namespace: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Watch events: every existing object as ADDED, then changes as they happen. One
        long watch (an hour, longer than any test), so no deletion falls between two."""
        headers = {"Authorization": f"Bearer {self.token}"}
        params = {"watch": "true", "timeoutSeconds": "3600"}
        while True:
            try:
                async with self.session.get(
                    self.base_url + kind.path(namespace),
                    params=params,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=None),
                ) as response:
                    if response.status >= 400:
                        raise ApiError(response.status, json.loads(await response.text()))
                    async for line in response.content:
                        if line.strip():
                            event: dict[str, Any] = json.loads(line)
                            yield event
            except (TimeoutError, aiohttp.ClientError):
                await asyncio.sleep(0.2)
