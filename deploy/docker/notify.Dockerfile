# Tilts notify service. Build from the repository root:
#   docker build -f deploy/docker/notify.Dockerfile -t tilts/notify:TAG .
# (or `docker compose build`, which tags every image as the manifests name them)
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt
COPY contracts/ contracts/
COPY runtime/ runtime/
COPY services/notify/ services/notify/
COPY deploy/nameko.yml deploy/nameko.yml
RUN pip install --no-deps --no-build-isolation ./contracts ./runtime ./services/notify \
 && useradd --system --uid 10001 --home-dir /app tilts
USER 10001
# touched every 5 s by the service's own timer; `python -m tilts_runtime.probe live`
# (compose healthcheck, Kubernetes probes) checks its age. /tmp must be writable.
ENV HEARTBEAT_FILE=/tmp/tilts-alive

CMD ["nameko", "run", "--config", "deploy/nameko.yml", "notify.service"]
