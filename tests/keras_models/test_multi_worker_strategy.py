"""FlowModel under MultiWorkerMirroredStrategy: two worker processes on loopback."""

import json
import os
import pathlib
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

SCRIPT = pathlib.Path(__file__).with_name('multi_worker_training_script.py')
TIMEOUT_S = 240  # Hard limit: both workers are killed past it (a hung collective).


def _free_loopback_ports(count):
  """`count` distinct free TCP ports on 127.0.0.1, or skips if loopback sockets fail."""
  sockets = []
  try:
    for _ in range(count):
      s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
      sockets.append(s)
      s.bind(('127.0.0.1', 0))
    return [s.getsockname()[1] for s in sockets]
  except OSError as error:
    pytest.skip(f'this platform cannot open loopback TCP sockets ({error}); '
                'MultiWorkerMirroredStrategy needs them')
  finally:
    for s in sockets:
      s.close()


def test_two_workers_match_one_process_keep_own_chains_and_checkpoint(tmp_path):
  ports = _free_loopback_ports(2)
  cluster = {'worker': [f'127.0.0.1:{port}' for port in ports]}
  workers = []
  for index in range(2):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='', TF_CPP_MIN_LOG_LEVEL='2',
               TF_CONFIG=json.dumps({'cluster': cluster,
                                     'task': {'type': 'worker', 'index': index}}))
    log = open(tmp_path / f'worker{index}.log', 'w')  # pylint: disable=consider-using-with
    workers.append((subprocess.Popen([sys.executable, str(SCRIPT), str(tmp_path)],
                                     stdout=log, stderr=subprocess.STDOUT, env=env), log))
  deadline = time.monotonic() + TIMEOUT_S
  try:
    # Until both exit, one fails (the other would wait on it in a collective) or time is up.
    while time.monotonic() < deadline:
      codes = [process.poll() for process, _ in workers]
      if all(code is not None for code in codes) or any(code for code in codes):
        break
      time.sleep(0.2)
  finally:
    for process, log in workers:
      if process.poll() is None:
        process.kill()
        process.wait()
      log.close()
  logs = [(tmp_path / f'worker{i}.log').read_text()[-3000:] for i in range(2)]
  codes = [process.returncode for process, _ in workers]
  assert codes == [0, 0], (f'return codes {codes} (negative: killed, past {TIMEOUT_S} s or '
                           'when the other worker failed):\n' + '\n'.join(logs))
  results = [json.loads((tmp_path / f'worker{i}.json').read_text()) for i in range(2)]
  for result in results:
    assert result['num_replicas'] == 2 and result['buffer_rows'] == 32, result
    assert np.all(np.isfinite(result['loss'])), result
    # (a) The all-reduced step is the single-process step on the global batch.
    assert result['initial_weights_equal'] and result['weight_change'] > 1e-3, result
    assert result['weight_difference'] < 1e-5, result
    # (b) Each worker advanced its own block of rows; the blocks differ; a rerun repeats them.
    assert min(result['rows_changed']) > 0 and result['blocks_differ'], result
    # (c) The chief's checkpoint restores every variable on every worker, and a rerun from
    # its checkpoint before the step repeats the step: the same chains, the same weights.
    assert not result['restore_differs'], result
    assert not result['rerun_differs'], result
    # evaluate: the workers' bits/dim averaged is the single process's on the global batch.
    assert abs(result['bits_per_dim'][0] - result['bits_per_dim'][1]) < 1e-5, result
  assert results[0]['checkpoint_states_equal'], results[0]
  # Every worker's copy of the buffer holds both workers' chains.
  assert results[0]['states'] == results[1]['states']
