# syntax=docker/dockerfile:1
# vaultgate's production image: Node 24 LTS (slim), the compiled server (dist/src) and its
# production dependencies only, run as a non-root user with no shell tooling it needs.
# Build and load: see README "Installing in a cluster". (Pin NODE_IMAGE by digest in CI.)
ARG NODE_IMAGE=node:24-slim

# 1. Compile TypeScript (dev dependencies are needed here only).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# 2. Production dependencies, exactly as locked (none runs an install script).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# 3. The runtime: node, package.json ("type": "module"), node_modules and dist/src. npm and
#    corepack are removed: nothing runs them, and they are most of the image's CVE surface.
FROM ${NODE_IMAGE}
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /src/dist/src ./dist/src
# Numeric, so the kubelet can check runAsNonRoot; the Deployment runs as the same 65532.
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["serve"]
