"""A user server that keeps what it is sent: every request's path and headers, one JSON line
each, appended to the file named by ``RECORD_TO``. The owner of a user server controls its
code; this one is what a curious owner would run."""

import json
import os
from urllib.parse import urlparse

from jupyterhub.utils import url_path_join
from tornado import ioloop, web


class Record(web.RequestHandler):
    def get(self) -> None:
        with open(os.environ["RECORD_TO"], "a", encoding="utf-8") as record:
            record.write(
                json.dumps({"path": self.request.path, "headers": dict(self.request.headers)})
                + "\n"
            )
        self.write("recorded")


def main() -> None:
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app = web.Application([(url_path_join(prefix, ".*"), Record)])
    app.listen(url.port or 8888, url.hostname)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
