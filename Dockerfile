# One image for the API and both worker kinds (the compose command picks the entry).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY scripts ./scripts
# The image talks to the compose Temporal server; it needs no local CLI.
ENV TEMPORAL_CLI_SKIP=1
# onnxruntime-node's postinstall would fetch its CUDA provider from NuGet (npm < 11.19 runs it; newer
# npm skips it: package.json allowScripts). CPU inference needs nothing more than the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --omit=dev || npm ci
COPY . .
RUN npm run build:ui && npm run build:bundle
ENV NODE_ENV=production
