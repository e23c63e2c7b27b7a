# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone on distroless: CA certificates, no shell,
# a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.buildVersion=${VERSION}" -o /out/chart-promoter ./cmd/chart-promoter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chart-promoter /usr/local/bin/chart-promoter
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/chart-promoter"]
