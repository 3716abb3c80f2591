"""The hub's database prop (HubDatabase), its upgrade-db init container, and the CloudNativePG
Cluster: what each writes, and one test per error."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import CloudNativePgCluster, HubDatabase, HubOptions, IstioIngress
from hub_runtime.settings import DEFAULT_DATABASE, DatabaseSettings
from tests.support.builders import find, make_chart, make_hub, make_jupyterhub, synth, value_error
from tests.support.crd_schemas import validate_custom

DB = "db.example.org"
SECRET = "hub-db"


def _pod(chart: cdk8s.Chart) -> dict[str, Any]:
    spec: dict[str, Any] = find(synth(chart), "StatefulSet")["spec"]["template"]["spec"]
    return spec


def _postgresql(**props: Any) -> HubDatabase:
    props.setdefault("password_secret", SECRET)
    if "url" not in props:
        props.setdefault("host", DB)
    return HubDatabase.postgresql(**props)


def test_defaults_to_sqlite_on_the_hub_volume(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart)
    assert hub.settings.database == DEFAULT_DATABASE
    assert DEFAULT_DATABASE.url == "sqlite:///jupyterhub.sqlite"
    assert DEFAULT_DATABASE.backup_dir == "backups"
    pod = _pod(chart)
    (init,) = pod["initContainers"]
    (hub_container,) = pod["containers"]
    assert init["name"] == "upgrade-db"
    assert [*init["command"], *init["args"]] == [
        "tini",
        "--",
        "python",
        "/usr/local/etc/jupyterhub/hub_runtime/upgrade.py",
    ]
    # The hub's image, volumes, limits and hardening; not the proxy's token.
    for key in ("image", "workingDir", "volumeMounts", "resources", "securityContext", "env"):
        assert init[key] == hub_container[key], key
    assert "envFrom" not in init
    assert "--upgrade-db" not in hub_container["args"]
    assert "PGPASSWORD" not in {e["name"] for e in hub_container["env"]}
    assert hub.outbound_urls == (
        "http://jupyterhub-proxy:8000",
        "http://jupyterhub-hub:8081",
        "https://auth.example.org/jwks",
    )


def test_defaults_snapshot(snapshot_yaml: SnapshotAssertion) -> None:
    chart = make_chart()
    CloudNativePgCluster(chart, "Database")
    assert synth(chart) == snapshot_yaml


def test_postgresql_from_a_url(chart: cdk8s.Chart) -> None:
    """A bare postgresql:// is written with the hub image's driver."""
    hub = make_hub(chart, database=_postgresql(url=f"postgresql://hub@{DB}:6432/hubdb"))
    assert hub.settings.database == DatabaseSettings(
        url=f"postgresql+psycopg2://hub@{DB}:6432/hubdb", backup_dir=None
    )
    assert hub.outbound_urls[-1] == f"postgresql://{DB}:6432"


def test_postgresql_from_parts(chart: cdk8s.Chart) -> None:
    database = _postgresql(user="hub user", database="hub/db", port=6543, ssl_mode="verify-full")
    hub = make_hub(chart, database=database)
    assert hub.settings.database.url == (
        f"postgresql+psycopg2://hub%20user@{DB}:6543/hub%2Fdb?sslmode=verify-full"
    )


def test_the_password_comes_from_the_secret(chart: cdk8s.Chart) -> None:
    make_hub(chart, database=_postgresql(password_key="pw"))
    pod = _pod(chart)
    ref = {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "pw"}}}
    assert ref in pod["containers"][0]["env"]
    assert ref in pod["initContainers"][0]["env"]


def test_sqlite_backups_on_a_claim_of_their_own(chart: cdk8s.Chart) -> None:
    claim = cdk8s.ApiObject(
        chart,
        "Backups",
        api_version="v1",
        kind="PersistentVolumeClaim",
        metadata={"name": "hub-backups"},
    )
    hub = make_hub(chart, database=HubDatabase.sqlite(backup_claim=claim))
    assert hub.settings.database.backup_dir == "/srv/jupyterhub-backups"
    pod = _pod(chart)
    assert {"name": "backups", "persistentVolumeClaim": {"claimName": "hub-backups"}} in pod[
        "volumes"
    ]
    mount = {"name": "backups", "mountPath": "/srv/jupyterhub-backups"}
    assert mount in pod["initContainers"][0]["volumeMounts"]
    # Only the upgrade step writes backups.
    assert mount not in pod["containers"][0]["volumeMounts"]


