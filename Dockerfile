# syntax=docker/dockerfile:1
# The image the Action runs: one static binary on distroless (CA certificates, no shell).
#
# It follows GitHub's guidance for Docker container actions: no USER line, because the
# runner mounts the workspace and the files behind GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
# for the default user, and no WORKDIR, because the runner sets it to the workspace.
#
# The build stage runs on the builder's own platform and cross-compiles for each target
# (linux/amd64, linux/arm64), so a multi-arch build needs no emulation. `go build` fetches
# only the modules the binary imports — about a tenth of the module graph, which also holds
# the tests' registry, Kubernetes and OpenTelemetry modules — into a cache mount, and reads
# the source through a bind mount instead of copying it into a layer.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=bind,target=. \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false -ldflags "-s -w -X main.buildVersion=${VERSION}" \
      -o /out/chart-promoter ./cmd/chart-promoter

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/chart-promoter /usr/local/bin/chart-promoter
ENTRYPOINT ["/usr/local/bin/chart-promoter"]
