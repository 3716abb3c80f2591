"""What the tests share: the constants and builders (``constants``, ``builders``), the
synthesized YAML (``manifests``), and the stand-ins for programs the tests run against
(``processes``, ``oidc``, ``oauth2_proxy``, ``ingress_nginx``, ...).

Only ``constants``, ``builders`` and ``snapshots`` import cdk8s: the hub runtime's tests also
run where it is not installed (``scripts/test_z2jh``).
"""
