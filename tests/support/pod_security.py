"""The Pod Security "restricted" level as Kubernetes 1.33 enforces it (the project's default
``KubernetesVersion``): what the pod-security admission would refuse in a pod spec.

Each check follows ``kubernetes/pod-security-admission`` at tag ``v0.33.13`` (the library the
1.33 API server vendors), file ``policy/check_<id>.go``, cited beside it with the version of
the check that applies at 1.33. "restricted" is every baseline check plus the restricted ones,
a restricted check replacing the baseline one it names in ``OverrideCheckIDs``
(``policy/registry.go``). Containers are the init, regular and ephemeral ones
(``policy/visitor.go`` ``visitContainers``). ``relaxPolicyForUserNamespacePod``
(``policy/helpers.go``) stays off: it needs the alpha feature gate
UserNamespacesPodSecurityStandards, off by default at 1.33.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RESTRICTED_VOLUMES", "restricted_problems"]

# check_restrictedVolumes.go restrictedVolumes_1_0 (overrides hostPathVolumes): the volume
# types the restricted level admits.
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
# check_sysctls.go sysctlsV1Dot32 (applies from 1.32): the sysctls baseline admits.
ALLOWED_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
}
# check_seLinuxOptions.go selinuxAllowedTypes1_31.
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
# check_seccompProfile_baseline.go validSeccomp (used by the restricted check too).
SECCOMP_TYPES = {"RuntimeDefault", "Localhost"}
# check_appArmorProfile.go allowedProfileType and allowedAnnotationValue.
APPARMOR_TYPES = {"RuntimeDefault", "Localhost"}
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        *(pod.get("initContainers") or []),
        *(pod.get("containers") or []),
        *(pod.get("ephemeralContainers") or []),
    ]


def restricted_problems(pod: dict[str, Any], metadata: dict[str, Any] | None = None) -> list[str]:
    """What the restricted level refuses in ``pod`` (a pod spec; ``metadata`` its
    object metadata, for the AppArmor annotations), one entry per container or setter."""
    problems: list[str] = []
    pod_context = pod.get("securityContext") or {}
    containers = _containers(pod)
    windows = (pod.get("os") or {}).get("name") == "windows"

    # check_hostNamespaces.go hostNamespaces_1_0.
    problems += [key for key in ("hostNetwork", "hostPID", "hostIPC") if pod.get(key)]
    # check_restrictedVolumes.go restrictedVolumes_1_0.
    for volume in pod.get("volumes") or []:
        kind = next((k for k in volume if k != "name"), "unknown")
        if kind not in RESTRICTED_VOLUMES:
            problems.append(f"volume {volume['name']}: {kind}")
    # check_sysctls.go sysctlsV1Dot32: the pod's sysctls only.
    problems += [
        f"sysctl {s['name']}"
        for s in pod_context.get("sysctls") or []
        if s["name"] not in ALLOWED_SYSCTLS
    ]
    # check_runAsNonRoot.go runAsNonRoot_1_0: a pod or container setting false is refused
    # whatever the other says; a container unset needs the pod's true.
    if pod_context.get("runAsNonRoot") is False:
        problems.append("pod: runAsNonRoot false")
    # check_runAsUser.go runAsUser_1_23: the pod's 0 is refused even where every container
    # overrides it.
    if pod_context.get("runAsUser") == 0:
        problems.append("pod: runAsUser 0")
    # check_seccompProfile_restricted.go seccompProfileRestricted_1_25 (overrides
    # seccompProfile_baseline): a bad type on the pod is refused even where every container
    # sets a good one; Windows pods are exempt.
    pod_seccomp = (pod_context.get("seccompProfile") or {}).get("type")
    if not windows and pod_seccomp is not None and pod_seccomp not in SECCOMP_TYPES:
        problems.append("pod: seccomp")
    # check_seLinuxOptions.go seLinuxOptions1_31: a type outside the list, or any user or role.
    if not _selinux_ok(pod_context.get("seLinuxOptions")):
        problems.append("pod: seLinuxOptions")
    # check_appArmorProfile.go appArmorProfile_1_0.
    if (pod_context.get("appArmorProfile") or {}).get("type", "RuntimeDefault") not in (
        APPARMOR_TYPES
    ):
        problems.append("pod: appArmorProfile")
    for key, value in ((metadata or {}).get("annotations") or {}).items():
        if key.startswith(APPARMOR_ANNOTATION) and not (
            value in ("", "runtime/default") or value.startswith("localhost/")
        ):
            problems.append(f"annotation {key}")
    # check_windowsHostProcess.go windowsHostProcess_1_0.
    if (pod_context.get("windowsOptions") or {}).get("hostProcess"):
        problems.append("pod: hostProcess")

    for container in containers:
        context = container.get("securityContext") or {}
        name = container["name"]
        # check_runAsNonRoot.go runAsNonRoot_1_0.
        own = context.get("runAsNonRoot")
        if own is False or (own is None and pod_context.get("runAsNonRoot") is not True):
            problems.append(f"{name}: runAsNonRoot")
        # check_runAsUser.go runAsUser_1_23.
        if context.get("runAsUser") == 0:
            problems.append(f"{name}: runAsUser 0")
        # check_allowPrivilegeEscalation.go allowPrivilegeEscalation_1_25: must be set to
        # false (Windows pods exempt).
        if not windows and context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation")
        # check_privileged.go privileged_1_0.
        if context.get("privileged"):
            problems.append(f"{name}: privileged")
        # check_capabilities_restricted.go capabilitiesRestricted_1_25 (overrides
        # capabilities_baseline): drop "ALL", add nothing but NET_BIND_SERVICE.
        capabilities = context.get("capabilities")
        if not windows:
            if capabilities is None or "ALL" not in (capabilities.get("drop") or []):
                problems.append(f"{name}: capabilities not dropped")
            if set((capabilities or {}).get("add") or []) - {"NET_BIND_SERVICE"}:
                problems.append(f"{name}: capabilities added")
        # check_seccompProfile_restricted.go: the container's own type, else the pod's.
        seccomp = (context.get("seccompProfile") or {}).get("type")
        if not windows and (
            (seccomp is not None and seccomp not in SECCOMP_TYPES)
            or (seccomp is None and pod_seccomp not in SECCOMP_TYPES)
        ):
            problems.append(f"{name}: seccomp")
        # check_hostPorts.go hostPorts_1_0: any hostPort but 0.
        if any(port.get("hostPort", 0) != 0 for port in container.get("ports") or []):
            problems.append(f"{name}: hostPort")
        # check_procMount.go procMount_1_0: unset or "Default".
        if context.get("procMount", "Default") != "Default":
            problems.append(f"{name}: procMount")
        # check_seLinuxOptions.go seLinuxOptions1_31.
        if not _selinux_ok(context.get("seLinuxOptions")):
            problems.append(f"{name}: seLinuxOptions")
        # check_appArmorProfile.go appArmorProfile_1_0.
        if (context.get("appArmorProfile") or {}).get("type", "RuntimeDefault") not in (
            APPARMOR_TYPES
        ):
            problems.append(f"{name}: appArmorProfile")
        # check_windowsHostProcess.go windowsHostProcess_1_0.
        if (context.get("windowsOptions") or {}).get("hostProcess"):
            problems.append(f"{name}: hostProcess")
    return problems


def _selinux_ok(options: dict[str, Any] | None) -> bool:
    if options is None:
        return True
    return (
        options.get("type", "") in SELINUX_TYPES
        and not options.get("user")
        and not options.get("role")
    )
