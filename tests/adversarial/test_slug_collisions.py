"""Slug collisions: two users never share a persistent directory, a pod or a Service.

KubeSpawner's safe slug (``{safe_username}``, ``{user_server}``) ends in a 32-bit hash: a
birthday pair of valid user names is found here in well under a second of CPU time. Under
that scheme both names mount one directory and get one pod name; under the hub's keys
(``hub_runtime.slugs``, 128-bit hashes) they do not. The real hub accepts both names as two
accounts; the pods are rendered by KubeSpawner itself from the ``dev`` app's settings.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from kubespawner.slugs import multi_slug, safe_slug

from hub_runtime.preview import render_user_objects
from hub_runtime.settings import HubSettings
from tests.adversarial.kit import Hub, KeyPair, claims, running_hub, sign
from tests.support.processes import dev_settings

pytestmark = pytest.mark.slow  # a real hub and proxy (tests/adversarial/kit.py)

KEY = KeyPair("rsa")
# KubeSpawner 7.1 (_expand_user_properties): slugs of at most 48 characters.
OLD_SLUG_CHARS = 48
# Valid user names that KubeSpawner reduces to one readable part, "a-b-c-…": they differ
# only in the separators, which the old slug replaces by "-" and leaves to the hash.
SEPARATORS = ".@+-_"
LETTERS = "alicesmith"


def old_user_key(name: str) -> str:
    """``{user}`` before: KubeSpawner's ``{safe_username}``."""
    return str(safe_slug(name, max_length=OLD_SLUG_CHARS))


def old_pod_name(name: str, server: str = "") -> str:
    """KubeSpawner's pod name, ``jupyter-{user_server}``, under the safe scheme."""
    user = old_user_key(name)
    if not server:
        return f"jupyter-{user}"
    safe_server = safe_slug(server, max_length=OLD_SLUG_CHARS)
    if len(user) + len(safe_server) + 2 > OLD_SLUG_CHARS:
        return f"jupyter-{multi_slug([name, server], max_length=OLD_SLUG_CHARS)}"
    return f"jupyter-{user}--{safe_server}"


def names() -> Iterator[str]:
    template = "{}".join(LETTERS)
    for separators in itertools.product(SEPARATORS, repeat=len(LETTERS) - 1):
        yield template.format(*separators)


def birthday_pair(old_hash: Callable[[str], bytes]) -> tuple[str, str, int]:
    """Two of :func:`names` whose old 32-bit hashes are equal: the first repeat."""
    seen: dict[bytes, str] = {}
    for count, name in enumerate(names(), 1):
        digest = old_hash(name)
        other = seen.get(digest)
        if other is not None:
            return other, name, count
        seen[digest] = name
    raise AssertionError("no pair")


def user_hash(name: str) -> bytes:
    """What KubeSpawner's safe slug hashes for a user name (it keeps 8 hex digits)."""
    return hashlib.sha256(name.encode()).digest()[:4]


def user_server_hash(server: str) -> Callable[[str], bytes]:
    """What KubeSpawner's multi_slug hashes for a user and a server name."""
    return lambda name: hashlib.sha256(name.encode() + b"\xff" + server.encode()).digest()[:4]


@pytest.fixture(scope="module")
def search() -> tuple[str, str, int, float]:
    # CPU time: what the search costs, whatever else the machine runs.
    start = time.process_time()
    first, second, tried = birthday_pair(user_hash)
    return first, second, tried, time.process_time() - start


@pytest.fixture(scope="module")
def pair(search: tuple[str, str, int, float]) -> tuple[str, str]:
    return search[0], search[1]


@pytest.fixture(scope="module")
def settings() -> HubSettings:
    return dev_settings()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("slugs"), [KEY]) as running:
        yield running


def _objects(settings: HubSettings, user: str) -> tuple[str, str, str]:
    """(pod name, persistent subPath, Service name) KubeSpawner renders for ``user``."""
    pod, service = render_user_objects(
        settings, namespace="jupyterhub", user=user, admin=False, profile="standard-notebook"
    )
    mounts = {m["name"]: m for m in pod["spec"]["containers"][0]["volumeMounts"]}
    return pod["metadata"]["name"], mounts["persistent"]["subPath"], service["metadata"]["name"]


def test_birthday_pair_in_well_under_a_second(
    search: tuple[str, str, int, float], report: Callable[[str, str], None]
) -> None:
    first, second, tried, elapsed = search
    report(
        "birthday pair of the old 32-bit slug hash",
        f"{first!r} and {second!r} after {tried} names in {elapsed:.2f} s of CPU",
    )
    assert elapsed < 1.0


def _pod_name(settings: HubSettings, user: str, server: str) -> str:
    return str(
        render_user_objects(
            settings,
            namespace="jupyterhub",
            user=user,
            admin=False,
            profile="standard-notebook",
            server=server,
        )[0]["metadata"]["name"]
    )


def test_old_scheme_gives_both_one_directory_and_pod(
    pair: tuple[str, str], report: Callable[[str, str], None]
) -> None:
    first, second = pair
    report(
        "old scheme", f"both {old_user_key(first)!r} (directory) and {old_pod_name(first)!r} (pod)"
    )
    assert first != second
    assert old_user_key(first) == old_user_key(second)
    assert old_pod_name(first) == old_pod_name(second)


def test_both_names_are_accounts(
    hub: Hub, pair: tuple[str, str], report: Callable[[str, str], None]
) -> None:
    """The names are valid user names: the hub makes two accounts of them."""
    logged_in = []
    for name in pair:
        session = requests.Session()
        assert (
            hub.login(
                name, sign(KEY.private, claims(name), "RS256", kid="rsa"), session=session
            ).status_code
            == 302
        )
        logged_in.append(hub.whoami(session))
    report("log in as both names", f"two accounts: {logged_in}")
    assert logged_in == list(pair)


def test_new_keys_separate_them(
    pair: tuple[str, str], settings: HubSettings, report: Callable[[str, str], None]
) -> None:
    first, second = (_objects(settings, name) for name in pair)
    report(
        "spawn both",
        f"old: one directory {old_user_key(pair[0])!r} and one pod "
        f"{old_pod_name(pair[0])!r}; new: directories {first[1]!r} and "
        f"{second[1]!r}, pods {first[0]!r} and {second[0]!r}",
    )
    for mine, theirs in zip(first, second, strict=True):
        assert mine != theirs
    for pod_name, _, service_name in (first, second):
        assert pod_name == service_name and len(pod_name) <= 63


def test_named_servers_of_two_users_get_two_pods(
    settings: HubSettings, report: Callable[[str, str], None]
) -> None:
    """A long server name makes KubeSpawner hash user and server together, also in 32 bits."""
    server = "experiment.with.a.rather.long.server.name"
    start = time.process_time()
    first, second, tried = birthday_pair(user_server_hash(server))
    elapsed = time.process_time() - start
    new = [_pod_name(settings, name, server) for name in (first, second)]
    report(
        "birthday pair of named servers' pod names",
        f"{first!r} and {second!r} after {tried} names in {elapsed:.2f} s of CPU: old one pod "
        f"{old_pod_name(first, server)!r}; new {new}",
    )
    assert elapsed < 1.0
    assert old_pod_name(first, server) == old_pod_name(second, server)
    assert new[0] != new[1]


def test_plain_names_keep_their_directory(settings: HubSettings) -> None:
    """A name that is already a DNS label is its own key, as before: no move needed."""
    for name in ("alice", "bob-smith", "x1"):
        assert old_user_key(name) == name
        assert _objects(settings, name)[1] == name
