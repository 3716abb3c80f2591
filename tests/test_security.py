"""Scanning and Pod Security: checkov finds nothing over dist/ and the previews except the
deliberate exceptions (each annotated with its reason and listed in the README), and the hub
and proxy pods meet the Pod Security "restricted" profile."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.conftest import ROOT, read_manifests

CHECKOV = ROOT / ".venv-scan" / "bin" / "checkov"
# Volume types the restricted profile admits.
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(ROOT / "dist"),
            "--framework",
            "kubernetes",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.slow
def test_checkov_finds_nothing(checkov_report: dict[str, Any]) -> None:
    failed = [
        (f["check_id"], f["resource"], f["file_path"])
        for f in checkov_report["results"]["failed_checks"]
    ]
    assert failed == []
    assert checkov_report["summary"]["passed"] > 0


@pytest.mark.slow
def test_every_exception_is_in_the_readme(checkov_report: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text()
    skipped = {
        (s["check_id"], s["check_result"]["suppress_comment"])
        for s in checkov_report["results"]["skipped_checks"]
    }
    assert skipped
    missing = [
        f"{check}: {reason}"
        for check, reason in sorted(skipped)
        if f"`{check}`" not in readme or reason not in readme
    ]
    assert missing == []


def _restricted_problems(pod: dict[str, Any]) -> list[str]:
    problems = []
    pod_context = pod.get("securityContext", {})
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key):
            problems.append(key)
    for volume in pod.get("volumes", []):
        kind = next(k for k in volume if k != "name")
        if kind not in RESTRICTED_VOLUMES:
            problems.append(f"volume {volume['name']}: {kind}")
    for container in pod.get("initContainers", []) + pod["containers"]:
        context = container.get("securityContext", {})
        name = container["name"]
        if not (context.get("runAsNonRoot") or pod_context.get("runAsNonRoot")):
            problems.append(f"{name}: runAsNonRoot")
        if context.get("runAsUser", pod_context.get("runAsUser")) == 0:
            problems.append(f"{name}: runAsUser 0")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation")
        if context.get("privileged"):
            problems.append(f"{name}: privileged")
        capabilities = context.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            problems.append(f"{name}: capabilities not dropped")
        if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{name}: capabilities added")
        seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {}))
        if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{name}: seccomp")
    return problems


@pytest.mark.parametrize("app", ["dev", "minimal"])
def test_hub_and_proxy_pods_are_restricted(app: str) -> None:
    workloads = [
        m for m in read_manifests(ROOT / "dist" / app) if m["kind"] in ("Deployment", "StatefulSet")
    ]
    assert {m["metadata"]["name"] for m in workloads} >= {"jupyterhub-hub", "jupyterhub-proxy"}
    for workload in workloads:
        assert _restricted_problems(workload["spec"]["template"]["spec"]) == [], workload[
            "metadata"
        ]["name"]


def test_restricted_check_can_fail() -> None:
    pod = {
        "containers": [{"name": "c", "securityContext": {"privileged": True}}],
        "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
    }
    assert _restricted_problems(pod) == [
        "volume h: hostPath",
        "c: runAsNonRoot",
        "c: allowPrivilegeEscalation",
        "c: privileged",
        "c: capabilities not dropped",
        "c: seccomp",
    ]
