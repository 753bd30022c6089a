# Two commands for a fresh machine (Python 3.11 and make; ffmpeg is optional):
#   make demo   set up .venv and run the browser demo on the bundled weights
#   make test   set up .venv and run the test suite
VENV ?= .venv
PYTHON ?= python3.11
PY := $(VENV)/bin/python
PORT ?= 7860

.PHONY: setup setup-test demo test test-all clean

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -c "from avmodel.decode import link_ffmpeg; link_ffmpeg('$(VENV)/bin')"
	# the ONNX graphs of the bundled weights: predict then starts without TensorFlow (without them it runs Keras)
	$(VENV)/bin/avmodel compile || echo "avmodel compile failed: predict will make the graphs on first use or run Keras"
	touch $@

# the test tools and the optional extras the tests exercise (pyarrow, Ray), on top of setup
$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

demo: setup
	GRADIO_ANALYTICS_ENABLED=False PATH=$(abspath $(VENV))/bin:$$PATH $(PY) demo/app.py --port $(PORT)

test: setup-test
	PATH=$(abspath $(VENV))/bin:$$PATH $(PY) -m pytest -q --durations=15

test-all: setup-test
	PATH=$(abspath $(VENV))/bin:$$PATH $(PY) -m pytest -q -m "slow or not slow"

clean:
	rm -rf $(VENV) .pytest_cache
