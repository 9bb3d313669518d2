# The Common Ground API (with the workshop page); the database comes from NEO4J_URI.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY api ./api
COPY graph ./graph
COPY schema ./schema
COPY analytics ./analytics
COPY commonground ./commonground
COPY seed_data ./seed_data
COPY web ./web
RUN pip install --no-cache-dir . && useradd --create-home commonground
USER commonground
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["commonground", "serve", "--host", "0.0.0.0", "--port", "8000"]
