# MedExtract: one image for the API and the workers (different commands; see docker-compose.yml).
# Debian slim, not Alpine: Temporal's native core (and @napi-rs/canvas) ship glibc builds only.
#   docker build -t medextract .
#   docker run ... medextract                                          # API on :8000 (default command)
#   docker run ... medextract node --import tsx app/worker-main.ts     # a worker, health on :9091

# ---- build: full install, then the web UI and the Temporal workflow bundle --------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The bundle is made once here, so no worker runs webpack at start-up (WORKFLOW_BUNDLE below).
RUN node web/build.mjs \
 && node --import tsx scripts/bundle-workflows.ts dist/workflow-bundle.js

# ---- deps: production dependencies only (tsx is one: the app runs its TypeScript through it) ---------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime -----------------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
# tini as PID 1: forwards SIGTERM to node and reaps zombies; pinned to bookworm's build.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=8000 \
    WORKER_HTTP_PORT=9091 \
    WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# Code stays owned by root and read-only to the app user; it writes only to /tmp (uploads in flight, tsx cache).
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY app ./app
COPY core ./core
COPY library ./library
COPY stores ./stores
COPY services ./services
COPY workers ./workers
COPY api ./api
COPY activities ./activities
COPY workflows ./workflows
COPY migrations ./migrations
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/dist/workflow-bundle.js ./dist/workflow-bundle.js
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8000 9091
# Probes whichever endpoint this container serves (API :8000 or worker :9091); compose and k8s set their own.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "app/api-main.ts"]
