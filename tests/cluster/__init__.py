"""A Kubernetes cluster for the tests, on this machine, one namespace at a time.

- ``api``: the API server (kmock's KubernetesEmulator) with ``admission`` (RBAC, the
  ServiceAccount, Priority, RuntimeClass and ResourceQuota admission plugins);
- ``kubelet`` and ``containers``: a node that runs each pod's containers as local programs
  (``images``: what each of the apps' images runs), on the pod's own loopback address;
- ``network``: cluster DNS and kube-proxy (Services on addresses of their own);
- ``controllers``: StatefulSets, Deployments, ExternalSecrets, garbage collection;
- ``cluster``: all of them in an event loop of their own; ``deployment``: an app of ``dist/``
  deployed into one.
"""
