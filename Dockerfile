# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone on distroless: CA certificates, no shell,
# no root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.buildVersion=${VERSION}" -o /out/chart-promoter ./cmd/chart-promoter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chart-promoter /usr/local/bin/chart-promoter
# uid 1001 is the runner user of GitHub-hosted runners, which owns the workspace and the
# GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files mounted into a Docker action: the step can
# write them without root. (A runner user with another uid needs the image rebuilt with
# --build-arg UID=<uid>.)
ARG UID=1001
USER ${UID}:${UID}
ENTRYPOINT ["/usr/local/bin/chart-promoter"]
