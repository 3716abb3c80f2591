"""The deploy guides (docs/guide/deploying.md), read and walked step by step against a small
model of the cluster: which namespaces and Secrets exist, and which Helm releases run.

A step's shell blocks run in order. ``kubectl`` and ``helm`` commands act on the model
(``kubectl apply -f`` reads the committed files; ``helm install`` renders oauth2-proxy's chart
with ``tests.support.oauth2_proxy_chart`` and starts oauth2-proxy from it with
``tests.support.oauth2_proxy``); a ``$(...)`` in a literal value runs in bash, as a deployer's
shell would run it; other commands (docker, vault) are not the cluster's. A command that
names a namespace, Secret, chart repository or values file that does not exist yet fails the
walk, with the step and the command.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from tests.support.docs import DOCS, section
from tests.support.manifests import ROOT, read_documents, read_manifests
from tests.support.oauth2_proxy import InvalidConfiguration, OAuth2Proxy
from tests.support.oauth2_proxy_chart import CHART_VERSION, ChartError, ChartRelease

__all__ = [
    "GUIDES",
    "Cluster",
    "GuideError",
    "Step",
    "guide_proxy",
    "guide_steps",
    "installed_chart",
    "mesh_provider",
    "shell_value",
    "value_files",
    "walk",
]

_GUIDE = DOCS / "guide" / "deploying.md"
# Each app's guide: its heading on the guide's page.
GUIDES = {
    "minimal": "## `minimal`: ingress-nginx, the hub logs people in",
    "dev": "## `dev`: Istio, ext-authz and Vault",
}
# What each guide's first step installs before any command runs (the controller's and the
# gateway's namespaces).
_PREINSTALLED = {"minimal": {"ingress-nginx"}, "dev": {"istio-system", "istio-gateways"}}
_CHART = "oauth2-proxy/oauth2-proxy"


class GuideError(AssertionError):
    """A step that cannot run where it stands."""


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    text: str
    # (language, text) of each fenced block, in order.
    blocks: tuple[tuple[str, str], ...]


@dataclass
class Cluster:
    namespaces: set[str] = field(default_factory=set)
    secrets: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    repos: set[str] = field(default_factory=set)
    releases: dict[tuple[str, str], ChartRelease] = field(default_factory=dict)
    proxies: dict[tuple[str, str], OAuth2Proxy] = field(default_factory=dict)
    applied: list[dict[str, Any]] = field(default_factory=list)


def guide_steps(app: str, text: str | None = None) -> list[Step]:
    """The numbered steps of ``app``'s guide (``N. **Title**...``, indented blocks)."""
    guide = section(GUIDES[app], _GUIDE.read_text() if text is None else text)
    heads = list(re.finditer(r"^(\d+)\. \*\*(.+?)\*\*", guide, re.MULTILINE))
    steps = []
    for head, after in zip(heads, [*heads[1:], None], strict=True):
        body = guide[head.start() : after.start() if after else len(guide)]
        blocks = tuple(
            (lang, re.sub(r"^   ", "", code, flags=re.MULTILINE))
            for lang, code in re.findall(r"^ *```(\w*)\n(.*?)^ *```", body, re.S | re.M)
        )
        steps.append(Step(int(head.group(1)), head.group(2), body, blocks))
    return steps


def value_files(text: str | None = None) -> dict[str, dict[str, Any]]:
    """Every values file the guides give: a YAML block introduced by "with `<name>`:"."""
    guide = _GUIDE.read_text() if text is None else text
    files = {}
    for name, code in re.findall(
        r"with `([\w.-]+\.yaml)`:\n *```yaml\n(.*?)^ *```", guide, re.S | re.M
    ):
        files[name] = yaml.safe_load(re.sub(r"^   ", "", code, flags=re.MULTILINE))
    return files


def mesh_provider(text: str | None = None) -> dict[str, Any]:
    """The ``oauth2-proxy`` extension provider of the ``dev`` guide's mesh config."""
    guide = _GUIDE.read_text() if text is None else text
    block = guide[guide.index("   extensionProviders:") :].split("```", 1)[0]
    (provider,) = yaml.safe_load(block)["extensionProviders"]
    settings: dict[str, Any] = provider["envoyExtAuthzHttp"]
    return settings


