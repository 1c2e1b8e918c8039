# syntax=docker/dockerfile:1
# rtcmesh-signal (the signaling server, with the web console it serves) as a container image:
#
#   docker build -t rtcmesh-signal .
#   docker run -d -p 8080:8080 -v rtcmesh-signal:/var/lib/rtcmesh-signal rtcmesh-signal
#   docker exec <container> rtcmesh-signal network create prod --mode l3
#
# The builder packs the same self-contained tarball `npm run package` writes (its native modules are
# built for this image's Node and libc); the runtime image installs it the way a user does, offline
# from the tarball, and runs it as an unprivileged user. contrib/docker/compose.yaml adds coturn, and
# compose.cluster.yaml PostgreSQL + Redis for several instances.

FROM node:20-bookworm AS build
WORKDIR /src
COPY . .
RUN npx -y pnpm@10 install --frozen-lockfile \
 && npx -y pnpm@10 run build \
 && node scripts/package.mjs

FROM node:20-bookworm-slim
COPY --from=build /src/dist/packages/rtcmesh-signal-*.tgz /tmp/
RUN npm install -g --offline --no-audit --no-fund /tmp/rtcmesh-signal-*.tgz \
 && rm /tmp/rtcmesh-signal-*.tgz \
 && useradd --system --home-dir /var/lib/rtcmesh-signal --create-home --shell /usr/sbin/nologin rtcmesh
USER rtcmesh
VOLUME /var/lib/rtcmesh-signal
EXPOSE 8080
# SIGTERM ends the server cleanly (sessions closed, database flushed); no init needed for one process.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["rtcmesh-signal"]
CMD ["serve", "--listen", "0.0.0.0:8080", "--data", "/var/lib/rtcmesh-signal"]
