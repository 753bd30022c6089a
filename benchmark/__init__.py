"""avmodel's benchmark suite: accuracy against the paper and its baseline, and throughput.

    python -m benchmark --enterface PATH --fer2013 PATH --emodb PATH --ravdess PATH \\
                        --weights DIR --out reports/NAME [--epochs N] [--throughput]
    pytest benchmark/ --benchmark-json=FILE          # the throughput tests alone

    corpus sources -> prepared folders + split manifests          [data]
      -> Avots et al. baseline (benchmark.baseline) and avmodel's networks,
         trained / fine-tuned per split, decided per clip          [protocols, networks, finetune]
      -> rows: measured, not measured (why), published             [rows, suite]
    pytest-benchmark stages, FLOPs, peak FLOP/s, peak memory       [test_throughput, throughput,
                                                                    flops, peak, memory, pipeline]
      -> reports/NAME/{report.md, results.json, *.png}             [report]
"""
