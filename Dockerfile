# vmdocker as an image: `vmdocker serve` over HTTP on port 3000 (see README: Run it as a container).
# Dependencies come from pyproject.toml, as `make install` takes them; there is no second list.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN python -m venv /opt/vmdocker \
 && /opt/vmdocker/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/vmdocker/bin/pip install --no-cache-dir .

FROM python:3.11-slim
# DejaVu is the diagrams' font (bot/render/images.py); slim has no fonts.
# /data is the bot's own: the default store (DATABASE_URL=sqlite:///vmdocker.sqlite3, a path
# relative to the working directory) is created there, on a volume so it outlives the container.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 vmdocker \
 && mkdir /data \
 && chown vmdocker /data
COPY --from=build /opt/vmdocker /opt/vmdocker
# The knowledge ships in the image; mount another folder here to serve your own edits.
COPY knowledge /app/knowledge
ENV PATH="/opt/vmdocker/bin:$PATH" \
    VMDOCKER_KNOWLEDGE_DIR=/app/knowledge \
    PYTHONUNBUFFERED=1
VOLUME /data
WORKDIR /data
USER vmdocker
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2)"]
CMD ["vmdocker", "serve", "--host", "0.0.0.0", "--port", "3000", "--workers", "2"]
