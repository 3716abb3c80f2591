# A hub image of your own: JupyterHub with hub_runtime, every package at the default hub image's
# version (docker/k8s-hub-4.4.0/requirements.txt, z2jh's), non-root, read-only root filesystem
# friendly (it writes only to /tmp and /srv/jupyterhub, both volumes in the hub StatefulSet). Optional: by default the hub
# runs z2jh's public image, into which the hub ConfigMap delivers jupyterhub_config.py,
# settings.json and hub_runtime (which then win over the copies baked in here).
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# tini as PID 1 (the ENTRYPOINT, as in z2jh's hub image): it reaps orphaned processes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/hub_runtime
COPY docker/k8s-hub-4.4.0/requirements.txt hub-constraints.txt
COPY pyproject.toml setup.py README.md LICENSE ./
COPY scripts/hub_requirements.py scripts/
# The [hub] extra with every transitive package pinned as in z2jh's image, then hub_runtime
# itself without the library's own (cdk8s) dependencies, which the hub does not use.
# More extras of pyproject.toml, for a proxy whose client the image lacks
# (--build-arg HUB_EXTRAS=hub-traefik for TraefikProxy). psycopg2 (HubDatabase.postgresql) as
# z2jh's image has it, from its wheel: the slim image has no compiler or libpq-dev to build the
# source release.
ARG HUB_EXTRAS=""
RUN python scripts/hub_requirements.py "$HUB_EXTRAS" > hub-requirements.txt \
    && pip install --constraint hub-constraints.txt --requirement hub-requirements.txt \
        psycopg2-binary==2.9.12
COPY hub_runtime ./hub_runtime
COPY constructs_lib ./constructs_lib
COPY _jupyterhub_cdk8s_node.py jupyterhub_cdk8s_node.pth ./
# The configuration directory as the hub ConfigMap fills it: jupyterhub_config.py beside the
# hub_runtime package, whose launch.py is the command.
RUN pip install --no-deps . \
    && install -D -m 0644 hub_runtime/jupyterhub_config.py \
        /usr/local/etc/jupyterhub/jupyterhub_config.py \
    && install -D -m 0644 -t /usr/local/etc/jupyterhub/hub_runtime hub_runtime/*.py \
    && install -d -o 65532 -g 65532 /srv/jupyterhub

USER 65532:65532
WORKDIR /srv/jupyterhub
EXPOSE 8081
# The hub StatefulSet's command (constructs_lib._hub.hub.HUB_ENTRYPOINT) and, as CMD, its program
# (HUB_COMMAND), so the image runs alike with and without them.
ENTRYPOINT ["tini", "--"]
CMD ["python", "/usr/local/etc/jupyterhub/hub_runtime/launch.py", "--config", "/usr/local/etc/jupyterhub/jupyterhub_config.py"]
