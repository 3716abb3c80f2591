"""Scanning and Pod Security: checkov finds nothing over dist/ and the previews except the
deliberate exceptions (each annotated with its reason and listed in the docs), and the hub
and proxy pods meet the Pod Security "restricted" profile."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support.commands import said
from tests.support.docs import all_text
from tests.support.manifests import ROOT, read_manifests
from tests.support.pod_security import restricted_problems

CHECKOV = ROOT / ".venv-scan" / "bin" / "checkov"


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
    # checkov exits with 1 when it finds something; what it found is the test's to show.
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov wrote no JSON report: {said(result)}", pytrace=False)
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
    readme = all_text()
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


@pytest.mark.parametrize("app", ["dev", "minimal"])
def test_hub_and_proxy_pods_are_restricted(app: str) -> None:
    workloads = [
        m for m in read_manifests(ROOT / "dist" / app) if m["kind"] in ("Deployment", "StatefulSet")
    ]
    assert {m["metadata"]["name"] for m in workloads} >= {"jupyterhub-hub", "jupyterhub-proxy"}
    for workload in workloads:
        assert restricted_problems(workload["spec"]["template"]["spec"]) == [], workload[
            "metadata"
        ]["name"]


def test_restricted_check_can_fail() -> None:
    pod = {
        "containers": [{"name": "c", "securityContext": {"privileged": True}}],
        "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
    }
    assert restricted_problems(pod) == [
        "volume h: hostPath",
        "c: runAsNonRoot",
        "c: allowPrivilegeEscalation",
        "c: privileged",
        "c: capabilities not dropped",
        "c: seccomp",
    ]


def _good(name: str = "c", **context: Any) -> dict[str, Any]:
    return {
        "name": name,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            **context,
        },
    }


GOOD_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


@pytest.mark.parametrize(
    ("pod", "problem"),
    [
        # A container's own false is refused though the pod says true.
        (
            {"securityContext": GOOD_POD, "containers": [_good(runAsNonRoot=False)]},
            "c: runAsNonRoot",
        ),
        # The pod's runAsUser 0 is refused though every container sets another.
        (
            {
                "securityContext": {**GOOD_POD, "runAsUser": 0},
                "containers": [_good(runAsUser=1000)],
            },
            "pod: runAsUser 0",
        ),
        # The pod's Unconfined is refused though every container sets RuntimeDefault.
        (
            {
                "securityContext": {**GOOD_POD, "seccompProfile": {"type": "Unconfined"}},
                "containers": [_good(seccompProfile={"type": "RuntimeDefault"})],
            },
            "pod: seccomp",
        ),
        (
            {
                "securityContext": GOOD_POD,
                "containers": [{**_good(), "ports": [{"containerPort": 80, "hostPort": 80}]}],
            },
            "c: hostPort",
        ),
        (
            {
                "securityContext": GOOD_POD,
                "containers": [_good()],
                "ephemeralContainers": [{"name": "debug"}],
            },
            "debug: allowPrivilegeEscalation",
        ),
        (
            {
                "securityContext": {
                    **GOOD_POD,
                    "sysctls": [{"name": "kernel.msgmax", "value": "1"}],
                },
                "containers": [_good()],
            },
            "sysctl kernel.msgmax",
        ),
        (
            {"securityContext": GOOD_POD, "containers": [_good(procMount="Unmasked")]},
            "c: procMount",
        ),
        (
            {"securityContext": GOOD_POD, "containers": [_good(seLinuxOptions={"type": "spc_t"})]},
            "c: seLinuxOptions",
        ),
    ],
)
def test_restricted_check_follows_pod_security_admission(pod: dict[str, Any], problem: str) -> None:
    assert problem in restricted_problems(pod)


def test_restricted_check_admits_what_the_admission_admits() -> None:
    pod = {
        "securityContext": GOOD_POD,
        "containers": [_good(runAsUser=1000)],
        "volumes": [{"name": "i", "image": {"reference": "example.org/data:1"}}],
    }
    assert restricted_problems(pod) == []
