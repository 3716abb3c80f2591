"""What pyproject.toml cannot say: a .pth file at the top of site-packages.

``jupyterhub_cdk8s_node.pth`` (``_jupyterhub_cdk8s_node.py`` says why) goes into wheels and
into editable installs alike, so the repository's own environment behaves as a user's.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "jupyterhub_cdk8s_node.pth"


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        # A wheel is made from build_lib; an editable wheel from the install command's
        # install_lib, which setuptools points at that wheel's root for editable installs.
        install = self.get_finalized_command("install")
        target = install.install_lib if self.editable_mode else self.build_lib  # type: ignore[attr-defined]
        self.copy_file(PTH, str(Path(target, PTH)), preserve_mode=False)


setup(cmdclass={"build_py": BuildPyWithPth})
