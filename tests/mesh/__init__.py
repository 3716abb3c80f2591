"""A model of how an Istio sidecar mesh routes and authorizes one request (a "hop"), written
from Istio's documented rules, over the objects an app synthesizes; and a recording hop that
captures what each process really sends.

- ``objects``: the Kubernetes and Istio objects the model reads (anything it does not model
  is refused, never ignored);
- ``routing``: the source sidecar's outbound decision (protocol, Host, egress, outbound mode)
  and the ingress gateway's;
- ``authz``: the destination's PeerAuthentication and AuthorizationPolicies;
- ``hops``: one verdict per hop from the two;
- ``recorder``: a forwarding HTTP/websocket proxy that records every request it passes on.
"""
