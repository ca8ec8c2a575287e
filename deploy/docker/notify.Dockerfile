# Tilts notify service. Build from the repository root:
#   docker build -f deploy/docker/notify.Dockerfile -t tilts-notify .
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY contracts/ contracts/
COPY services/notify/ services/notify/
COPY deploy/nameko.yml deploy/nameko.yml
RUN pip install --no-deps --no-build-isolation ./contracts ./services/notify \
 && useradd --system --uid 10001 --home-dir /app tilts
USER 10001

CMD ["nameko", "run", "--config", "deploy/nameko.yml", "notify.service"]
