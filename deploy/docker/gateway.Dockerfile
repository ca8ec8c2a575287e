# Tilts gateway service. Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t tilts/gateway:TAG .
# (or `docker compose build`, which tags every image as the manifests name them)
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt
COPY contracts/ contracts/
COPY runtime/ runtime/
COPY services/gateway/ services/gateway/
COPY deploy/nameko.yml deploy/nameko.yml
RUN pip install --no-deps --no-build-isolation ./contracts ./runtime ./services/gateway \
 && useradd --system --uid 10001 --home-dir /app tilts
USER 10001
EXPOSE 8000
CMD ["nameko", "run", "--config", "deploy/nameko.yml", "gateway.service"]
