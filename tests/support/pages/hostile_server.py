"""A jupyter-server extension that a user puts in his own server (his home directory is on
its import path; his ``~/.jupyter`` config enables it): it serves ``attack.html`` beside it,
unauthenticated, under the server's URL, so any visitor's browser runs its script on the
server's origin. Nothing stops a user from running such code on his own server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tornado import web

PAGE = Path(__file__).with_name("attack.html")


class AttackPage(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(PAGE.read_bytes())


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [(f"{base}attack", AttackPage)])
