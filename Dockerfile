# The OCS InfluxDB publisher agent as an image: Debian 12 and the package
# that scripts/package builds, nothing else.
#
#   scripts/package && docker build -t ocs-influx-publisher .
#
# Run it as the OCS docs run the InfluxDB Publisher Agent, with the OCS
# agent's command line (docs/deploy.md has the docker-compose service):
#   docker run -v $OCS_CONFIG_DIR:/config:ro -v publisher-spool:/var/lib/ocs-influx-publisher \
#     ocs-influx-publisher --instance-id=influxagent \
#     --site-hub=ws://crossbar:8001/ws --site-http=http://crossbar:8001/call
FROM debian:12-slim

# One .deb in dist/ (scripts/package writes it there); apt resolves its
# Depends from Debian 12.
COPY dist/ocs-influx-publisher_*.deb /tmp/
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/ocs-influx-publisher_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/ocs-influx-publisher_*.deb \
 && useradd --system --user-group --no-create-home \
      --home-dir /var/lib/ocs-influx-publisher ocs-influx \
 && install -d -o ocs-influx -g ocs-influx -m 0750 /var/lib/ocs-influx-publisher

# As OCS images do: the site config is mounted at /config.
ENV OCS_CONFIG_DIR=/config
# Points InfluxDB has not taken yet wait here: give it a volume.
VOLUME ["/var/lib/ocs-influx-publisher"]
USER ocs-influx

# SIGTERM (docker stop): stop accepting, deliver for --shutdown-timeout
# (10 s), exit 0; give the container more than that (stop_grace_period).
ENTRYPOINT ["ocs_adapter", "--embedded-publisher", "--spool-dir", "/var/lib/ocs-influx-publisher/spool"]
CMD ["--instance-id=influxagent"]
