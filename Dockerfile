# The bot for production: what `npm start` runs (tsx executes the TypeScript directly; tsx is a runtime dependency,
# so the dev dependencies stay out). It needs a database by MONGODB_URI (compose.yaml / compose.ferretdb.yaml): the
# embedded databases `npm start` provisions on a laptop are not for containers.
#   docker build -t liushou-family-bot .
#   docker run -p 3000:3000 -e MONGODB_URI=mongodb://… -e ADMIN_TOKEN=… -v liushou-data:/data liushou-family-bot
FROM node:20-slim

# A CJK font: the printable contact cards (GET /api/contact-cards.pdf) embed it, so Chinese is real text.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, so that a code change does not reinstall them (scripts later: `prepare` builds the console,
# whose sources are not copied yet).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
# The web console, built once into dist/console (the image runs tsx directly, not `npm start`'s prestart).
COPY console ./console
COPY scripts ./scripts
RUN node scripts/build-console.mjs --force

# In a container the bot must listen on every interface. No simulator: /sim lets anyone speak as anyone, so an image
# without a WeCom or Wechaty channel configured refuses to start (SIMULATOR=1 to try the image out). The rest of the
# settings are in .env.example.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    SIMULATOR=0

# Voice recordings (DATA_DIR/media) and a Wechaty session (DATA_DIR/wechaty) live here; the database does not.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

# The image's own unprivileged user.
USER node
EXPOSE 3000

# GET /healthz answers 200 once the database and the channels are up (503 while the database is down). The image
# has no curl: Node's fetch does it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# `npm start` without npm in between, so that SIGTERM reaches the bot (it then finishes the callbacks and sends in
# flight and closes the database connection).
CMD ["node_modules/.bin/tsx", "src/index.ts"]
