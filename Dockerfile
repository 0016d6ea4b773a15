# checkpoint-share-operator: the controller image.
#
#   docker build -t registry.example.com/platform/checkpoint-share-operator:0.1.0 .
#
# Base images are pinned by tag. Pin them by digest too (`FROM image:tag@sha256:...`) in the
# pipeline that publishes releases; this file cannot resolve digests where it is written.

# Build: the full toolchain, including the Node.js 24 that package.json pins as a
# devDependency (its install script fetches the binary from the npm registry; package.json's
# allowScripts approves exactly that one).
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The build's second step: `run` and what it reaches of its dependencies, in one file.
COPY deploy/bundle.mjs ./deploy/
RUN npm run build

# Production dependencies only. No dependency of the operator has an install script, so
# none is run (test/unit/deploy-dockerfile.test.ts checks the lock file for that).
FROM node:24.21.0-bookworm-slim AS prod-deps
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime: Node.js and nothing else: no shell, no package manager.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="checkpoint-share-operator" \
      org.opencontainers.image.description="Kubernetes operator that keeps OpenAI fine-tuned checkpoint permissions in line with CheckpointShare objects" \
      org.opencontainers.image.source="https://github.com/example/checkpoint-share-operator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENV NODE_ENV=production
WORKDIR /app
# package.json declares "type": "module", which dist/ needs. crds/ is the schema
# `checkpoint-share validate` checks manifests against. The operator alone: the stand-ins and the
# sandbox and demo commands (packages/sandbox, a dev-only workspace) stay out, and `npm ci` above
# links the workspace only as a devDependency, which --omit=dev leaves out.
COPY package.json ./
COPY crds ./crds
COPY --from=prod-deps /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/main.js"]
CMD ["run"]
