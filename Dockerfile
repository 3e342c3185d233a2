# syntax=docker/dockerfile:1
# One image for every jobtally component (watcher, counter, finalizer-remover, and the simulators).
# Stage 1 installs production dependencies; stage 2 copies them and the sources onto Node 24 LTS
# and runs as a non-root user.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY services ./services
COPY shared ./shared
RUN groupadd --system --gid 10001 jobtally \
 && useradd --system --uid 10001 --gid jobtally --no-create-home jobtally
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "bin/jobtally.mjs"]
CMD ["--help"]
