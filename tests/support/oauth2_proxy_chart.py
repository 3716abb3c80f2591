"""oauth2-proxy's Helm chart 10.7.0 (``oauth2-proxy/manifests``, tag ``oauth2-proxy-10.7.0``,
appVersion 7.15.3), rendered for the parts the deploy guide relies on, since Helm and the
chart are not available here: the Service, the pod (labels, container args, environment,
port, security context) and the config file, from the chart's defaults
(``helm/oauth2-proxy/values.yaml``) merged with the values the guide gives. Each rule cites
the template it follows (under ``helm/oauth2-proxy/templates/``).

``ChartRelease.proxy(secrets)`` starts ``tests.support.oauth2_proxy.OAuth2Proxy`` as the pod would
run it: its args, its config file and its environment from the Secret.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.support.oauth2_proxy import OAuth2Proxy

__all__ = ["CHART_VERSION", "DEFAULTS", "ChartError", "ChartRelease", "merge"]

CHART_VERSION = "10.7.0"
CHART_NAME = "oauth2-proxy"
APP_VERSION = "7.15.3"

# values.yaml at 10.7.0: the defaults the rendered parts read.
DEFAULTS: dict[str, Any] = {
    "nameOverride": None,
    "fullnameOverride": None,
    "config": {
        "clientID": "XXXXXXX",
        "clientSecret": "XXXXXXXX",
        "cookieSecret": "XXXXXXXXXXXXXXXX",
        "requiredSecretKeys": ["client-id", "client-secret", "cookie-secret"],
        "cookieName": "",
        "configFile": "",
        "emailDomains": ["*"],
        "upstreams": ["file:///dev/null"],
        "forceLegacyConfig": True,
        "existingConfig": None,
        "existingSecret": None,
    },
    "alphaConfig": {"enabled": False},
    "extraArgs": {},
    "extraEnv": [],
    "proxyVarsAsSecrets": True,
    "service": {"type": "ClusterIP", "portNumber": 80, "targetPort": "", "appProtocol": "http"},
    "httpScheme": "http",
    "containerPort": None,
    "metrics": {"enabled": True, "port": 44180},
    "podLabels": {},
    "podSecurityContext": {},
    "securityContext": {
        "enabled": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 2000,
        "runAsGroup": 2000,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "redis-ha": {"enabled": False},
    "checkDeprecation": True,
    "sessionStorage": {"type": "cookie"},
    "extraInitContainers": [],
    "extraVolumes": [],
}


class ChartError(ValueError):
    """``helm install`` fails rendering the chart (a template's ``fail``)."""


def merge(base: Mapping[str, Any], *overlays: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of ``-f`` files over the chart's values: maps merge key by key, any
    other value replaces; a null removes the key."""
    out = copy.deepcopy(dict(base))
    for overlay in overlays:
        for key, value in overlay.items():
            if value is None:
                out.pop(key, None)
            elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def _go_string(value: Any) -> str:
    # Sprig's toString of a YAML scalar: booleans and numbers as Go prints them.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        raise ValueError(f"extraArgs value {value!r}: a list or map renders as Go's %v")
    return str(value)


@dataclass(frozen=True)
class ChartRelease:
    """``helm install <release> oauth2-proxy/oauth2-proxy --version 10.7.0 -n <namespace>``
    with ``values`` (the guide's files, merged in order)."""

    release: str
    namespace: str
    values: Mapping[str, Any]

    @classmethod
    def install(cls, release: str, namespace: str, *value_files: Mapping[str, Any]) -> ChartRelease:
        installed = cls(release, namespace, merge(DEFAULTS, *value_files))
        installed.check()
        return installed

    def check(self) -> None:
        """deprecation.yaml: with ``checkDeprecation`` (default true), ``service.port`` fails
        the install (renamed ``service.portNumber``)."""
        if self.values.get("checkDeprecation") and self.values["service"].get("port"):
            raise ChartError(
                "execution error at (oauth2-proxy/templates/deprecation.yaml): `service.port` "
                "does no longer exist. It has been renamed to `service.portNumber`"
            )

    # _helpers.tpl
    @property
    def name(self) -> str:
        """``oauth2-proxy.name``: nameOverride, else the chart's name."""
        return str(self.values.get("nameOverride") or CHART_NAME)[:63]

    @property
    def fullname(self) -> str:
        """``oauth2-proxy.fullname``: fullnameOverride; else the release name when it
        contains the chart's name; else ``<release>-<name>``."""
        if self.values.get("fullnameOverride"):
            return str(self.values["fullnameOverride"])[:63]
        if self.name in self.release:
            return self.release[:63]
        return f"{self.release}-{self.name}"[:63]

    @property
    def selector_labels(self) -> dict[str, str]:
        """``oauth2-proxy.selectorLabels``."""
        return {"app.kubernetes.io/name": self.name, "app.kubernetes.io/instance": self.release}

    @property
    def secret_name(self) -> str:
        """``oauth2-proxy.secretName``: config.existingSecret, else the fullname (secret.yaml
        makes it from config.clientID, clientSecret and cookieSecret)."""
        return str(self.values["config"].get("existingSecret") or self.fullname)

    @property
    def config_mode(self) -> str:
        """``oauth2-proxy.legacy-config.mode``."""
        config, alpha = self.values["config"], self.values["alphaConfig"]["enabled"]
        if alpha and not config["forceLegacyConfig"]:
            return "generated-alpha-compatible"
        if config.get("existingConfig"):
            return "existing-configmap"
        if config.get("configFile"):
            return "inline-custom"
        if alpha:
            return "generated-alpha-compatible"
        if not config["forceLegacyConfig"]:
            return "no-config"
        return "generated-legacy"

    def config_file(self) -> str:
        """``oauth2-proxy.legacy-config.content`` (configmap.yaml's ``oauth2_proxy.cfg``)."""
        config = self.values["config"]
        mode = self.config_mode
        if mode == "inline-custom":
            return str(config["configFile"])
        lines = [f"email_domains = {json.dumps(config['emailDomains'])}"]
        if mode == "generated-legacy":
            lines.append(f"upstreams = {json.dumps(config['upstreams'])}")
        return "\n".join(lines) + "\n"

    # service.yaml
    def service(self) -> dict[str, Any]:
        """The Service: port ``service.portNumber`` to the container port named
        ``service.targetPort`` or ``httpScheme``; and the metrics port when enabled."""
        service, metrics = self.values["service"], self.values["metrics"]
        ports = [
            {
                "name": self.values["httpScheme"],
                "port": service["portNumber"],
                "targetPort": service.get("targetPort") or self.values["httpScheme"],
                "protocol": "TCP",
            }
        ]
        if metrics["enabled"] and metrics["port"]:
            ports.append(
                {
                    "name": "metrics",
                    "port": metrics["port"],
                    "targetPort": "metrics",
                    "protocol": "TCP",
                }
            )
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": self.fullname, "namespace": self.namespace},
            "spec": {"ports": ports, "selector": self.selector_labels},
        }

    # deployment.yaml
    def container_port(self) -> int:
        """``containerPort``, else 4180 for http and 4443 for https."""
        if self.values.get("containerPort"):
            return int(self.values["containerPort"])
        return 4180 if self.values["httpScheme"] == "http" else 4443

    def args(self) -> list[str]:
        """The container's args: the listen addresses, ``--cookie-name``, each
        ``extraArgs`` entry (a map: Go templates range over sorted keys; ``--key=value``, a
        null value ``--key``; a list is passed as it is), then ``--config``."""
        values = self.values
        args: list[str] = []
        if values["alphaConfig"]["enabled"]:
            args.append("--alpha-config=/etc/oauth2_proxy/oauth2_proxy.yml")
        else:
            args += ["--http-address=0.0.0.0:4180", "--https-address=0.0.0.0:4443"]
            if values["metrics"]["enabled"]:
                args.append("--metrics-address=0.0.0.0:44180")
        if values["config"].get("cookieName"):
            args.append(f"--cookie-name={values['config']['cookieName']}")
        extra = values.get("extraArgs") or {}
        if isinstance(extra, Mapping):
            for key in sorted(extra):
                value = extra[key]
                args.append(f"--{key}" if value is None else f"--{key}={_go_string(value)}")
        else:
            args += [str(a) for a in extra]
        if self.config_mode != "no-config":
            args.append("--config=/etc/oauth2_proxy/oauth2_proxy.cfg")
        return args

    def env(self) -> list[dict[str, Any]]:
        """``OAUTH2_PROXY_CLIENT_ID``, ``_CLIENT_SECRET`` and ``_COOKIE_SECRET`` from the
        Secret's keys ``client-id``, ``client-secret`` and ``cookie-secret`` (those in
        config.requiredSecretKeys), then extraEnv."""
        env = []
        if self.values["proxyVarsAsSecrets"]:
            for key in ("client-id", "client-secret", "cookie-secret"):
                if key in self.values["config"]["requiredSecretKeys"]:
                    env.append(
                        {
                            "name": f"OAUTH2_PROXY_{key.upper().replace('-', '_')}",
                            "valueFrom": {"secretKeyRef": {"name": self.secret_name, "key": key}},
                        }
                    )
        return env + list(self.values.get("extraEnv") or [])

    def pod(self) -> dict[str, Any]:
        """The Deployment's pod spec, as far as Pod Security reads it."""
        values = self.values
        context = {k: v for k, v in values["securityContext"].items() if k != "enabled"}
        container: dict[str, Any] = {
            "name": CHART_NAME,
            "image": f"quay.io/oauth2-proxy/oauth2-proxy:v{APP_VERSION}",
            "args": self.args(),
            "env": self.env(),
            "ports": [
                {
                    "containerPort": self.container_port(),
                    "name": values["httpScheme"],
                    "protocol": "TCP",
                }
            ],
        }
        if values["securityContext"]["enabled"]:
            container["securityContext"] = context
        pod: dict[str, Any] = {
            "containers": [container],
            "volumes": [{"name": "configmain", "configMap": {"name": self.fullname}}]
            if self.config_mode != "no-config"
            else [],
        }
        pod["volumes"] += list(values.get("extraVolumes") or [])
        if values.get("podSecurityContext"):
            pod["securityContext"] = dict(values["podSecurityContext"])
        if values.get("extraInitContainers"):
            pod["initContainers"] = list(values["extraInitContainers"])
        return pod

    def pod_labels(self) -> dict[str, str]:
        return {
            "app": self.name,
            **self.selector_labels,
            **dict(self.values.get("podLabels") or {}),
        }

    def proxy(self, secrets: Mapping[str, Mapping[str, str]], **model: Any) -> OAuth2Proxy:
        """oauth2-proxy as the pod starts it, with ``secrets`` (name -> data) in its
        namespace: a Secret the environment names must exist (else the pod never starts)."""
        environment: dict[str, str] = {}
        for entry in self.env():
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref is None:
                environment[entry["name"]] = str(entry.get("value", ""))
                continue
            data = secrets.get(ref["name"])
            if data is None or ref["key"] not in data:
                raise LookupError(
                    f"CreateContainerConfigError: secret {ref['name']!r} key {ref['key']!r} "
                    f"not found in namespace {self.namespace}"
                )
            environment[entry["name"]] = data[ref["key"]]
        return OAuth2Proxy(self.args(), config=self.config_file(), env=environment, **model)
