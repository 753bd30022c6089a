"""Batch prediction on Ray: the file list -> Ray Data -> one Predictor per worker -> results, in order.

    paths -> ray.data.from_items([{"path": p}, ...])
          -> map_batches(PredictorWorker, concurrency=num_workers)   each worker loads the networks once
          -> {"path", "result": JSON text} rows -> iter_rows() on the driver -> result dicts, as given

The driver writes every row (``avmodel.batch.write_all``), so the output, its resuming and
the progress bar are those of the single-process run, row for row. A result travels as JSON
text so that answers and error rows share one arrow schema. Without an address, a local Ray
is started on this machine and stopped at the end; ``"auto"`` joins the cluster of
``ray start --head`` (every node needs avmodel installed, and the weights: bundled, a Hub
cache, or a folder at the same path). Needs ``pip install "avmodel[ray]"``.
"""

import json
import logging
import os

RAY_BATCH_FILES = 1  # files per worker call: a clip is seconds of work, and each row is written when done
QUIET_WORKERS = {"TF_CPP_MIN_LOG_LEVEL": "2", "GRADIO_ANALYTICS_ENABLED": "False"}


def ray_results(paths, address=None, num_workers=2, gpus_per_worker=0, weights=None, revision=None,
                cpus_per_worker=1, engine="auto"):  # fmt: skip
    """Yield one result dict per path, in order, computed by ``num_workers`` Ray workers.

    A bad file gives its error row, as in ``Predictor.iter_predict``. Weights that cannot be
    found or used raise WeightsError here, before any worker starts: they are loaded and
    checked once on this machine first (a few seconds, against a job of many files).
    """
    import ray

    check_weights(weights, revision, engine)
    started = _connect(ray, address, cpus_per_worker)
    try:
        dataset = ray.data.from_items([{"path": str(path)} for path in paths])
        results = dataset.map_batches(
            PredictorWorker,
            fn_constructor_kwargs={"weights": weights, "revision": revision, "engine": engine},
            batch_size=RAY_BATCH_FILES,
            concurrency=num_workers,
            num_cpus=cpus_per_worker,
            num_gpus=gpus_per_worker,
        )
        for row in results.iter_rows():
            yield json.loads(row["result"])
    finally:
        if started:
            ray.shutdown()


def check_weights(weights, revision, engine="auto"):
    """Raise WeightsError now, not from inside every worker, when the weights cannot be used.
    The ONNX graphs are made here too, once, for the workers on this machine to find in the cache."""
    from avmodel.hub import resolve_weights
    from avmodel.predict import load_engine

    load_engine(resolve_weights(weights, revision), engine)  # dropped again: each worker loads its own


def _connect(ray, address, cpus_per_worker):
    """Join the cluster at ``address`` (None: start a local one); True when this call started Ray."""
    threads = str(max(1, int(cpus_per_worker)))  # each worker's TensorFlow or onnxruntime gets the cores it was given
    env = {**QUIET_WORKERS, "TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": threads}
    started = not ray.is_initialized()
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # CPU workers: leave the device variables alone
    if started:
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False,
                 runtime_env={"env_vars": env})  # fmt: skip
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # rows come back in the order of the paths
    context.enable_progress_bars = False  # the driver shows its own bar
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    return started


class PredictorWorker:
    """A Ray Data actor: the Predictor, loaded once per worker; a batch of paths -> JSON result rows.

    batch: {"path": (n,) array of str} -> {"path": the same, "result": (n,) JSON text of each result dict}
    """

    def __init__(self, weights=None, revision=None, engine="auto"):
        from avmodel.predict import Predictor

        self.predictor = Predictor(weights, revision, engine=engine)

    def __call__(self, batch):
        import numpy as np

        results = [self._json(self.predictor.predict_or_error(str(path))) for path in batch["path"]]
        return {"path": batch["path"], "result": np.array(results, dtype=object)}

    @staticmethod
    def _json(result):
        """JSON text of a result; NaN stays NaN, for the driver's writer to refuse as it would locally."""
        from avmodel.writers import unwritable

        try:
            return json.dumps(result)
        except (TypeError, ValueError) as error:
            return json.dumps(unwritable(result, error))
