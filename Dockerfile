# One image for every node group; SERVICES picks what a container runs (docs/operations.md).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's prepare step runs the web app's build, which skips until the sources are here (npm run build builds it)
COPY bin/build-web.js ./bin/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json moleculer.config.ts ./
COPY bin ./bin
COPY config ./config
COPY domains ./domains
COPY middlewares ./middlewares
COPY lib ./lib
COPY mixins ./mixins
COPY models ./models
COPY contracts ./contracts
COPY repl ./repl
COPY services ./services
COPY web ./web
RUN npm run build

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    SERVICEDIR=dist/services \
    PORT=3000 \
    HEALTH_PORT=3001 \
    METRICS_PORT=3030
WORKDIR /app
COPY package.json package-lock.json ./
COPY bin/build-web.js ./bin/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# the compiled services and the built web app (dist/web, served at /app)
COPY --from=build /app/dist ./dist
COPY config ./config
# the shipped ML data sets (registered by ml.registry on first start; data/README.md)
COPY data/polish-bankruptcy ./data/polish-bankruptcy
# the US filers a model on statement ratios is checked against when it is trained (docs/ml.md)
COPY data/sec-fsds/*.tsv ./data/sec-fsds/
USER node
EXPOSE 3000 3001 3030
CMD ["node", "--disable-warning=DEP0174", "--experimental-async-context-frame", "dist/bin/runner.js", "--config", "dist/moleculer.config.js"]
