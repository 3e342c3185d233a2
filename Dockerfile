# syntax=docker/dockerfile:1
# One image for every jobtally component (watcher, counter, finalizer-remover, and the simulators).
# Stage 1 compiles the TypeScript (npm ci runs the build as its prepare step); stage 2 installs the
# production dependencies only; stage 3 puts them and the compiled code on Node 24 LTS and runs as
# a non-root user. bin/jobtally.mjs runs dist/ (no TypeScript loader at run time).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY services ./services
COPY shared ./shared
RUN npm ci --no-audit --no-fund

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin/jobtally.mjs ./bin/jobtally.mjs
RUN groupadd --system --gid 10001 jobtally \
 && useradd --system --uid 10001 --gid jobtally --no-create-home jobtally
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "bin/jobtally.mjs"]
CMD ["--help"]
