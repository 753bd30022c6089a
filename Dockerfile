# The browser demo on the bundled weights (avmodel/weights/), same set-up as the README:
#   docker build -t avmodel .
#   docker run --rm -p 7860:7860 avmodel        # then open http://localhost:7860
# Nothing is downloaded when the container starts (HF_HUB_OFFLINE=1).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    HF_HUB_OFFLINE=1

# Gradio and the data path call ffmpeg.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 app
WORKDIR /home/app/avmodel

# Dependencies first, so editing the code does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=app:app . .
RUN pip install --no-deps -e .

USER 1000
# Build matplotlib's font cache and the ONNX graphs (avmodel compile) now rather than on the first request.
RUN python -c "import matplotlib.font_manager" && avmodel compile

EXPOSE 7860
CMD ["python", "demo/app.py", "--host", "0.0.0.0", "--port", "7860"]
