# The release image: the runtime stage of the Dockerfile around a binary
# GoReleaser has already built (static, with version, commit and date).
FROM gcr.io/distroless/static-debian12:nonroot
# GoReleaser puts each platform's binary under <os>/<arch>/ in the context.
ARG TARGETPLATFORM
COPY ${TARGETPLATFORM}/dnssync /usr/local/bin/dnssync
USER 65532:65532
ENV DNSSYNC_STATE_DIR=/var/lib/dnssync
VOLUME ["/var/lib/dnssync"]
EXPOSE 9353
ENTRYPOINT ["/usr/local/bin/dnssync"]
CMD ["watch", "--config", "/etc/dnssync/dnssync.yaml", "--addr", "0.0.0.0:9353"]
