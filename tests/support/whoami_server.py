"""A lightweight user server for load tests: authenticates through the hub's OAuth like a
real one (only the owner gets in) and answers with the user it authenticated."""

import os
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web


class WhoAmI(HubOAuthenticated, web.RequestHandler):  # type: ignore[misc]
    @web.authenticated
    def get(self) -> None:
        self.write(self.get_current_user()["name"])


def main() -> None:
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app = web.Application(
        [
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
            (url_path_join(prefix, ".*"), WhoAmI),
        ],
        cookie_secret=os.urandom(32),
    )
    app.listen(url.port or 8888, url.hostname)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
