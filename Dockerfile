# syntax=docker/dockerfile:1

# Herald: one static binary (`herald api`, `herald worker`, `herald migrate`, ...)
# on a distroless base. Needs BuildKit (the default builder of current Docker):
#
#   docker build -t herald .
#   docker run --rm herald --help
#
# The build stage runs on the builder's own platform and cross-compiles, so
# `docker buildx build --platform linux/amd64,linux/arm64 .` needs no emulation.

# go.mod needs Go 1.26.8 or later; the 1.26 tag is the newest 1.26.x, whose
# standard-library fixes (net/http, crypto/tls) end up in the binary. Pin a
# patch release with --build-arg GO_VERSION=1.26.8 for a reproducible build.
ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src

# The golang image keeps modules in /go/pkg/mod (GOPATH=/go) and the build
# cache in /root/.cache/go-build; both are BuildKit cache mounts, so they
# survive between builds without ending up in any layer.
ENV GOMODCACHE=/go/pkg/mod \
    GOCACHE=/root/.cache/go-build \
    CGO_ENABLED=0

# Dependencies first (go.temporal.io/server and friends are large): this step
# reruns only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go mod download

COPY . .
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/herald ./cmd/herald

# static-debian12 has CA certificates (deliveries go to HTTPS endpoints) and
# tzdata, and no shell: health checks that need curl/wget can't run in it.
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="herald" \
      org.opencontainers.image.description="Durable webhook delivery on Temporal" \
      org.opencontainers.image.source="https://github.com/herald-webhooks/herald"
COPY --from=build /out/herald /herald
USER nonroot:nonroot
# The binary's default API address is 127.0.0.1:8080, unreachable from outside
# a container; listen on every interface instead.
ENV HERALD_API_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/herald"]
CMD ["api"]
