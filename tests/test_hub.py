from __future__ import annotations

import dataclasses
import re
from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    CHProxy,
    HeaderTrust,
    HubOptions,
    HubStatefulSet,
    IstioSidecar,
    KubernetesVersion,
    NotebookProfile,
    UserPriority,
)
from hub_runtime.settings import CONFIG_DIR, parse_settings
from tests.support.builders import find, make_bare_hub, make_hub, synth, value_error
from tests.support.manifests import ROOT


def _hub_objects(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        m for m in manifests if m["metadata"]["labels"].get("app.kubernetes.io/component") == "hub"
    ]


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    make_hub(chart)
    assert _hub_objects(synth(chart)) == snapshot_yaml


def test_default_child_is_the_stateful_set(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart)
    assert cdk8s.ApiObject.of(hub).kind == "StatefulSet"


def test_escape_hatch_patches_the_stateful_set(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart)
    cdk8s.ApiObject.of(hub).add_json_patch(
        cdk8s.JsonPatch.add("/spec/template/spec/priorityClassName", "system-cluster-critical")
    )
    spec = find(synth(chart), "StatefulSet")["spec"]["template"]["spec"]
    assert spec["priorityClassName"] == "system-cluster-critical"


def test_settings_are_readable_by_the_runtime(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart, admin_users=["alice"])
    config_map = find(synth(chart), "ConfigMap")
    settings = parse_settings(config_map["data"]["settings.json"])
    assert settings == hub.settings
    assert settings.auth.admin_users == ("alice",)
    assert settings.proxy_api_url == "http://jupyterhub-proxy:8000"


