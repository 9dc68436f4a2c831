"""Training, evaluation and export of the emotion model (TensorFlow / Keras; the web app never imports it)."""
import os

# TensorFlow turns its oneDNN kernels on by itself only on CPUs with AVX-512 VNNI, BF16 or AMX; on
# an AVX2-only CPU it falls back to slower ones (measured on a 2-core AMD EPYC: 2.14 s against
# 1.44 s a training step of 128 faces). On every CPU, unless the caller chose otherwise.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
