"""Hub CPU per login through the real proxy: header login with JWT proof, header login alone
(the runtime without the proof) and JupyterHub's stock DummyAuthenticator form login.

Three deployments (each a configurable-http-proxy and a hub with the same dev settings) run
side by side. In each round every side does one block of the same number of logins (fresh
session per login, the same distinct users, all created beforehand), in an order that rotates
from round to round. The hub's CPU time (utime + stime from /proc) is read before and after
each block; tokens are signed before any timing. A form login is its page (for the _xsrf
token) and its POST: both are counted, and the POST alone is shown too. Prints per side the
median hub CPU per login with its spread over the rounds, the per-round ratios, latency, the
peak RSS of the proxies and hubs, and the JWT verification's own cost (measured in this
process). Target: header login at most 0.7x a form login's hub CPU.

After its logins, each block makes one cookie-authenticated API request per session
(``GET /hub/api/user``), timed apart: the header hubs check the settings on every request
(:class:`hub_runtime.revocation.SettingsEnforcement`), the form hub's stock authenticator
does not. The check alone (access and admin on a user of a JupyterHub database in memory)
is timed in this process too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub_runtime.jwt_proof import JwtVerifier
from hub_runtime.revocation import SettingsEnforcement
from hub_runtime.settings import JwtSettings
from tests.support.processes import (
    AUDIENCE,
    ISSUER,
    Deployment,
    KeyPair,
    deployment,
    exit_on_sigterm,
    jwks_server,
)

CLIENTS, BLOCK, ROUNDS, USERS = 20, 400, 7, 200
TARGET = 0.7
# The form login's stock authenticator, everything else as the header hubs have it.
FORM_CONFIG = 'c.JupyterHub.authenticator_class = "dummy"\nc.DummyAuthenticator.allow_all = True\n'
# With --profile: each hub profiles the CPU time of its main thread from SIGUSR2 to exit.
PROFILE_CONFIG = """
import atexit, cProfile, signal, time
_profile = cProfile.Profile(time.process_time)
signal.signal(signal.SIGUSR2, lambda *_: _profile.enable())
atexit.register(lambda: (_profile.disable(), _profile.dump_stats({path!r})))
"""
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (not of its children), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


class PeakRss:
    """Samples VmRSS of the given pids every 50 ms."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self.peak = pids, dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for name, pid in self.pids.items():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peak[name] = max(self.peak[name], int(line.split()[1]))
                except OSError:
                    pass

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {name: kib / 1024 for name, kib in self.peak.items()}


# One step of a login on an open session: True when the hub answered as it should.
Step = Callable[[aiohttp.ClientSession], Awaitable[bool]]
# The phase after the logins: one authenticated request per session, not part of a login.
REQUEST = "request"


@dataclass
class Phase:
    """What one block measures: per login, the steps done in this phase."""

    name: str
    steps: list[Step]


@dataclass
class Side:
    name: str
    hub: Deployment
    # The phases of one block of logins (users given); the form login has two.
    phases: Callable[[Deployment, list[str]], list[Phase]]
    cpu: dict[str, list[float]] = field(default_factory=dict)  # ms per login, per phase
    latency: list[float] = field(default_factory=list)  # p50 ms of each block
    errors: int = 0


def header_phases(token: Callable[[str], str]) -> Callable[[Deployment, list[str]], list[Phase]]:
    """One GET /hub/login with the user header and a signed token; the hub without proof
    ignores the token, so both header sides are sent the same kind of request."""

    def phases(hub: Deployment, users: list[str]) -> list[Phase]:
        def step(user: str) -> Step:
            headers = {"X-Auth-Request-User": user, "Authorization": f"Bearer {token(user)}"}

            async def get(session: aiohttp.ClientSession) -> bool:
                url = f"{hub.proxy_url}/hub/login"
                async with session.get(url, headers=headers, allow_redirects=False) as response:
                    await response.read()
                    return response.status == 302

            return get

        return [Phase("login", [step(user) for user in users]), request_phase(hub, users)]

    return phases


