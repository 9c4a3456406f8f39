# The temps image: one image, the role is chosen at run time (TEMPS_ROLE=all|ingest|api|projector).
FROM node:24-bookworm-slim AS build
WORKDIR /app
# .npmrc and the postinstall's script (scripts/node24.cjs: nothing to do under this Node 24) come before npm ci.
COPY package.json package-lock.json .npmrc ./
COPY scripts/node24.cjs ./scripts/
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0 TEMPS_DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/apps/web/build ./apps/web/build
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/temps.js", "serve"]
