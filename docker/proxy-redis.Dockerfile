# configurable-http-proxy with its Redis route backend, for CHProxy(routes=...Redis...).
FROM quay.io/jupyterhub/configurable-http-proxy:5.3.0

USER 0
WORKDIR /srv/configurable-http-proxy
# Beside CHP's own modules, so that --storage-backend can require it.
RUN npm install --omit=dev --no-audit --no-fund configurable-http-proxy-redis-backend@0.1.6 \
    && npm cache clean --force
USER 65534:65534
