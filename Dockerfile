# One image for every Node service of the stack (gateway, broker, simulators); docker-compose.yml
# picks the entry point per service. Default: the gateway on the demo site config.
#   docker build -t facility-gateway .
#   docker run -p 8080:8080 facility-gateway

# --- build: dependencies (with the toolchain for native modules) and the dashboard bundle ---------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:dashboard \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime ---------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# node-opcua needs OpenSSL at run time to create its PKI (certificates).
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/data && chown node:node /app/data
# Non-root: the `node` user of the base image.
USER node
ENV GW_DATA_DIR=/app/data
VOLUME ["/app/data"]
EXPOSE 8080
CMD ["npx", "tsx", "gateway/main.ts", "--config", "demo/site.yaml"]
