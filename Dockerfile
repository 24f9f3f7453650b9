# Build: modules first so they cache, then a static binary.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/rfmsync ./cmd/rfmsync

# Run: CA certificates for the CRM's TLS, tzdata for the cron time zone, a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home rfmsync
COPY --from=build /out/rfmsync /usr/local/bin/rfmsync
USER 10001:10001
WORKDIR /data
VOLUME /data
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/rfmsync"]
CMD ["run", "--config", "/etc/rfmsync/config.yaml"]