def test_config_map_is_immutable_and_named_by_content(chart: cdk8s.Chart) -> None:
    make_hub(chart)
    manifests = synth(chart)
    config_map = find(manifests, "ConfigMap")
    assert config_map["immutable"] is True
    volumes = find(manifests, "StatefulSet")["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v for v in volumes if v["name"] == "config"]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]


def test_config_map_delivers_config_settings_and_runtime(chart: cdk8s.Chart) -> None:
    """Every module of hub_runtime the hub runs (all but the previews' and the
    VirtualService writer a hub with CHP does not run), as in the source tree, under
    hub_runtime/ beside the config and the settings, in the directory the config volume is
    mounted at."""
    make_hub(chart)
    manifests = synth(chart)
    data = find(manifests, "ConfigMap")["data"]
    pod = find(manifests, "StatefulSet")["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "config"]
    paths = {item["path"]: item["key"] for item in volume["configMap"]["items"]}
    modules = sorted(
        f"hub_runtime/{p.name}"
        for p in (ROOT / "hub_runtime").glob("*.py")
        if p.name not in {"jupyterhub_config.py", "preview.py", "virtual_services.py"}
    )
    assert sorted(paths) == sorted(["jupyterhub_config.py", "settings.json", *modules])
    assert sorted(paths.values()) == sorted(data)
    assert all(re.fullmatch(r"[-._a-zA-Z0-9]+", key) for key in data)
    for path, key in paths.items():
        if path != "settings.json":
            source = ROOT / "hub_runtime" / path.removeprefix("hub_runtime/")
            assert data[key] == source.read_text(), path
    (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "config"]
    assert mount == {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}


def test_hub_runs_under_the_images_tini(chart: cdk8s.Chart) -> None:
    """tini (the hub image's ENTRYPOINT) is the command, so it stays PID 1; the hub's program
    is the args, complete, so nothing of the image's CMD is used."""
    make_hub(chart)
    container = find(synth(chart), "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["tini", "--"]
    assert container["args"] == [
        "python",
        "/usr/local/etc/jupyterhub/hub_runtime/launch.py",
        "--config",
        "/usr/local/etc/jupyterhub/jupyterhub_config.py",
    ]
    assert container["workingDir"] == "/srv/jupyterhub"
    assert {"name": "HOME", "value": "/tmp"} in container["env"]


def test_default_image_is_public_and_pulled_if_absent(chart: cdk8s.Chart) -> None:
    make_hub(chart)
    container = find(synth(chart), "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "quay.io/jupyterhub/k8s-hub:4.4.0"
    assert container["imagePullPolicy"] == "IfNotPresent"


def test_config_change_renames_config_map() -> None:
    names = []
    for admins in (["alice"], ["bob"]):
        chart = cdk8s.Chart(cdk8s.Testing.app(), "test")
        make_hub(chart, admin_users=admins)
        names.append(find(synth(chart), "ConfigMap")["metadata"]["name"])
    assert names[0] != names[1]
    assert all(name.startswith("jupyterhub-hub-") for name in names)


def test_first_profile_becomes_default(chart: cdk8s.Chart) -> None:
    hub = make_hub(
        chart,
        profiles=[
            NotebookProfile(chart, "A", display_name="A"),
            NotebookProfile(chart, "B", display_name="B"),
        ],
    )
    assert [p.default for p in hub.settings.profiles] == [True, False]


def test_release_renames_everything(chart: cdk8s.Chart) -> None:
    make_hub(chart, release="lab")
    statefulset = find(synth(chart), "StatefulSet")
    assert statefulset["metadata"]["name"] == "lab-hub"
    assert statefulset["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "lab",
        "app.kubernetes.io/component": "hub",
    }


def test_no_injection_unless_given_a_sidecar(chart: cdk8s.Chart) -> None:
    make_hub(chart)
    template = find(synth(chart), "StatefulSet")["spec"]["template"]
    assert "sidecar.istio.io/inject" not in template["metadata"]["labels"]


def test_sidecar_resources(chart: cdk8s.Chart) -> None:
    make_hub(chart, sidecar=IstioSidecar(memory_request="128Mi", memory_limit="256Mi"))
    annotations = find(synth(chart), "StatefulSet")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["sidecar.istio.io/proxyMemory"] == "128Mi"


def test_old_kubernetes_falls_back(chart: cdk8s.Chart) -> None:
    make_hub(chart, kubernetes_version=KubernetesVersion.of("1.29"))
    manifests = synth(chart)
    container = find(manifests, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    assert container["lifecycle"]["preStop"] == {"exec": {"command": ["sleep", "3"]}}
    assert "trafficDistribution" not in find(manifests, "Service", "jupyterhub-hub")["spec"]


def test_storage_class(chart: cdk8s.Chart) -> None:
    make_hub(chart, storage_class="fast", storage_size="5Gi")
    claim = find(synth(chart), "StatefulSet")["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["storageClassName"] == "fast"
    assert claim["resources"]["requests"]["storage"] == "5Gi"


def test_hub_alone_is_complete(chart: cdk8s.Chart) -> None:
    """No proxy needs to attach: the settings name the proxy the release's CHProxy serves."""
    hub = make_bare_hub(chart, profiles=[NotebookProfile(chart, "P")])
    manifests = synth(chart)
    config_map = find(manifests, "ConfigMap")
    assert config_map["metadata"]["name"] == hub.config_map.name
    settings = parse_settings(config_map["data"]["settings.json"])
    assert settings.proxy_api_url == "http://jupyterhub-proxy:8000"
    volumes = find(manifests, "StatefulSet")["spec"]["template"]["spec"]["volumes"]
    assert volumes[-1]["configMap"]["name"] == hub.config_map.name


def test_proxy_serves_the_url_the_hub_names(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart, release="lab")
    proxy = next(c for c in chart.node.children if isinstance(c, CHProxy))
    assert hub.settings.proxy_api_url == proxy.api_url == "http://lab-proxy:8000"


def test_options_and_keyword_props(chart: cdk8s.Chart) -> None:
    options = HubOptions(storage_size="5Gi", user_header="X-Forwarded-User")
    hub = make_hub(chart, options=options, admin_users=["alice"])
    assert hub.options == dataclasses.replace(options, admin_users=["alice"])
    assert hub.settings.auth.user_header == "X-Forwarded-User"
    claim = find(synth(chart), "StatefulSet")["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_fails_unknown_prop(chart: cdk8s.Chart) -> None:
    assert _error(chart, storage="5Gi").startswith(
        "test/Hub: storage is not a prop of HubStatefulSet (its options are "
        "activity_interval_seconds, "
        "admin_access, admin_groups, admin_users, admins_managed_in_hub, affinity, allow_all, "
        "allowed_groups, culler, database, "
        "dns_ndots, "
    )


def _handles(hub: HubStatefulSet) -> list[cdk8s.ApiObject | None]:
    """Every object handle the hub hands out."""
    return [
        hub.stateful_set,
        hub.service,
        hub.service_account,
        hub.role,
        hub.role_binding,
        hub.disruption_budget,
        hub.config_map,
        hub.user_priority_class,
    ]


def test_handles_for_every_object(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart)
    handles = set(_handles(hub))
    created = {c for c in hub.node.find_all() if isinstance(c, cdk8s.ApiObject)}
    assert {o.kind for o in handles if o is not None} == {o.kind for o in created}
    assert len(created) == len(handles) == 8


def test_handles_are_the_objects_the_tree_holds(chart: cdk8s.Chart) -> None:
    # Escape hatches reached through the tree (find_child, ApiObject.of) give the very
    # objects the hub hands out, as for objects made one by one from Python.
    hub = make_hub(chart)
    assert hub.node.find_child("Service") is hub.service
    assert cdk8s.ApiObject.of(hub.stateful_set) is hub.stateful_set
    assert all(hub.node.find_child(h.node.id) is h for h in _handles(hub) if h is not None)


def test_user_priority_adds_its_class_where_asked(chart: cdk8s.Chart) -> None:
    made = UserPriority.created(value=-5).add_object(chart, "jhub")
    assert made is not None and made.kind == "PriorityClass"
    (manifest,) = synth(chart)
    assert manifest["metadata"]["name"] == "jhub-singleuser-server"
    assert "namespace" not in manifest["metadata"]  # cluster-scoped
    assert (manifest["value"], manifest["preemptionPolicy"]) == (-5, "Never")
    assert UserPriority.existing("low", reason="the platform's").add_object(chart, "x") is None


def _error(chart: cdk8s.Chart, **props: Any) -> str:
    return value_error(lambda: make_hub(chart, **props))


def test_fails_replicas_other_than_one(chart: cdk8s.Chart) -> None:
    assert _error(chart, replicas=3) == (
        "test/Hub: replicas must be 1 (JupyterHub runs one hub), got 3"
    )


def test_fails_duplicate_profile_slugs(chart: cdk8s.Chart) -> None:
    profiles = [
        NotebookProfile(chart, "A", display_name="Lab"),
        NotebookProfile(chart, "B", display_name="lab"),
    ]
    assert _error(chart, profiles=profiles) == (
        "test/Hub: profiles must have unique slugs (test/A and test/B share one), got 'lab'"
    )


def test_fails_two_default_profiles(chart: cdk8s.Chart) -> None:
    profiles = [
        NotebookProfile(chart, "A", display_name="A", default=True),
        NotebookProfile(chart, "B", display_name="B", default=True),
    ]
    assert _error(chart, profiles=profiles) == (
        "test/Hub: profiles must mark at most one profile as default, got ['a', 'b']"
    )


def test_fails_release_not_dns_label(chart: cdk8s.Chart) -> None:
    assert _error(chart, release="Jupyter_Hub") == (
        "test/Hub: release must be a DNS label (lower-case letters, digits and '-', 1-63 "
        "characters, starting and ending with a letter or digit), got 'Jupyter_Hub'"
    )


def test_fails_no_profiles(chart: cdk8s.Chart) -> None:
    assert _error(chart, profiles=[]) == (
        "test/Hub: profiles must name at least one NotebookProfile, got []"
    )


def test_fails_storage_class_not_a_name(chart: cdk8s.Chart) -> None:
    assert _error(chart, storage_class="Fast_SSD").startswith(
        "test/Hub: storage_class must be a DNS subdomain"
    )


def test_fails_malformed_storage_size(chart: cdk8s.Chart) -> None:
    assert _error(chart, storage_size="1 GB") == (
        "test/Hub: storage_size must be a Kubernetes quantity such as '500m', '2', '256Mi' "
        "or '1G', got '1 GB'"
    )


def test_header_trust_is_written(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart)
    auth = hub.settings.auth
    assert (auth.trust, auth.proof_header) == ("jwt", "Authorization")
    assert auth.jwt is not None and auth.jwt.issuer == "https://auth.example.org"


def test_token_lifetime_and_name_case_are_written(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart)
    auth = hub.settings.auth
    assert auth.jwt is not None and auth.jwt.max_lifetime == 3600
    assert auth.case_insensitive_names is False


def test_admins_are_the_settings_alone_by_default(chart: cdk8s.Chart) -> None:
    assert make_hub(chart).settings.auth.admins_managed_in_hub is False


def test_admins_managed_in_hub_opt_in(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart, admins_managed_in_hub=True)
    assert hub.settings.auth.admins_managed_in_hub is True


def test_fails_admins_managed_in_hub_not_a_bool(chart: cdk8s.Chart) -> None:
    assert _error(chart, admins_managed_in_hub="yes") == (
        "test/Hub: admins_managed_in_hub must be True or False, got 'yes'"
    )


def test_case_insensitive_names_opt_in(chart: cdk8s.Chart) -> None:
    trust = HeaderTrust.jwt_proof(
        issuer="https://auth.example.org",
        audience="hub",
        jwks_url="https://auth.example.org/jwks",
        max_token_lifetime=300,
        case_insensitive_names=True,
    )
    auth = make_hub(chart, header_trust=trust).settings.auth
    assert auth.case_insensitive_names is True
    assert auth.jwt is not None and auth.jwt.max_lifetime == 300


def test_fails_token_lifetime_not_positive(chart: cdk8s.Chart) -> None:
    trust = HeaderTrust.jwt_proof(
        issuer="https://auth.example.org",
        audience="hub",
        jwks_url="https://auth.example.org/jwks",
        max_token_lifetime=0,
    )
    assert _error(chart, header_trust=trust) == (
        "test/Hub: header_trust.max_token_lifetime must be a positive number of seconds, got 0"
    )


def test_mesh_enforced_trust(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart, header_trust=HeaderTrust.mesh_enforced())
    assert (hub.settings.auth.trust, hub.settings.auth.jwt) == ("header", None)


def test_fails_jwt_without_keys(chart: cdk8s.Chart) -> None:
    trust = HeaderTrust.jwt_proof(issuer="https://auth.example.org", audience="hub")
    assert _error(chart, header_trust=trust) == (
        "test/Hub: header_trust.jwks_url or public_key must be given, not both, got None"
    )


def test_fails_symmetric_jwt_algorithm(chart: cdk8s.Chart) -> None:
    trust = HeaderTrust.jwt_proof(
        issuer="https://auth.example.org",
        audience="hub",
        jwks_url="https://auth.example.org/jwks",
        algorithms=["HS256"],
    )
    assert _error(chart, header_trust=trust) == (
        "test/Hub: header_trust.algorithms must list public-key algorithms (RS*, ES*, PS*, "
        "EdDSA), got ['HS256']"
    )


def test_fails_bad_user_pattern(chart: cdk8s.Chart) -> None:
    assert _error(chart, user_pattern="[a-z").startswith(
        "test/Hub: user_pattern must be a valid regular expression ("
    )


def test_groups_claims_and_jwks_age_are_written(chart: cdk8s.Chart) -> None:
    trust = HeaderTrust.jwt_proof(
        issuer="https://auth.example.org",
        audience="hub",
        jwks_url="https://auth.example.org/jwks",
        user_claim="email",
        groups_claim="roles",
        jwks_max_age_seconds=60,
    )
    hub = make_hub(
        chart,
        header_trust=trust,
        admin_groups=["hub-admins"],
        allowed_groups=["staff"],
        allow_all=False,
    )
    auth = hub.settings.auth
    assert (auth.admin_groups, auth.allowed_groups) == (("hub-admins",), ("staff",))
    assert auth.jwt is not None
    assert (auth.jwt.user_claim, auth.jwt.groups_claim) == ("email", "roles")
    assert auth.jwt.jwks_max_age_seconds == 60


def test_jwks_age_and_groups_claim_defaults(chart: cdk8s.Chart) -> None:
    auth = make_hub(chart).settings.auth
    assert (auth.admin_groups, auth.allowed_groups) == ((), ())
    assert auth.jwt is not None
    assert (auth.jwt.user_claim, auth.jwt.groups_claim) == ("preferred_username", "groups")
    assert auth.jwt.jwks_max_age_seconds == 300


def test_fails_groups_without_jwt(chart: cdk8s.Chart) -> None:
    assert _error(chart, header_trust=HeaderTrust.mesh_enforced(), admin_groups=["hub-admins"]) == (
        "test/Hub: admin_groups needs header_trust=HeaderTrust.jwt_proof(...): groups are read "
        "from the verified ID token, and the mesh_enforced header carries none, "
        "got ['hub-admins']"
    )


def test_fails_allowed_groups_with_allow_all(chart: cdk8s.Chart) -> None:
    assert _error(chart, allowed_groups=["staff"]) == (
        "test/Hub: allowed_groups needs allow_all=False (with allow_all every user is allowed, "
        "whatever the groups), got ['staff']"
    )


def test_fails_empty_group_name(chart: cdk8s.Chart) -> None:
    assert _error(chart, admin_groups=[""]) == (
        "test/Hub: admin_groups[0] must not be empty, got ''"
    )


def test_fails_groups_as_one_string(chart: cdk8s.Chart) -> None:
    assert _error(chart, admin_groups="hub-admins") == (
        "test/Hub: admin_groups must be a list of strings, not a single string, got 'hub-admins'"
    )


@pytest.mark.parametrize("age", [0, -5, True])
def test_fails_jwks_max_age_not_positive(chart: cdk8s.Chart, age: int) -> None:
    trust = HeaderTrust.jwt_proof(
        issuer="https://auth.example.org",
        audience="hub",
        jwks_url="https://auth.example.org/jwks",
        jwks_max_age_seconds=age,
    )
    assert _error(chart, header_trust=trust) == (
        f"test/Hub: header_trust.jwks_max_age_seconds must be a positive number of seconds, "
        f"got {age!r}"
    )


def test_fails_empty_user_claim(chart: cdk8s.Chart) -> None:
    trust = HeaderTrust.jwt_proof(
        issuer="https://auth.example.org",
        audience="hub",
        jwks_url="https://auth.example.org/jwks",
        user_claim="",
    )
    assert _error(chart, header_trust=trust) == (
        "test/Hub: header_trust.user_claim must be a claim name, got ''"
    )


def test_env_adds_variables_to_the_hub_container(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart)
    own = hub.env.names
    hub.env.add_secret_variable("OAUTH_CLIENT_SECRET", secret="oauth", key="secret")
    container = find(synth(chart), "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    assert container["name"] == "hub"
    assert [variable["name"] for variable in container["env"]] == [*own, "OAUTH_CLIENT_SECRET"]
    with pytest.raises(ValueError, match="env is already set in the container, got 'HOME'"):
        hub.env.add_variable("HOME", "/home/hub")
