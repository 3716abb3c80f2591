"""A local JupyterHub as the dev app configures it: proxy and hub on 127.0.0.1, user servers as
local processes. Sign in by sending the user header yourself (as the auth proxy would)."""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.processes import deployment, exit_on_sigterm

PROXY_PORT, API_PORT, HUB_PORT = 8000, 8001, 8081
# The demo's admin (dev itself has admins by group only).
DEMO_ADMIN = "ada"


def main() -> None:
    exit_on_sigterm()
    with (
        tempfile.TemporaryDirectory(prefix="jupyterhub-demo-") as workdir,
        # The header is trusted as is here, so no token brings groups: an admin by name.
        deployment(
            Path(workdir),
            None,
            ports=(PROXY_PORT, API_PORT, HUB_PORT),
            auth_changes={"admin_users": (DEMO_ADMIN,), "admin_groups": ()},
        ) as hub,
    ):
        url = hub.proxy_url
        print(
            f"""
JupyterHub (dev settings, local spawner) is up at {url}
The hub trusts the X-Auth-Request-User header here, as the auth proxy would set it:

  curl -si -c cookies.txt -H 'X-Auth-Request-User: alice' {url}/hub/login
  curl -si -b cookies.txt -c cookies.txt -L -H 'X-Auth-Request-User: alice' {url}/hub/spawn

or in a browser, with a header-setting extension sending X-Auth-Request-User.
{DEMO_ADMIN!r} is an admin: {url}/hub/admin. Logs: {workdir}/hub.log, {workdir}/proxy.log
Ctrl-C stops the proxy, the hub and every user server.
""",
            flush=True,
        )
        assert hub.hub is not None and hub.proxy is not None  # started by deployment()
        try:
            while hub.hub.poll() is None and hub.proxy.poll() is None:
                time.sleep(0.5)
            print("a process exited; stopping", file=sys.stderr)
        except KeyboardInterrupt:
            # A second Ctrl-C must not cut the clean-up short (user servers would stay up).
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            print("\nstopping the proxy, the hub and every user server…", flush=True)


if __name__ == "__main__":
    main()
