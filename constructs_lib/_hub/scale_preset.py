"""Settings derived from how many users a hub expects: the scale presets."""

from __future__ import annotations

import dataclasses
from typing import TypeVar

from constructs import Construct

from constructs_lib._core._derived import Derived
from constructs_lib._core._errors import invalid
from constructs_lib._pods.pod import Resources
from constructs_lib._proxies.proxy import ProxyOptions
from hub_runtime.frozen import frozen
from hub_runtime.quantity import memory_bytes, millicores
from hub_runtime.settings import HubSettings

__all__ = ["ScalePreset"]

# The user server's own setting (jupyterhub-singleuser reads it at start).
USER_ACTIVITY_ENV = "JUPYTERHUB_ACTIVITY_INTERVAL"
_MIB = 2**20
# Any proxy's options: only CHProxy's change.
_Options = TypeVar("_Options")


@frozen(kw_only=True)
class ScalePreset:
    """What a hub of ``expected_users`` users (all of whom may be running at once) with
    bursts of ``expected_concurrent_spawns`` spawns needs, as derived values. Made by
    ``JupyterHub(expected_users=..., expected_concurrent_spawns=...)``; each property says
    why and where its rule comes from. Figures "measured" are ``scripts/bench_scale_hub.py``'s
    (docs/guide/scale.md).

    Fields:
        expected_users: users who may have a server running at the same time; at least 1.
        expected_concurrent_spawns: servers started at once at the busiest moment (the start
            of a class); at least 1, at most ``expected_users``; default
            ``Derived.FROM_USERS``: a tenth of the users, at least 10 and at most 500 (a
            class of 500 starting within a minute is the largest burst reported).
    """

    expected_users: int
    expected_concurrent_spawns: int | Derived = Derived.FROM_USERS

    @classmethod
    def of(
        cls, scope: Construct, expected_users: int, expected_concurrent_spawns: int | Derived
    ) -> ScalePreset:
        """Checked: an error names the prop, the value and what is allowed."""
        if isinstance(expected_users, bool) or not isinstance(expected_users, int):
            raise invalid(scope, "expected_users", expected_users, "must be a whole number")
        if expected_users < 1:
            raise invalid(scope, "expected_users", expected_users, "must be at least 1")
        spawns = expected_concurrent_spawns
        if spawns is not Derived.FROM_USERS:
            if isinstance(spawns, bool) or not isinstance(spawns, int) or spawns < 1:
                raise invalid(
                    scope,
                    "expected_concurrent_spawns",
                    spawns,
                    "must be a whole number, at least 1",
                )
            if spawns > expected_users:
                raise invalid(
                    scope,
                    "expected_concurrent_spawns",
                    spawns,
                    f"must be at most expected_users ({expected_users})",
                )
        return cls(expected_users=expected_users, expected_concurrent_spawns=spawns)

    @property
    def concurrent_spawns(self) -> int:
        """The burst the hub is sized for: ``expected_concurrent_spawns``, else a tenth of
        the users within [10, 500] (and never more than the users)."""
        if isinstance(self.expected_concurrent_spawns, int):
            return self.expected_concurrent_spawns
        return min(self.expected_users, max(10, min(self.expected_users // 10, 500)))

    @property
    def concurrent_spawn_limit(self) -> int:
        """JupyterHub's ``concurrent_spawn_limit``: the expected burst, plus a quarter.

        Why: a spawn past the limit is answered 429 with a Retry-After of 30-60 s
        (JupyterHub 5.5 ``handlers/base.py``, ``spawn_throttle_retry_range``), so a limit
        below the burst turns a class's start into minutes of retries; no limit lets a
        runaway client queue thousands of spawns, each holding a Kubernetes watch and a
        database session. Source: JupyterHub's default 100, z2jh's 64
        (``hub.concurrentSpawnLimit``)."""
        return self.concurrent_spawns + max(1, self.concurrent_spawns // 4)

    def activity_interval_seconds(self, proxy_seconds: int) -> int:
        """The hub's ``last_activity_interval`` (its poll of every route of the proxy, then
        a database write per active user): one user per 20 ms of it, at least the proxy's own
        interval, at most 300 s.

        Why: each poll costs the hub CPU in proportion to the running servers (measured:
        about 1 ms per route); at 1,000 servers every 10 s that is a tenth of the hub's one
        core, the "activity storm" of Discourse t/5433. Source: JupyterHub's default 300 s
        (``JupyterHub.last_activity_interval``), z2jh's 60 s; the proxy's interval (60 s)
        bounds how long a route lost with a restarted in-memory proxy stays lost, so it is
        the floor."""
        return max(proxy_seconds, min(300, self.expected_users // 50))

    @property
    def user_activity_interval_seconds(self) -> int:
        """The user servers' ``JUPYTERHUB_ACTIVITY_INTERVAL``: 90 ms per user, at least 300 s
        (jupyterhub-singleuser's default, up to 3,333 users), at most 900 s: from there to
        10,000 users the hub gets about 11 reports a second.

        Why: every server POSTs its activity to the hub at this interval, so the hub gets
        users / interval requests a second (10,000 users at 300 s: 33/s). The idle culler
        culls after an hour without activity (z2jh's ``cull.timeout``, 3600 s): 900 s keeps
        four reports within it. Source: ``jupyterhub/singleuser/extension.py``
        (``hub_activity_interval``)."""
        return max(300, min(900, self.expected_users * 9 // 100))

    @property
    def culler_concurrency(self) -> int:
        """The idle culler's ``--concurrency``, at least: 10 (its default) up to 5,000
        users, then one per 500 users, at most 50.

        Why: the culler lists every user each round and stops idle servers with this many
        requests in flight; at 10 a class's worth of idle servers at 10,000 users takes
        rounds to stop, while more than the hub's spawn limit would compete with spawns.
        Source: jupyterhub-idle-culler's ``--concurrency`` (default 10; z2jh's
        ``cull.concurrency``)."""
        return max(10, min(50, self.expected_users // 500))

    @property
    def init_spawners_timeout_seconds(self) -> int:
        """JupyterHub's ``init_spawners_timeout``: 10 s (its default) below 1,000 users,
        then 1 s.

        Why: at start the hub checks every running server before it serves; past this
        timeout it serves while the checks finish in the background. At 1,000 running
        servers the checks take longer than 10 s (measured), and users wait for none of
        them: 1 s lets the hub answer at once. Source: JupyterHub 5.5
        ``JupyterHub.init_spawners_timeout`` (1 is the least it takes); jupyterhub#2928
        (a 50,000-user hub took over 15 minutes to start)."""
        return 10 if self.expected_users < 1000 else 1

    @property
    def hub_cpu_request_millicores(self) -> int:
        """The hub's CPU request: a millicore per user, at least 100, at most a whole core.

        Why: JupyterHub is one Python process, so it never uses more than one core
        (Discourse t/5433); at 1,000 users a spawn burst and the activity reports keep it
        busy (measured), and a request below what it uses lets the node's other pods
        squeeze it. Source: z2jh leaves ``hub.resources`` empty; the reference's 10m is
        for a handful of users."""
        return max(100, min(1000, self.expected_users))

    @property
    def proxy_memory_limit_bytes(self) -> int:
        """The proxy's memory limit: 256 MiB, plus 64 KiB per user.

        Why: configurable-http-proxy keeps every route and open websocket in memory and
        has grown to gigabytes and stalled (chp#388, #434); 256 MiB is this library's
        default (CHP peaked at 94 MiB under 20 logins), the per-user margin covers a
        route, its socket buffers and the trie (measured RSS per route is far below).
        10,000 users: about 881 MiB."""
        return 256 * _MIB + self.expected_users * 64 * 1024

    @property
    def proxy_memory_request_bytes(self) -> int:
        """The proxy's memory request: half its limit (Node.js's heap grows to what it is
        given; the request is what the scheduler reserves)."""
        return self.proxy_memory_limit_bytes // 2

    def proxy_min_replicas(self, shared_routes: bool) -> int:
        """The proxy's least replicas: 2 from 1,000 users when routes are shared (Redis),
        else 1.

        Why: with in-memory routes a second replica has a route table of its own
        (``CHProxy``: exactly 1); with routes in Redis a second replica keeps a class
        connected while one restarts. Source: z2jh runs one CHP (``proxy.chp``), the
        traefik-proxy benchmarks (Traefik ~3.7x CHP's requests per second) for more."""
        return 2 if shared_routes and self.expected_users >= 1000 else 1

    def apply(self, settings: HubSettings, proxy_seconds: int | None) -> HubSettings:
        """The hub settings with the preset's values: the spawn limit, the hub's activity
        interval (unless ``proxy_seconds`` is None: one set explicitly), the users'
        activity interval (unless their environment sets one), the culler's concurrency
        (raised, never lowered) and ``init_spawners_timeout``."""
        env = dict(settings.spawner.env)
        env.setdefault(USER_ACTIVITY_ENV, str(self.user_activity_interval_seconds))
        culler = dataclasses.replace(
            settings.culler, concurrency=max(settings.culler.concurrency, self.culler_concurrency)
        )
        interval = settings.activity_interval_seconds
        if proxy_seconds is not None:
            interval = self.activity_interval_seconds(proxy_seconds)
        return dataclasses.replace(
            settings,
            concurrent_spawn_limit=self.concurrent_spawn_limit,
            activity_interval_seconds=interval,
            spawner=dataclasses.replace(settings.spawner, env=dict(sorted(env.items()))),
            culler=culler,
            init_spawners_timeout_seconds=self.init_spawners_timeout_seconds,
        )

    def hub_resources(self, resources: Resources) -> Resources:
        """The hub's resources with the CPU request raised to the preset's (and the limit to
        at least the request); never lowered."""
        request = max(millicores(resources.cpu_request), self.hub_cpu_request_millicores)
        limit = max(millicores(resources.cpu_limit), request)
        return dataclasses.replace(resources, cpu_request=f"{request}m", cpu_limit=f"{limit}m")

    def proxy_options(self, options: _Options) -> _Options:
        """CHProxy's options with memory and least replicas raised to the preset's (never
        lowered); another proxy's unchanged (IstioProxy has no pods: the hub writes Istio's
        routes, and Envoy proxies; TraefikProxy's replicas share their routes and are sized
        by its own defaults)."""
        if not isinstance(options, ProxyOptions):
            return options
        resources = options.resources
        request = max(memory_bytes(resources.memory_request), self.proxy_memory_request_bytes)
        limit = max(memory_bytes(resources.memory_limit), self.proxy_memory_limit_bytes, request)
        replicas = max(
            options.autoscaling.min_replicas, self.proxy_min_replicas(options.routes.shared)
        )
        autoscaling = options.autoscaling
        if replicas != autoscaling.min_replicas:
            maximum = autoscaling.max_replicas
            if isinstance(maximum, int):
                maximum = max(maximum, replicas)
            autoscaling = dataclasses.replace(
                autoscaling, min_replicas=replicas, max_replicas=maximum
            )
        return dataclasses.replace(
            options,
            resources=dataclasses.replace(
                resources, memory_request=_mebibytes(request), memory_limit=_mebibytes(limit)
            ),
            autoscaling=autoscaling,
        )


def _mebibytes(size: int) -> str:
    return f"{-(-size // _MIB)}Mi"
