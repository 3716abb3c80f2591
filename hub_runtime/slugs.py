"""Keys for a user's storage and objects that two users (or two servers) never share.

KubeSpawner's safe slug ends in a 32-bit hash, so colliding names are cheap to find, and two
users would mount one directory and get one pod name. Here a key is the name itself where
the name is already a plain DNS label, and otherwise a readable part and 128 bits of SHA-256:

- plain keys contain no ``--``;
- a user and a server name, both plain, join as ``<user>--<server>`` (exactly one ``--``:
  a plain name neither starts nor ends with ``-``);
- every other key is ``<readable>---<32 hex digits>`` (it contains ``---``).

The three kinds never meet, the first two are reversible, and two hashed keys are equal only
for equal inputs or a SHA-256 collision on 128 bits (about 2**64 work by the birthday bound).
A user name and a user-and-server pair hash different bytes (``0xff``, which UTF-8 never
contains, separates the pair).
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["DNS_LABEL_CHARS", "HASH_HEX_DIGITS", "POD_NAME_PREFIX", "server_key", "user_key"]

# The user pods' names: this prefix and the server key (KubeSpawner's pod_name_template as
# hub_runtime.spawner sets it); synthesis reads it too (the alerts), without KubeSpawner.
POD_NAME_PREFIX = "jupyter-"

# Kubernetes object names used as DNS labels (Services, pod host names): RFC 1035.
DNS_LABEL_CHARS = 63
HASH_HEX_DIGITS = 32  # 128 bits
_PLAIN = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
_HASH_SEPARATOR = "---"
# Hashes of these keys share nothing with other hashes of the same names (KubeSpawner's).
_DOMAIN = b"jupyterhub-cdk8s key\x00"


def _is_plain(name: str, max_length: int) -> bool:
    return len(name) <= max_length and "--" not in name and _PLAIN.fullmatch(name) is not None


def _hashed(readable: str, data: bytes, max_length: int) -> str:
    room = max_length - len(_HASH_SEPARATOR) - HASH_HEX_DIGITS
    if room < 1:
        raise ValueError(f"keys need at least {HASH_HEX_DIGITS + 4} characters, got {max_length}")
    # Only for people reading pod names and directories: the hash makes the key unique.
    prefix = _NOT_ALPHANUMERIC.sub("-", readable.lower()).strip("-")[:room].rstrip("-")
    if not prefix[:1].isalpha():
        prefix = ("x-" + prefix)[:room].rstrip("-")
    digest = hashlib.sha256(_DOMAIN + data).hexdigest()[:HASH_HEX_DIGITS]
    return f"{prefix}{_HASH_SEPARATOR}{digest}"


def user_key(name: str, max_length: int = DNS_LABEL_CHARS) -> str:
    """The user's key (``{user}`` in volume paths): ``name`` itself if it is a plain DNS
    label of at most ``max_length`` characters, else ``<readable>---<128-bit hash>``."""
    if _is_plain(name, max_length):
        return name
    return _hashed(name, name.encode("utf-8"), max_length)


def server_key(user: str, server: str, max_length: int = DNS_LABEL_CHARS) -> str:
    """The key of one of the user's servers (``""``: the default server), for pod, PVC and
    Service names: :func:`user_key` for the default server, ``<user>--<server>`` when both
    are plain and fit, else ``<readable>---<128-bit hash of both>``."""
    if not server:
        return user_key(user, max_length)
    joined = f"{user}--{server}"
    if (
        _is_plain(user, max_length)
        and _is_plain(server, max_length)
        and (len(joined) <= max_length)
    ):
        return joined
    return _hashed(joined, user.encode("utf-8") + b"\xff" + server.encode("utf-8"), max_length)
