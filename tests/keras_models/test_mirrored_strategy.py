"""FlowModel under MirroredStrategy with two logical CPU devices."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np


def test_mirrored_strategy_matches_single_device_trains_skips_and_resumes():
  script = pathlib.Path(__file__).with_name('mirrored_training_script.py')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       env=env, timeout=600, check=False)
  assert out.returncode == 0, out.stderr[-3000:]
  result = json.loads(out.stdout.strip().splitlines()[-1])
  assert result['num_replicas'] == 2
  assert result['gradient_difference'] < 1e-5, result
  assert result['rbm_gradient_difference'] < 1e-5, result
  assert result['weight_difference'] < 1e-5, result
  assert np.all(np.isfinite(result['rbm_loss'])) and np.isfinite(result['rbm_bits_per_dim'])
  # One buffer row block per replica, identical on both devices, each advanced by its replica.
  assert result['buffer_rows'] == 2 * 64 and result['device_copies_equal'], result
  assert min(result['rows_changed_per_replica']) > 0 and result['replica_buffers_differ'], result
  assert result['skipped_updates'] == 1 and result['skip_warned'], result
  assert result['weights_unchanged_after_skip'], result
  assert result['resume_exact'], result
