# shopsim: one image for the coordinator (`run`), the workers (`worker`) and the sandbox shop (`shop`).
#   docker build -t shopsim .
#   docker run --rm shopsim --help
FROM node:24-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    PLAYWRIGHT_BROWSERS_PATH=/ms-playwright \
    # The container is the sandbox: Chromium's own needs user namespaces most runtimes do not grant.
    SHOPSIM_NO_SANDBOX=1 \
    SHOPSIM_LOG_LEVEL=info

# Dependencies first, so a code change does not reinstall them. Playwright's Chromium and the
# system libraries it needs come from Playwright's installer.
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund \
 && npx playwright install --with-deps chromium \
 && rm -rf /root/.npm /var/lib/apt/lists/*

# Node runs the TypeScript sources directly (type stripping): nothing to build.
COPY src ./src
COPY sandbox-shop ./sandbox-shop
COPY personas ./personas
COPY scenarios ./scenarios
COPY examples ./examples

RUN mkdir -p /app/runs && chown node:node /app/runs
USER node

ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["--help"]