def request_phase(hub: Deployment, users: list[str]) -> Phase:
    """Each logged-in session asks who it is, with its cookie and XSRF token."""

    async def get(session: aiohttp.ClientSession) -> bool:
        xsrf = next((c.value for c in session.cookie_jar if c.key == "_xsrf"), "")
        url = f"{hub.proxy_url}/hub/api/user"
        async with session.get(url, headers={"X-XSRFToken": xsrf}) as response:
            await response.read()
            return response.status == 200

    return Phase(REQUEST, [get for _ in users])


def form_phases(hub: Deployment, users: list[str]) -> list[Phase]:
    """The login page (its _xsrf token), then the POST of the form."""
    xsrf: dict[int, str] = {}

    def page(index: int) -> Step:
        async def get(session: aiohttp.ClientSession) -> bool:
            async with session.get(f"{hub.proxy_url}/hub/login") as response:
                text = await response.text()
            xsrf[index] = text.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
            return response.status == 200

        return get

    def post(index: int, user: str) -> Step:
        async def send(session: aiohttp.ClientSession) -> bool:
            async with session.post(
                f"{hub.proxy_url}/hub/login?next=",
                allow_redirects=False,
                data={"username": user, "password": "x", "_xsrf": xsrf.pop(index, "")},
            ) as response:
                await response.read()
                return response.status == 302

        return send

    return [
        Phase("page", [page(i) for i in range(len(users))]),
        Phase("post", [post(i, user) for i, user in enumerate(users)]),
        request_phase(hub, users),
    ]


