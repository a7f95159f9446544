# headcount in a container: the static (musl) release binary.
#
#   docker build --build-arg BINARY=dist/headcount -t headcount .            # distroless, no shell
#   docker build --build-arg BINARY=dist/headcount --target ci -t headcount:ci .  # alpine, sh + curl + jq
#   docker run --rm -v "$PWD:/work" -e THULIUM_API_PASSWORD headcount plan -f headcount.yaml
#
# The default image holds the binary and nothing else (runs as nonroot). CI
# systems that run a job's script in the image (GitLab CI) need a shell:
# the `ci` target adds sh, curl and jq (examples/ci/gitlab-ci.yml).
#
# BINARY is a static Linux build (release.yml extracts it from
# headcount-vX.Y.Z-x86_64-unknown-linux-musl.tar.gz). Without it, the image
# builds one from source (a musl build in a Rust container).
ARG BINARY=

FROM rust:1-alpine AS source
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
ARG BINARY
RUN if [ -n "$BINARY" ]; then install -m 755 "$BINARY" /headcount; \
    else cargo build --release --locked && install -m 755 target/release/headcount /headcount; fi

FROM alpine:3 AS ci
RUN apk add --no-cache curl jq ca-certificates
COPY --from=source /headcount /usr/local/bin/headcount
WORKDIR /work

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=source /headcount /usr/local/bin/headcount
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/headcount"]