def _commands(script: str) -> list[list[str]]:
    joined = re.sub(r"\\\n\s*", " ", script)
    return [shlex.split(line) for line in joined.splitlines() if line.strip()]


def shell_value(value: str) -> str:
    """A literal's value as bash gives it (``$(...)`` run), in a process group of its own
    that is ended if it outlives its time."""
    if "$" not in value:
        return value
    shell = subprocess.Popen(
        # An assignment fails with its substitution (-e), a pipeline with any part of it.
        ["bash", "-c", f'set -eo pipefail; value="{value}"; printf %s "$value"'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = shell.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(shell.pid, signal.SIGKILL)
        shell.communicate()
        raise GuideError(f"{value!r} did not finish in 30 s") from None
    if shell.returncode != 0:
        raise GuideError(f"{value!r} failed ({shell.returncode}): {err}")
    return out


def _option(args: list[str], *names: str) -> str | None:
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def _options(args: list[str], name: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == name]


def _referenced_secrets(manifest: Mapping[str, Any]) -> set[str]:
    """The Secrets a workload's pods read (volumes, env, envFrom)."""
    spec = manifest.get("spec", {}).get("template", {}).get("spec")
    if not spec:
        return set()
    names = {v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v}
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
    return names


class _Walk:
    def __init__(self, app: str, cluster: Cluster, files: Mapping[str, Mapping[str, Any]]):
        self.app = app
        self.cluster = cluster
        self.files = files
        self.where = ""

    def fail(self, why: str) -> GuideError:
        return GuideError(f"{self.app} guide, {self.where}: {why}")

    def need_namespace(self, namespace: str) -> None:
        if namespace not in self.cluster.namespaces:
            raise self.fail(f"namespace {namespace!r} does not exist yet")

    def run(self, args: list[str]) -> None:
        if not args or args[0] not in ("kubectl", "helm"):
            return
        namespace = _option(args, "-n", "--namespace")
        if args[0] == "kubectl":
            self.kubectl(args, namespace)
        else:
            self.helm(args, namespace)

    def kubectl(self, args: list[str], namespace: str | None) -> None:
        verbs, skip = [], False
        for arg in args[1:]:
            if skip or arg.startswith("-"):
                # "-n X" and "--namespace X" take the next word; other options use "=".
                skip = arg in ("-n", "--namespace", "-f")
                continue
            verbs.append(arg)
        if verbs[:2] == ["create", "namespace"]:
            self.cluster.namespaces.add(verbs[2])
            return
        if verbs[:1] == ["apply"]:
            path = ROOT / str(_option(args, "-f"))
            manifests = read_documents(path) if path.is_file() else read_manifests(path)
            for manifest in manifests:
                if manifest["kind"] == "Namespace":
                    self.cluster.namespaces.add(manifest["metadata"]["name"])
            made = {
                (m["metadata"].get("namespace"), m["metadata"]["name"])
                for m in manifests
                if m["kind"] == "Secret"
            } | {
                (
                    m["metadata"].get("namespace"),
                    (m["spec"].get("target") or {}).get("name") or m["metadata"]["name"],
                )
                for m in manifests
                if m["kind"] == "ExternalSecret"
            }
            for manifest in manifests:
                ns = manifest["metadata"].get("namespace")
                if ns:
                    self.need_namespace(ns)
                for secret in sorted(_referenced_secrets(manifest)):
                    if (ns, secret) not in made and (ns, secret) not in self.cluster.secrets:
                        raise self.fail(
                            f"{manifest['kind']} {manifest['metadata']['name']} reads Secret "
                            f"{secret!r}, which does not exist in {ns!r} yet"
                        )
            self.cluster.applied += manifests
            return
        if namespace is not None:
            self.need_namespace(namespace)
        if verbs[:2] == ["create", "secret"]:
            name = verbs[3]
            data: dict[str, str] = {}
            for literal in _options(args, "--from-literal") + [
                a.split("=", 1)[1] for a in args if a.startswith("--from-literal=")
            ]:
                key, _, value = literal.partition("=")
                data[key] = shell_value(value)
            if verbs[2] == "tls":
                data = {"tls.crt": "<cert>", "tls.key": "<key>"}
            self.cluster.secrets[(namespace or "default", name)] = data

    def helm(self, args: list[str], namespace: str | None) -> None:
        if args[1:3] == ["repo", "add"]:
            self.cluster.repos.add(args[3])
            return
        if args[1] != "install":
            return
        release, chart = args[2], args[3]
        if chart != _CHART or chart.split("/")[0] not in self.cluster.repos:
            raise self.fail(f"chart {chart!r} from a repository not added")
        if _option(args, "--version") != CHART_VERSION:
            raise self.fail(f"chart version {_option(args, '--version')!r}, not {CHART_VERSION}")
        namespace = namespace or "default"
        if "--create-namespace" in args:
            self.cluster.namespaces.add(namespace)
        self.need_namespace(namespace)
        overlays = []
        for name in _options(args, "-f") + _options(args, "--values"):
            if name not in self.files:
                raise self.fail(f"values file {name!r} is not given")
            overlays.append(self.files[name])
        try:
            installed = ChartRelease.install(release, namespace, *overlays)
        except ChartError as error:
            raise self.fail(str(error)) from None
        secrets = {
            name: data for (ns, name), data in self.cluster.secrets.items() if ns == namespace
        }
        try:
            proxy = installed.proxy(secrets)
        except LookupError as error:
            raise self.fail(str(error)) from None
        except InvalidConfiguration as error:
            raise self.fail(f"oauth2-proxy refuses to start: {error}") from None
        self.cluster.releases[(namespace, release)] = installed
        self.cluster.proxies[(namespace, release)] = proxy


def walk(
    app: str,
    steps: list[Step] | None = None,
    files: Mapping[str, Mapping[str, Any]] | None = None,
) -> Cluster:
    """Run ``app``'s guide (or ``steps``) in order on an empty cluster; ``GuideError`` at the
    first command that cannot run there."""
    cluster = Cluster(namespaces=set(_PREINSTALLED[app]))
    walker = _Walk(app, cluster, value_files() if files is None else files)
    for step in guide_steps(app) if steps is None else steps:
        for lang, code in step.blocks:
            if lang != "sh":
                continue
            for args in _commands(code):
                walker.where = f"step {step.number} ({step.title}): {shlex.join(args)}"
                walker.run(args)
    return cluster


def installed_chart(app: str) -> ChartRelease:
    """The oauth2-proxy release of ``app``'s guide, read from its ``helm install`` command
    without running the guide (for tests that start no process)."""
    files = value_files()
    for step in guide_steps(app):
        for lang, code in step.blocks:
            for args in _commands(code) if lang == "sh" else []:
                if args[:2] == ["helm", "install"]:
                    overlays = [files[name] for name in _options(args, "-f")]
                    namespace = _option(args, "-n", "--namespace") or "default"
                    return ChartRelease.install(args[2], namespace, *overlays)
    raise GuideError(f"{app} guide installs no oauth2-proxy")


def guide_proxy(app: str, values: Mapping[str, Any] | None = None, **model: Any) -> OAuth2Proxy:
    """oauth2-proxy as ``app``'s guide installs it (plus ``values``, a site's own, e.g. its
    issuer), with the Secret its guide creates made here (client id ``jupyterhub``, a client
    secret, 32 random bytes of cookie secret in URL-safe base64), so that no command runs."""
    release = installed_chart(app)
    if values:
        release = ChartRelease.install(release.release, release.namespace, release.values, values)
    data = {
        "client-id": "jupyterhub",
        "client-secret": secrets.token_urlsafe(16),
        "cookie-secret": secrets.token_urlsafe(32),
    }
    return release.proxy({release.secret_name: data}, **model)
