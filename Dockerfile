# escalation-router container: build in the Rust image, run in a slim one as a non-root user.
#   docker build -t escalation-router .
#   docker run -p 50051:50051 -p 9090:9090 \
#     -v $PWD/config.toml:/etc/escalation-router/config.toml:ro escalation-router
# The server listens on all addresses, so it refuses to start without an [auth] section with
# mode "keys" in the mounted configuration (deploy/config.example.toml shows every key).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin escalation-router \
 && cp target/release/escalation-router /escalation-router

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/escalation-router --create-home escalation
COPY --from=build /escalation-router /usr/local/bin/escalation-router
ENV ESCALATION__SERVER__LISTEN=0.0.0.0:50051 \
    ESCALATION__METRICS__LISTEN=0.0.0.0:9090 \
    ESCALATION__LOG__FORMAT=json \
    ESCALATION__STORE__URL=sqlite:///var/lib/escalation-router/escalation.db
USER 10001:10001
WORKDIR /var/lib/escalation-router
VOLUME ["/var/lib/escalation-router"]
EXPOSE 50051 9090
ENTRYPOINT ["/usr/local/bin/escalation-router"]
CMD ["serve", "--config", "/etc/escalation-router/config.toml"]
