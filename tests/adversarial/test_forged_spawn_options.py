"""Forged spawn options: a spawn request naming anything its profile does not offer (a free-form
value where the option takes none, a choice it does not list, a value that is not a string,
another profile's option, an unknown key, a profile that is not there or none at all, a body
that is not a JSON object) is a 400 at once, naming what was wrong, through the spawn form
(POST ``/hub/spawn``, and GET with options in the query) and the REST API (``POST
/hub/api/users/<name>/server`` and named servers) alike. Nothing is spawned and the hub logs
the refusal in one line, with no traceback.

The proxy and the hub are real; the spawner is DynamicKubeSpawner with minimal's profiles
(``standard-notebook`` offers an ``image`` choice of ``scipy`` or ``datascience``,
``gpu-notebook`` offers none) and a Kubernetes API nobody answers: a request that got past
the check would start a spawn (202 from the API, a redirect to the pending page from the
form), which the last test shows for the requests a user may make.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from markupsafe import escape

from hub_runtime.preview import UNREACHABLE_KUBECONFIG
from hub_runtime.settings import HubSettings, parse_settings
from tests.adversarial.kit import Hub
from tests.support.manifests import ROOT, read_manifests
from tests.support.processes import deployment

pytestmark = pytest.mark.slow  # a real hub and proxy (tests/adversarial/kit.py)

USER_HEADER = "X-Auth-Request-User"
PROFILES = "choose one of standard-notebook, gpu-notebook"
IMAGES = "choose one of scipy, datascience"
# The form field KubeSpawner's form names for standard-notebook's image option.
IMAGE_FIELD = "profile-option-standard-notebook--image"
# A request that got past the check fails its spawn at the unreachable API quickly.
SPAWNER_CONFIG = """
c.JupyterHub.spawner_class = "hub_runtime.spawner.DynamicKubeSpawner"
c.KubeSpawner.k8s_api_request_timeout = 1
c.KubeSpawner.k8s_api_request_retry_timeout = 2
c.KubeSpawner.start_timeout = 3
"""


def minimal_settings() -> HubSettings:
    config_map = next(
        m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "ConfigMap"
    )
    return parse_settings(config_map["data"]["settings.json"], source="dist/minimal")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    workdir = tmp_path_factory.mktemp("spawn-options")
    kubeconfig = workdir / "kubeconfig"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    with deployment(
        workdir / "hub",
        None,
        profiles=minimal_settings().profiles,
        extra_config=SPAWNER_CONFIG,
        proxy_env={"KUBECONFIG": str(kubeconfig)},
    ) as running:
        yield Hub(running)


def session(user: str) -> requests.Session:
    """A browser of ``user``'s (the auth proxy's header on every request), with the hub's
    XSRF cookie and header."""
    client = requests.Session()
    client.headers[USER_HEADER] = user
    return client


def xsrf(hub: Hub, client: requests.Session) -> str:
    client.get(f"{hub.proxy_url}/hub/spawn", timeout=30)
    return client.cookies.get("_xsrf", path="/hub/") or ""


def no_server(hub: Hub, user: str) -> bool:
    return not hub.running.api("GET", f"/users/{user}").json().get("servers")


def refusal_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Spawn option" in line]


# Each: (options a REST API client sends, the message the 400 carries).
API_ATTACKS: dict[str, tuple[Any, str]] = {
    "free-form image where the option takes none": (
        {"profile": "standard-notebook", "image--unlisted-choice": "evil/image:1"},
        "Spawn option 'image--unlisted-choice': profile 'standard-notebook' takes no "
        f"free-form Image ({IMAGES})",
    ),
    "empty free-form image": (
        {"profile": "standard-notebook", "image--unlisted-choice": ""},
        "Spawn option 'image--unlisted-choice': profile 'standard-notebook' takes no "
        f"free-form Image ({IMAGES})",
    ),
    "image not offered": (
        {"profile": "standard-notebook", "image": "../forged\n"},
        f"Spawn option 'image': profile 'standard-notebook' has no Image '../forged\\n' ({IMAGES})",
    ),
    "image as a list": (
        {"profile": "standard-notebook", "image": ["scipy"]},
        f"Spawn option 'image': must be a string ({IMAGES}), got an array",
    ),
    "image as null": (
        {"profile": "standard-notebook", "image": None},
        f"Spawn option 'image': must be a string ({IMAGES}), got null",
    ),
    "profile as a number": (
        {"profile": 5},
        f"Spawn option 'profile': must be a string ({PROFILES}), got a number",
    ),
    "another profile's option": (
        {"profile": "gpu-notebook", "image": "datascience"},
        "Spawn option 'image': profile 'gpu-notebook' has no such option (it has none; "
        "'image' is an option of 'standard-notebook')",
    ),
    "unknown option": (
        {"profile": "standard-notebook", "cpu_limit": "64"},
        "Spawn option 'cpu_limit': profile 'standard-notebook' has no such option (its "
        "options: image)",
    ),
    "option name forging a log line": (
        {"profile": "standard-notebook", "x\n[I 2031 base:1] admin": "y"},
        "Spawn option 'x\\n[I 2031 base:1] admin': profile 'standard-notebook' has no such "
        "option (its options: image)",
    ),
    "unknown profile": (
        {"profile": "root-notebook"},
        f"Spawn option 'profile': no profile 'root-notebook' ({PROFILES})",
    ),
    "no profile": (
        {"image": "datascience"},
        f"Spawn option 'profile': missing ({PROFILES})",
    ),
}

# Bodies that are not a JSON object: (body, the message).
BODIES: dict[str, tuple[bytes, str]] = {
    "not JSON": (
        b'{"profile": ',
        "Request body is not JSON in UTF-8: Expecting value: line 1 column 13 (char 12)",
    ),
    "not UTF-8": (
        b'{"profile": "\xff"}',
        "Request body is not JSON in UTF-8: 'utf-8' codec can't decode byte 0xff in "
        "position 13: invalid start byte",
    ),
    "an array": (b'["standard-notebook"]', "Request body must be a JSON object, got an array"),
    "a string": (b'"standard-notebook"', "Request body must be a JSON object, got a string"),
    "a number": (b"5", "Request body must be a JSON object, got a number"),
}


def api_spawn(
    hub: Hub, user: str, server: str, *, body: bytes | None = None, options: Any = None
) -> requests.Response:
    path = f"/hub/api/users/{user}/server" + (f"s/{server}" if server else "")
    client = session(user)
    token = xsrf(hub, client)
    data = body if body is not None else json.dumps(options).encode()
    return client.post(
        f"{hub.proxy_url}{path}",
        data=data,
        headers={"X-XSRFToken": token, "Content-Type": "application/json"},
        timeout=30,
    )


def refused_at_once(
    hub: Hub, send: Callable[[], requests.Response], user: str
) -> tuple[requests.Response, str, float]:
    mark = hub.log_size()
    started = time.monotonic()
    response = send()
    took = time.monotonic() - started
    return response, hub.log_since(mark), took


@pytest.mark.parametrize("server", ["", "work"], ids=["default server", "named server"])
@pytest.mark.parametrize("attack", list(API_ATTACKS))
def test_api_refuses_forged_options(
    hub: Hub, attack: str, server: str, report: Callable[[str, str], None]
) -> None:
    options, message = API_ATTACKS[attack]
    response, log, took = refused_at_once(
        hub, lambda: api_spawn(hub, "alice", server, options=options), "alice"
    )
    where = "named server" if server else "default server"
    report(f"API ({where}), {attack}", f"{response.status_code} in {took:.2f} s")
    assert response.status_code == 400, (response.status_code, response.text[:500], log)
    assert response.json()["message"] == message
    assert no_server(hub, "alice")
    assert "Traceback" not in log, log
    assert len(refusal_lines(log)) == 1, log


@pytest.mark.parametrize("attack", list(BODIES))
def test_api_refuses_a_body_that_is_not_an_object(
    hub: Hub, attack: str, report: Callable[[str, str], None]
) -> None:
    body, message = BODIES[attack]
    response, log, took = refused_at_once(
        hub, lambda: api_spawn(hub, "alice", "", body=body), "alice"
    )
    report(f"API, {attack}", f"{response.status_code} in {took:.2f} s: {response.text[:160]}")
    assert response.status_code == 400, (response.status_code, response.text[:500], log)
    assert response.json()["message"] == message
    assert no_server(hub, "alice")
    assert "Traceback" not in log, log


# Each: (the form's fields, the message the form shows again with its 400).
FORM_ATTACKS: dict[str, tuple[dict[str, str], str]] = {
    "free-form image where the option takes none": (
        {"profile": "standard-notebook", f"{IMAGE_FIELD}--unlisted-choice": "evil/image:1"},
        API_ATTACKS["free-form image where the option takes none"][1],
    ),
    "image not offered": (
        {"profile": "standard-notebook", IMAGE_FIELD: "../forged\n"},
        API_ATTACKS["image not offered"][1],
    ),
    "another profile's option": (
        {"profile": "gpu-notebook", "profile-option-gpu-notebook--image": "datascience"},
        API_ATTACKS["another profile's option"][1],
    ),
    "unknown option": (
        {"profile": "standard-notebook", "profile-option-standard-notebook--cpu_limit": "64"},
        API_ATTACKS["unknown option"][1],
    ),
    "unknown profile": ({"profile": "root-notebook"}, API_ATTACKS["unknown profile"][1]),
    "options without a profile": (
        {IMAGE_FIELD: "datascience"},
        f"Spawn option 'profile': missing ({PROFILES})",
    ),
}


@pytest.mark.parametrize("server", ["", "work"], ids=["default server", "named server"])
@pytest.mark.parametrize("attack", list(FORM_ATTACKS))
def test_form_refuses_forged_options(
    hub: Hub, attack: str, server: str, report: Callable[[str, str], None]
) -> None:
    fields, message = FORM_ATTACKS[attack]
    client = session("bob")
    token = xsrf(hub, client)
    path = "/hub/spawn" + (f"/bob/{server}" if server else "")
    response, log, took = refused_at_once(
        hub,
        lambda: client.post(
            f"{hub.proxy_url}{path}",
            data={"_xsrf": token, **fields},
            allow_redirects=False,
            timeout=30,
        ),
        "bob",
    )
    where = "named server" if server else "default server"
    report(f"form ({where}), {attack}", f"{response.status_code} in {took:.2f} s")
    assert response.status_code == 400, (response.status_code, response.text[:500], log)
    assert escape(message) in response.text, response.text[-3000:]
    # The form again, to choose from.
    assert f'name="{IMAGE_FIELD}"' in response.text
    assert no_server(hub, "bob")
    assert "Traceback" not in log, log
    assert len(refusal_lines(log)) == 1, log


def test_query_refuses_forged_options(hub: Hub, report: Callable[[str, str], None]) -> None:
    """GET /hub/spawn with the form's fields in the query spawns at once (JupyterHub 6 also
    takes them prefixed with 'opt-')."""
    client = session("bob")
    xsrf(hub, client)  # logged in
    response, log, took = refused_at_once(
        hub,
        lambda: client.get(
            f"{hub.proxy_url}/hub/spawn",
            params={"profile": "standard-notebook", IMAGE_FIELD: "forged"},
            allow_redirects=False,
            timeout=30,
        ),
        "bob",
    )
    report("query, image not offered", f"{response.status_code} in {took:.2f} s")
    assert response.status_code == 400, (response.status_code, response.text[:500], log)
    message = f"Spawn option 'image': profile 'standard-notebook' has no Image 'forged' ({IMAGES})"
    assert escape(message) in response.text, response.text[-3000:]
    assert no_server(hub, "bob")
    assert "Traceback" not in log, log


def test_refusal_log_line_is_escaped(hub: Hub, report: Callable[[str, str], None]) -> None:
    """The server's name in the refusal's log line comes from the URL: a newline in it stays
    escaped, on the one line. (JupyterHub 6 refuses such a name itself; 5.5 takes it.)"""
    client = session("erin")
    token = xsrf(hub, client)
    response, log, took = refused_at_once(
        hub,
        lambda: client.post(
            f"{hub.proxy_url}/hub/spawn/erin/x%0A%5BI%202031%20base%3A1%5D%20admin",
            data={"_xsrf": token, "profile": "root-notebook"},
            allow_redirects=False,
            timeout=30,
        ),
        "erin",
    )
    report("form, server name forging a log line", f"{response.status_code} in {took:.2f} s")
    assert response.status_code == 400, (response.status_code, response.text[:500], log)
    assert not any(line.startswith("[I 2031") for line in log.splitlines()), log
    assert "Traceback" not in log, log


def test_what_a_user_may_ask_for_is_spawned(hub: Hub) -> None:
    """The check passes what the form sends (the image field stays in it when the GPU profile
    is chosen; KubeSpawner reads only the chosen profile's) and what an API client may send:
    each starts a spawn, which then fails at the unreachable Kubernetes API. Last in the
    module: those failures are logged after it."""
    for user, profile in (("carol", "standard-notebook"), ("dave", "gpu-notebook")):
        client = session(user)
        token = xsrf(hub, client)
        form = client.post(
            f"{hub.proxy_url}/hub/spawn",
            data={"_xsrf": token, "profile": profile, IMAGE_FIELD: "datascience"},
            allow_redirects=False,
            timeout=30,
        )
        assert form.status_code == 302, (user, form.status_code, form.text[:500])
        assert f"/hub/spawn-pending/{user}" in form.headers["Location"]
    # The GPU server is another user's: beside carol's standard servers, still pending on
    # the same claim, it would be refused as a node conflict (tests/test_user_storage.py).
    for user, server, options in (
        ("carol", "api", {"profile": "standard-notebook", "image": "scipy"}),
        ("carol", "empty", {}),
        ("frank", "gpu", {"profile": "gpu-notebook"}),
    ):
        response = api_spawn(hub, user, server, options=options)
        assert response.status_code in (201, 202), (user, server, response.text[:500])
