# ssg serve in a container: ssg with the Redis backend installed from this repository,
# one site built into the image (every container of the image serves the same build,
# so they share ISR entries through Redis), run as a non-root user.
#
#   docker build -t mysite .                              # builds examples/blog
#   docker build -t mysite --build-arg SITE=path/to/site .
#   docker run -p 3000:3000 -e SSG_CACHE_URL=redis://redis:6379/0 mysite
#
# docker-compose.yml runs two of these behind nginx with one Redis.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# ssg and its Redis extra (redis-py with hiredis), from the source in this repository.
COPY pyproject.toml README.md /src/
COPY ssg/ /src/ssg/
COPY themes/ /src/themes/
COPY starters/ /src/starters/
RUN pip install --no-cache-dir "/src[redis]" && rm -rf /src

RUN useradd --create-home --uid 10001 --user-group ssg
WORKDIR /site

# The site, built once here: its out/ (and the build id that scopes ISR entries)
# is the same in every container started from this image.
ARG SITE=examples/blog
COPY --chown=10001:10001 ${SITE}/ /site/
USER 10001:10001
RUN ssg build /site --strict

EXPOSE 3000
# /_ssg/health answers 200 from memory (no page render, no Redis round trip).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/_ssg/health', timeout=2)"]
CMD ["ssg", "serve", "/site", "--host", "0.0.0.0", "--port", "3000"]
