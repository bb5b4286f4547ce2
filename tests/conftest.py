"""Shared pytest configuration: quiet TensorFlow, deterministic float64 math."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