def test_cloudnative_pg_cluster_gives_the_hub_its_database(chart: cdk8s.Chart) -> None:
    cluster = CloudNativePgCluster(chart, "Database", instances=3, storage_class="fast")
    hub = make_hub(chart, database=cluster.database)
    assert hub.settings.database.url == (
        "postgresql+psycopg2://jupyterhub@jupyterhub-db-rw:5432/jupyterhub"
    )
    assert _pod(chart)["containers"][0]["env"][-1] == {
        "name": "PGPASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "jupyterhub-db-app", "key": "password"}},
    }
    manifests = synth(chart)
    resource = find(manifests, "Cluster")
    validate_custom(resource)
    assert resource["spec"] == {
        "instances": 3,
        "bootstrap": {"initdb": {"database": "jupyterhub", "owner": "jupyterhub"}},
        "storage": {"size": "1Gi", "storageClass": "fast"},
    }
    # In the cluster: no ServiceEntry, and the policy admits the hub's pods to PostgreSQL.
    assert hub.outbound_urls[-1] == "postgresql://jupyterhub-db-rw:5432"
    policy = find(manifests, "NetworkPolicy", "jupyterhub-db")["spec"]
    assert policy["podSelector"] == {"matchLabels": {"cnpg.io/cluster": "jupyterhub-db"}}
    assert policy["ingress"][0]["from"][0] == {"podSelector": {"matchLabels": hub.labels}}
    assert policy["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 5432}]


def test_the_cluster_schema_refuses_what_cloudnative_pg_refuses(chart: cdk8s.Chart) -> None:
    """The vendored schema is really checked: instances below 1 fail it."""
    import jsonschema

    cluster = find(synth(_chart_with_cluster(chart)), "Cluster")
    cluster["spec"]["instances"] = 0
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(cluster)


def _chart_with_cluster(chart: cdk8s.Chart) -> cdk8s.Chart:
    CloudNativePgCluster(chart, "Database")
    return chart


def test_an_outside_database_is_mesh_egress(chart: cdk8s.Chart) -> None:
    """Under the mesh the server is a TCP ServiceEntry, and its port bypasses the sidecar,
    which the init container runs before."""
    jupyterhub = make_jupyterhub(chart, hub_options=HubOptions(database=_postgresql()))
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    manifests = synth(chart)
    entry = find(manifests, "ServiceEntry", "jupyterhub-hub-egress-5432")
    validate_custom(entry)
    assert entry["spec"]["hosts"] == [DB]
    assert entry["spec"]["ports"] == [{"number": 5432, "name": "tcp-5432", "protocol": "TCP"}]
    stateful_set = find(manifests, "StatefulSet")
    annotations = stateful_set["spec"]["template"]["metadata"]["annotations"]
    assert annotations["traffic.sidecar.istio.io/excludeOutboundPorts"] == "5432"


def _error(database: object, **props: Any) -> str:
    chart = make_chart()
    return value_error(lambda: make_hub(chart, database=database, **props))


def test_fails_a_url_with_a_password() -> None:
    assert _error(_postgresql(url=f"postgresql://hub:s3cret@{DB}/jupyterhub")) == (
        "test/Hub: database.url must not hold a password (it would be written into the hub's "
        "ConfigMap): name the Secret that holds it as password_secret, got "
        f"'postgresql://hub:***@{DB}/jupyterhub'"
    )


def test_fails_a_password_in_the_query() -> None:
    assert _error(_postgresql(url=f"postgresql://hub@{DB}/j?sslmode=require&password=s3cret")) == (
        "test/Hub: database.url must not hold a password (it would be written into the hub's "
        "ConfigMap): name the Secret that holds it as password_secret, got "
        f"'postgresql://hub@{DB}/j?sslmode=require&password=***'"
    )


@pytest.mark.parametrize("scheme", ["mysql", "postgres", "sqlite", "postgresql+asyncpg"])
def test_fails_an_unknown_scheme(scheme: str) -> None:
    assert _error(_postgresql(url=f"{scheme}://hub@{DB}/jupyterhub")) == (
        "test/Hub: database.url must use scheme postgresql or postgresql+psycopg2 (PostgreSQL "
        "through psycopg2, the hub image's driver; SQLite is HubDatabase.sqlite()), got "
        f"'{scheme}://hub@{DB}/jupyterhub'"
    )


def test_fails_a_url_without_host() -> None:
    assert _error(_postgresql(url="postgresql:///jupyterhub")) == (
        "test/Hub: database.url must name the database server's host (a DNS name or an IP "
        "address), got 'postgresql:///jupyterhub'"
    )


def test_fails_a_url_without_database() -> None:
    assert _error(_postgresql(url=f"postgresql://hub@{DB}")) == (
        f"test/Hub: database.url must name the database (…/jupyterhub), got 'postgresql://hub@{DB}'"
    )


def test_fails_a_bad_port() -> None:
    assert _error(_postgresql(url=f"postgresql://hub@{DB}:99999/j")) == (
        "test/Hub: database.url must be a valid URL (Port out of range 0-65535), got "
        f"'postgresql://hub@{DB}:99999/j'"
    )


def test_fails_a_bad_secret_name() -> None:
    assert _error(_postgresql(password_secret="Bad_Name")) == (
        "test/Hub: database.password_secret must be a DNS subdomain (dot-separated DNS labels, "
        "at most 253 characters), got 'Bad_Name'"
    )


def test_fails_url_and_host() -> None:
    message = value_error(
        lambda: HubDatabase.postgresql(
            url=f"postgresql://hub:pw@{DB}/j", host=DB, password_secret=SECRET
        )
    )
    assert message == (
        "HubDatabase.postgresql: give url or host (with port, database and user), one of them, "
        f"got url='postgresql://hub:***@{DB}/j' and host='{DB}'"
    )


def test_fails_neither_url_nor_host() -> None:
    assert value_error(lambda: HubDatabase.postgresql(password_secret=SECRET)) == (
        "HubDatabase.postgresql: give url or host (with port, database and user), one of them, "
        "got url=None and host=None"
    )


def test_fails_a_backup_volume_that_is_no_claim(chart: cdk8s.Chart) -> None:
    config_map = cdk8s.ApiObject(
        chart, "NotAClaim", api_version="v1", kind="ConfigMap", metadata={"name": "backups"}
    )
    assert value_error(
        lambda: make_hub(chart, database=HubDatabase.sqlite(backup_claim=config_map))
    ) == (
        "test/Hub: database.backup_claim must be a PersistentVolumeClaim of the app (an "
        "ApiObject), where the upgrade step copies the SQLite file before migrating it, got "
        "'ConfigMap backups'"
    )


def test_fails_a_backup_volume_missing_from_the_hubs_namespace(chart: cdk8s.Chart) -> None:
    """A claim of another namespace is one the hub's pod cannot mount: missing for it."""
    app = chart.node.scope
    assert isinstance(app, cdk8s.App)
    other = cdk8s.Chart(app, "other", namespace="elsewhere")
    claim = cdk8s.ApiObject(
        other,
        "Backups",
        api_version="v1",
        kind="PersistentVolumeClaim",
        metadata={"name": "backups"},
    )
    assert value_error(
        lambda: make_hub(chart, database=HubDatabase.sqlite(backup_claim=claim))
    ) == (
        "test/Hub: database.backup_claim must be in the hub's namespace 'jupyterhub' (a pod "
        "mounts only its own namespace's claims), got 'backups'"
    )


def test_fails_a_backup_volume_for_postgresql(chart: cdk8s.Chart) -> None:
    claim = cdk8s.ApiObject(
        chart, "Backups", api_version="v1", kind="PersistentVolumeClaim", metadata={"name": "b"}
    )
    database = HubDatabase(
        url=f"postgresql://hub@{DB}/j", server=True, password_secret=SECRET, backup_claim=claim
    )
    assert value_error(lambda: make_hub(chart, database=database)) == (
        "test/Hub: database.backup_claim is for SQLite only (back a PostgreSQL server up with "
        "its own tools), got 'b'"
    )


def test_fails_a_database_chosen_in_extra_config() -> None:
    message = _error(
        _postgresql(), extra_config={"JupyterHub": {"db_url": "sqlite:///elsewhere.sqlite"}}
    )
    assert message == (
        "test/Hub: extra_config.JupyterHub.db_url is set by the database prop (HubDatabase): "
        "set that instead, got '***'"
    )


def test_fails_a_database_that_is_no_hub_database() -> None:
    message = _error("postgresql://hub@db/j")
    assert message.startswith("test/Hub: database must be a HubDatabase"), message


def test_fails_no_instances(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: CloudNativePgCluster(chart, "Db", instances=0)) == (
        "test/Db: instances must be 1 or more, got 0"
    )


def test_fails_an_empty_cluster_volume(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: CloudNativePgCluster(chart, "Db", storage_size="0")) == (
        "test/Db: storage_size must be more than 0 bytes, got '0'"
    )


def test_the_guides_examples_run() -> None:
    """Each Python example of docs/guide/database.md, in a chart of its own."""
    import re

    import constructs_lib
    from tests.support.constants import TRUST
    from tests.support.manifests import ROOT

    page = (ROOT / "docs" / "guide" / "database.md").read_text()
    examples = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert len(examples) == 4
    for code in examples:
        chart = make_chart()
        namespace = {**vars(constructs_lib), "cdk8s": cdk8s, "chart": chart, "trust": TRUST}
        exec(compile(code, "docs/guide/database.md", "exec"), namespace)
        synth(chart)


@pytest.mark.parametrize("host", ["db.example.org/evil", "db_1.example.org", "-db", "a@b"])
def test_fails_a_host_that_is_no_host(host: str) -> None:
    assert _error(_postgresql(host=host)) == (
        f"test/Hub: database.host must be a DNS name or an IP address, got {host!r}"
    )


def test_fails_a_url_host_that_is_no_host() -> None:
    assert _error(_postgresql(url="postgresql://hub@db_1.example.org/j")) == (
        "test/Hub: database.url must name the database server's host (a DNS name or an IP "
        "address), got 'postgresql://hub@db_1.example.org/j'"
    )


def test_an_ip_address_is_a_host(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart, database=_postgresql(url="postgresql://hub@[fd00::5]:5432/j"))
    assert hub.outbound_urls[-1] == "postgresql://[fd00::5]:5432"


def test_fails_an_unknown_ssl_mode() -> None:
    assert _error(_postgresql(ssl_mode="always")) == (
        "test/Hub: database.url sslmode must be one of libpq's: disable, allow, prefer, "
        "require, verify-ca, verify-full, got 'always'"
    )


def test_fails_a_url_that_is_no_string() -> None:
    assert _error(HubDatabase(url=5432, server=True, password_secret=SECRET)) == (  # type: ignore[arg-type]
        "test/Hub: database.url must be a string, got 5432"
    )


def test_fails_a_cluster_of_another_release(chart: cdk8s.Chart) -> None:
    cluster = CloudNativePgCluster(chart, "Database", release="other")
    assert value_error(lambda: make_hub(chart, database=cluster.database)) == (
        "test/Hub: database must be a CloudNativePgCluster of the hub's release 'jupyterhub' "
        "(this one is release 'other', whose NetworkPolicy admits that hub only), got "
        "'test/Database'"
    )


def test_fails_a_cluster_of_another_namespace(chart: cdk8s.Chart) -> None:
    app = chart.node.scope
    assert isinstance(app, cdk8s.App)
    cluster = CloudNativePgCluster(cdk8s.Chart(app, "db", namespace="databases"), "Database")
    assert value_error(lambda: make_hub(chart, database=cluster.database)) == (
        "test/Hub: database must be a CloudNativePgCluster in the hub's namespace 'jupyterhub' "
        "(this one is in 'databases'), got 'db/Database'"
    )


def test_fails_a_file_database_elsewhere() -> None:
    """Made directly, not by a factory: a server's URL taken for SQLite would be unchecked."""
    assert _error(HubDatabase(url="mysql://hub:pw@db/j")) == (
        "test/Hub: database.url must be sqlite:///jupyterhub.sqlite for SQLite (the hub's "
        "volume); a database server's is made by HubDatabase.postgresql(...), got "
        "'mysql://hub:***@db/j'"
    )


@pytest.mark.parametrize(("field", "value"), [("user", ""), ("database", 5), ("url", b"x")])
def test_fails_a_part_that_is_no_string(field: str, value: object) -> None:
    props: dict[str, Any] = {"password_secret": SECRET, field: value}
    if field != "url":
        props["host"] = DB
    assert value_error(lambda: HubDatabase.postgresql(**props)) == (
        f"HubDatabase.postgresql: {field} must be a non-empty string, got {value!r}"
    )
