# app-vision: EdgeX application service running OpenVINO vision on camera events.
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t app-vision:0.1.0 .
#
# Stage 1 installs the project into a virtual environment and fetches the pinned models
# (hash-checked wheels from models.lock, converted to OpenVINO IR) so nothing is downloaded at
# run time. Stage 2 copies that environment onto a clean slim image and runs as a non-root user.
# The root filesystem may be read-only: all state (SQLite outbox, snapshots, OpenVINO model
# cache, temporary files) lives in the volume /var/lib/app-vision.
# tests/ship/test_image_entrypoint.py repeats these steps outside Docker (no engine on CI).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/app-vision/venv/bin:$PATH \
    APPCUSTOM_ENGINE_MODELSDIR=/opt/app-vision/models

WORKDIR /src
RUN python -m venv /opt/app-vision/venv
# Dependencies are pinned exactly in pyproject.toml; the project itself is the only unpinned
# requirement, and it is this source tree.
COPY pyproject.toml README.md ./
COPY service ./service
RUN pip install --no-cache-dir . && pip check

# Wheels and extracted sources are only conversion inputs: the IR files and manifest remain.
COPY models.lock ./
RUN python -m service.vision.cli models-fetch --lock models.lock --models-dir "$APPCUSTOM_ENGINE_MODELSDIR" \
 && rm -rf "$APPCUSTOM_ENGINE_MODELSDIR/wheels" "$APPCUSTOM_ENGINE_MODELSDIR/src"


FROM ${PYTHON_IMAGE}

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="app-vision" \
      org.opencontainers.image.description="EdgeX Foundry application service: OpenVINO vision on camera events, fused with sensors, acting back through EdgeX" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="app-vision" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

# Same uid:gid as the EdgeX 4.0 images (2002:2001), so a shared bind mount works for both.
RUN groupadd --system --gid 2001 app-vision \
 && useradd --system --uid 2002 --gid 2001 --home-dir /var/lib/app-vision --no-create-home \
      --shell /usr/sbin/nologin app-vision \
 && install -d -o 2002 -g 2001 -m 0750 /var/lib/app-vision /var/lib/app-vision/cache \
      /var/lib/app-vision/tmp

COPY --from=build /opt/app-vision /opt/app-vision
COPY res /opt/app-vision/res

ENV PATH=/opt/app-vision/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/app-vision \
    TMPDIR=/var/lib/app-vision/tmp \
    EDGEX_CONFIG_DIR=/opt/app-vision/res \
    SERVICE_HOST=edgex-app-vision \
    SERVICE_SERVERBINDADDR=0.0.0.0 \
    SERVICE_PORT=59760 \
    APPCUSTOM_ENGINE_MODELSDIR=/opt/app-vision/models \
    APPCUSTOM_ENGINE_CACHEDIR=/var/lib/app-vision/cache

# The working directory is the state volume, so every relative state path (outbox, snapshots)
# lands there; code, configuration and models are absolute paths under /opt/app-vision.
WORKDIR /var/lib/app-vision
VOLUME ["/var/lib/app-vision"]
USER 2002:2001
EXPOSE 59760

# slim has no curl: ask the service's own ping route with the standard library.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/v3/ping' % os.environ.get('SERVICE_PORT', '59760'), timeout=4)"]

ENTRYPOINT ["app-vision", "run"]
# As the EdgeX images do: register with core-keeper and read configuration from it.
CMD ["--registry", "-cp=keeper.http://edgex-core-keeper:59890"]