async def run_block(side: Side, users: list[str], measure: bool) -> None:
    """One block of logins on ``side``: each phase CLIENTS at a time, hub CPU around each."""
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    sessions = [
        aiohttp.ClientSession(
            connector=connector, connector_owner=False, cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        for _ in users
    ]
    latencies = [0.0] * len(users)
    assert side.hub.hub is not None
    try:
        for phase in side.phases(side.hub, users):
            queue = list(enumerate(phase.steps))
            queue.reverse()

            async def client(queue: list[tuple[int, Step]] = queue) -> None:
                while queue:
                    index, step = queue.pop()
                    start = time.perf_counter()
                    try:
                        ok = await step(sessions[index])
                    except (aiohttp.ClientError, IndexError):
                        ok = False
                    latencies[index] += time.perf_counter() - start
                    side.errors += not ok

            before = cpu_seconds(side.hub.hub.pid)
            await asyncio.gather(*(client() for _ in range(CLIENTS)))
            spent = cpu_seconds(side.hub.hub.pid) - before
            if measure:
                side.cpu.setdefault(phase.name, []).append(spent * 1000 / len(users))
    finally:
        for session in sessions:
            await session.close()
        await connector.close()
    if measure:
        side.latency.append(statistics.median(latencies) * 1000)


def total_cpu(side: Side) -> list[float]:
    """CPU per whole login in each round: the sum of the login's phases."""
    logins = [values for phase, values in side.cpu.items() if phase != REQUEST]
    return [sum(values) for values in zip(*logins, strict=True)]


def enforcement_micro(rounds: int, calls: int = 2000) -> list[float]:
    """The per-request settings check alone (``access_problem`` and the admin check of
    ``refresh_user``), per call (ms of this process's CPU), on a user of a JupyterHub
    database in memory, with allowed users, blocked users and admins configured."""
    from jupyterhub import orm, roles
    from jupyterhub.user import User

    db = orm.new_session_factory("sqlite://")()
    for role in roles.get_default_roles():
        roles.create_role(db, role)
    orm_user = orm.User(name="user000")
    db.add(orm_user)
    db.commit()
    roles.assign_default_roles(db, entity=orm_user)
    db.commit()
    user = User(orm_user, {})
    authenticator = SettingsEnforcement(
        allowed_users={f"user{i:03d}" for i in range(USERS)},
        blocked_users={"blocked"},
        admin_users={"admin"},
    )

    async def blocks() -> list[float]:
        costs = []
        for _ in range(rounds):
            start = time.process_time()
            for _ in range(calls):
                assert await authenticator.access_problem(user) is None
                authenticator._sync_admin(user, None)
            costs.append((time.process_time() - start) * 1000 / calls)
        return costs

    return asyncio.run(blocks())


def spread(values: Sequence[float]) -> str:
    q1, _, q3 = statistics.quantiles(values, n=4)
    return (
        f"{statistics.median(values):6.2f}  IQR {q1:5.2f}-{q3:5.2f}  "
        f"range {min(values):5.2f}-{max(values):5.2f}"
    )


def jwt_micro(jwks_url: str, tokens: list[str], rounds: int) -> list[float]:
    """JwtVerifier.verify alone, per call (ms of this process's CPU), in ``rounds`` blocks;
    the JWKS is fetched before the first block, as a running hub has it cached."""
    settings = JwtSettings(
        issuer=ISSUER,
        audience=AUDIENCE,
        user_claim="preferred_username",
        jwks_url=jwks_url,
        public_key=None,
        algorithms=("RS256",),
        leeway=0,
        max_lifetime=3600,
        groups_claim="groups",
        jwks_max_age_seconds=300,
    )

    async def blocks() -> list[float]:
        verifier = JwtVerifier(settings)
        await verifier.verify(tokens[0])
        costs = []
        for _ in range(rounds):
            start = time.process_time()
            for token in tokens:
                await verifier.verify(token)
            costs.append((time.process_time() - start) * 1000 / len(tokens))
        return costs

    return asyncio.run(blocks())


@contextmanager
def sides(
    tmp: Path, key: KeyPair, tokens: dict[str, deque[str]], profile: Path | None
) -> Iterator[list[Side]]:
    with ExitStack() as stack:
        jwks_url = stack.enter_context(jwks_server([key]))

        def fresh(user: str) -> str:
            return tokens[user].popleft()

        fixed = {user: queue[0] for user, queue in tokens.items()}

        def extra(name: str) -> str:
            return PROFILE_CONFIG.format(path=str(profile / f"{name}.prof")) if profile else ""

        jwt_hub = stack.enter_context(deployment(tmp / "jwt", jwks_url, extra_config=extra("jwt")))
        header_hub = stack.enter_context(
            deployment(tmp / "header", None, extra_config=extra("header"))
        )
        form_hub = stack.enter_context(
            deployment(tmp / "form", None, extra_config=FORM_CONFIG + extra("form"))
        )
        yield [
            # A fresh token for every login, as the auth proxy sends; any for the other.
            Side("header + JWT (HeaderAuthenticator)", jwt_hub, header_phases(fresh)),
            Side("header alone (no proof)", header_hub, header_phases(fixed.__getitem__)),
            Side("form (DummyAuthenticator)", form_hub, form_phases),
        ]


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="blocks per side (>= 5)")
    parser.add_argument("--block", type=int, default=BLOCK, help="logins per block")
    parser.add_argument(
        "--profile",
        type=Path,
        help="directory: each hub writes a cProfile of its logins there (the figures then "
        "include the profiler's overhead)",
    )
    args = parser.parse_args()
    if args.rounds < 5:
        parser.error("--rounds: at least 5 (medians of fewer say little)")
    users = [f"user{i:03d}" for i in range(USERS)]
    block = [users[i % USERS] for i in range(args.block)]
    key = KeyPair()
    # Every token the header+JWT side sends, signed before anything is timed.
    signed = users + [user for _ in range(args.rounds) for user in block]
    tokens: dict[str, deque[str]] = {user: deque() for user in users}
    for user in signed:
        tokens[user].append(key.token(user, expires_in=3600))
    micro_tokens = [tokens[user][-1] for user in block]

    with tempfile.TemporaryDirectory() as tmp, sides(Path(tmp), key, tokens, args.profile) as all_:
        pids = {}
        for side in all_:
            assert side.hub.proxy is not None and side.hub.hub is not None
            pids[f"{side.name} proxy"] = side.hub.proxy.pid
            pids[f"{side.name} hub"] = side.hub.hub.pid
        # Every user logs in once on every side first: the measured logins find them all.
        for side in all_:
            asyncio.run(run_block(side, users, measure=False))
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            for side in all_:
                assert side.hub.hub is not None
                os.kill(side.hub.hub.pid, signal.SIGUSR2)
        rss = PeakRss(pids)
        for round_ in range(args.rounds):
            shift = round_ % len(all_)
            for side in all_[shift:] + all_[:shift]:
                asyncio.run(run_block(side, block, measure=True))
        peak = rss.stop()
    with jwks_server([key]) as url:
        micro = jwt_micro(url, micro_tokens, args.rounds)
    check = enforcement_micro(args.rounds)

    jwt_side, header_side, form_side = all_
    print(
        f"{args.rounds} interleaved rounds; per round each side {args.block} logins, "
        f"{CLIENTS} concurrent, fresh session per login, through configurable-http-proxy"
    )
    print("hub CPU per login, ms (median over rounds, interquartile range, range):")
    for side in all_:
        print(f"  {side.name:<36} {spread(total_cpu(side))}")
        if len(side.cpu) > 2:
            for phase, values in side.cpu.items():
                if phase != REQUEST:
                    print(f"    {phase:<34} {spread(values)}")
    form = total_cpu(form_side)
    post = form_side.cpu["post"]
    for side in (jwt_side, header_side):
        ratios = [a / b for a, b in zip(total_cpu(side), form, strict=True)]
        strict = [a / b for a, b in zip(total_cpu(side), post, strict=True)]
        print(
            f"ratio {side.name} / form login: median {statistics.median(ratios):.2f} "
            f"(rounds {min(ratios):.2f}-{max(ratios):.2f}; target <= {TARGET}); "
            f"/ form POST alone: {statistics.median(strict):.2f} "
            f"({min(strict):.2f}-{max(strict):.2f})"
        )
    share = [a - b for a, b in zip(total_cpu(jwt_side), total_cpu(header_side), strict=True)]
    print(
        f"JWT proof in the hub (header+JWT minus header alone, per round): median "
        f"{statistics.median(share):.2f} ms ({min(share):.2f} to {max(share):.2f}); "
        f"JwtVerifier.verify alone: {spread(micro)} ms per call"
    )
    print("hub CPU per cookie-authenticated GET /hub/api/user after the login, ms:")
    for side in all_:
        print(f"  {side.name:<36} {spread(side.cpu[REQUEST])}")
    extra = [a - b for a, b in zip(jwt_side.cpu[REQUEST], form_side.cpu[REQUEST], strict=True)]
    print(
        f"per request, header+JWT minus form (the settings checked, and the header compared): "
        f"median {statistics.median(extra):.3f} ms ({min(extra):.3f} to {max(extra):.3f}); "
        f"the settings check alone: {spread([c * 1000 for c in check])} µs per call"
    )
    print("login and request latency p50 per block, ms (median over rounds, range); errors:")
    for side in all_:
        values = side.latency
        print(
            f"  {side.name:<36} {statistics.median(values):6.1f}  "
            f"({min(values):.1f}-{max(values):.1f})  errors {side.errors}"
        )
    print("peak RSS, MiB: " + ", ".join(f"{name} {mib:.1f}" for name, mib in peak.items()))
    for name in ("jwt", "header", "form") if args.profile else ():
        print(f"--- {name} hub, CPU time by function (tottime) ---")
        pstats.Stats(str(args.profile / f"{name}.prof")).sort_stats("tottime").print_stats(30)
    errors = sum(side.errors for side in all_)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
