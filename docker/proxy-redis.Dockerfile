# configurable-http-proxy with its Redis route backend, for CHProxy(routes=...Redis...).
# Nobody publishes this image: build it, push it to your registry and pass it as the proxy's
# image (README, "Images").
#
# The official image has no npm (it uninstalls it), so the backend is installed in a stage
# on the same Node.js base and copied to /srv/node_modules, where CHP's require() of
# --storage-backend finds it (Node.js looks in node_modules of every parent directory), and
# CHP's own modules stay as released.
FROM docker.io/library/node:24-alpine3.23 AS backend
WORKDIR /srv
RUN npm install --omit=dev --no-audit --no-fund --no-package-lock \
        configurable-http-proxy-redis-backend@0.1.6 \
    && npm cache clean --force

FROM quay.io/jupyterhub/configurable-http-proxy:5.3.0
COPY --from=backend /srv/node_modules /srv/node_modules
# The base image's user (nobody), stated so the image never runs as root.
USER 65534:65534
