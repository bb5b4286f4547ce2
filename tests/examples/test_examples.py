"""Runs every example end to end at smoke size on the shipped digits."""

import importlib.util
import json
import math
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / 'examples'
# At smoke size (widths 4-5) one step of the flow's width moves the count by ~30%.
EQUAL_BUDGET_TOLERANCE = 0.15
NAMES = sorted(path.stem for path in EXAMPLES.glob('*.py'))


def _main(name):
  spec = importlib.util.spec_from_file_location(f'example_{name}', EXAMPLES / f'{name}.py')
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.main


def _finite(value):
  return isinstance(value, float) and math.isfinite(value)


def _written(output, names):
  missing = [n for n in names if not (output / n).is_file() or (output / n).stat().st_size == 0]
  assert not missing, f'not written: {missing}'
  return json.loads((output / 'metrics.json').read_text())


def test_eb_and_flow(tmp_path):
  returned = _main('eb_and_flow')(['--smoke', '--output', str(tmp_path)])
  metrics = _written(tmp_path, [
      'metrics.json', 'gibbs_chain_none.png', 'gibbs_chain_nice.png', 'gibbs_chain_glow.png',
      'samples_nice_normal.png', 'samples_glow_gaussian_bernoulli_rbm.png',
      'nice_gaussian_bernoulli_rbm.keras', 'glow_gaussian_bernoulli_rbm.keras'])
  assert metrics == returned
  models = {r['model']: r for r in metrics['models']}
  assert sorted(models) == sorted([
      'none_gaussian_bernoulli_rbm', 'nice_gaussian_bernoulli_rbm', 'nice_normal',
      'glow_gaussian_bernoulli_rbm', 'glow_normal'])
  for row in models.values():
    assert _finite(row['bits_per_dim_exact']), row  # 4 hidden units: exact log Z
    if row['base'] == 'gaussian_bernoulli_rbm':
      assert _finite(row['bits_per_dim_ais']) and _finite(row['bits_per_dim_raise']), row
      # Both estimates of a 16-state machine are close to the exact value.
      assert abs(row['bits_per_dim_ais'] - row['bits_per_dim_exact']) < 0.05, row
      assert abs(row['bits_per_dim_raise'] - row['bits_per_dim_exact']) < 0.05, row
    else:
      assert row['bits_per_dim_ais'] is None and row['bits_per_dim_raise'] is None


def test_rbm_flow_ablation(tmp_path):
  # The smoke run: the paper's recipe with variational dequantization, FID and IS.
  returned = _main('rbm_flow_ablation')(['--smoke', '--output', str(tmp_path),
                                         '--cache-dir', str(tmp_path / 'cache')])
  bases = ['normal', 'multivariate_normal', 'discrete_mixture', 'smoothed_rbm']
  names = ['normal_vd', 'multivariate_normal_vd', 'discrete_mixture_paper_vd',
           'smoothed_rbm_paper_vd']
  metrics = _written(tmp_path, ['metrics.json'] + [f'samples_{n}.png' for n in names]
                     + [f'{n}.keras' for n in names])
  assert metrics == returned
  rows = {r['base']: r for r in metrics['models']}
  assert sorted(rows) == sorted(bases)
  assert sorted(r['row'] for r in rows.values()) == sorted(names)
  for row in rows.values():
    assert row['dequantization'] == 'variational'
    assert _finite(row['bits_per_dim']), row
    assert _finite(row['bits_per_dim_importance_weighted']), row
    assert _finite(row['fid']) and row['inception_score'] >= 1., row
    assert row['parameters'] == row['base_parameters'] + row['flow_parameters']
    # Equal budgets: every model within a few percent of the largest base's count.
    assert abs(row['parameters_vs_reference']) < EQUAL_BUDGET_TOLERANCE, row
  # 64 spins in two groups of 32: log Z of the smoothed RBM comes from AIS.
  assert rows['smoothed_rbm']['log_normalizer'] == 'AIS'
  assert rows['smoothed_rbm']['recipe'] == 'paper'
  assert rows['normal']['base_parameters'] == 0
  assert rows['multivariate_normal']['base_parameters'] == 64 + 64 * 65 // 2
  # Wider flows for the smaller bases: the Normal base gets the widest.
  assert rows['normal']['flow_width'] >= rows['multivariate_normal']['flow_width']


def test_dflow_codes(tmp_path):
  returned = _main('dflow_codes')(['--smoke', '--output', str(tmp_path)])
  metrics = _written(tmp_path, ['metrics.json', 'code_columns.png', 'test_codes.png',
                                'samples.png', 'model.keras'])
  assert metrics == returned
  assert _finite(metrics['test_bits_per_dim'])
  assert 0.5 <= metrics['mean_code_confidence'] <= 1.
  assert 0. <= metrics['hamming_same_class'] <= 1.
  assert 0. <= metrics['hamming_other_class'] <= 1.


@pytest.mark.parametrize('exact_training', [False, True])
def test_semi_supervised_labels(tmp_path, exact_training):
  returned = _main('semi_supervised_labels')(
      ['--smoke', '--output', str(tmp_path)] + ['--exact-training'] * exact_training)
  metrics = _written(tmp_path, ['metrics.json', 'labeled_rbm.keras', 'flowgmm.keras'])
  assert metrics == returned and metrics['exact_training'] == exact_training
  assert (metrics['dataset'], metrics['labels'], metrics['learning_rate']) == ('digits', 50, 3e-3)
  assert [m['base'] for m in metrics['models']] == ['labeled_rbm', 'flowgmm']
  for model in metrics['models']:
    assert 0. <= model['accuracy'] <= 1. and _finite(model['bits_per_dim']), model
  for base in ('labeled_rbm', 'flowgmm'):  # SampleGrid's class-conditional grids.
    assert any((tmp_path / f'samples_{base}').glob('*.png'))


def test_keras_fit(tmp_path):
  assert sum(1 for _ in open(EXAMPLES / 'keras_fit.py')) < 30
  results = _main('keras_fit')(['--epochs', '1', '--run-eagerly', '--output', str(tmp_path)])
  assert _finite(results['bits_per_dim'])
  assert (tmp_path / 'epoch_001.png').stat().st_size > 0
  assert (tmp_path / 'model.keras').stat().st_size > 0


def test_main_job(tmp_path):
  """The README's main job, at one epoch per base: both bases, exact test bits/dim, pictures."""
  metrics = _main('train_rbm_flow')(['--epochs', '1', '--time-budget', '0', '--max-train', '256',
                                     '--buffer-size', '256', '--hidden-units', '32',
                                     '--verbose', '0', '--output', str(tmp_path)])
  written = _written(tmp_path, ['metrics.json', 'samples.png', 'learning_curves.png',
                                'normal/model.keras', 'gaussian_bernoulli_rbm/model.keras'])
  assert written == metrics
  runs = {run['base']: run for run in metrics['runs']}
  assert set(runs) == {'normal', 'gaussian_bernoulli_rbm'}
  for run in runs.values():
    assert _finite(run['test_bits_per_dim']) and run['epochs'] == 1, run
    assert run['skipped_updates'] == 0
  difference = (runs['gaussian_bernoulli_rbm']['test_bits_per_dim']
                - runs['normal']['test_bits_per_dim'])
  assert metrics['bits_per_dim_minus_baseline'] == {
      'gaussian_bernoulli_rbm': round(difference, 4)}
  assert metrics['dataset'] == 'digits'


@pytest.mark.parametrize('name', NAMES)
def test_help(name, capsys):
  """Every example documents its options and exits without starting any work."""
  with pytest.raises(SystemExit) as exited:
    _main(name)(['--help'])
  assert exited.value.code == 0
  printed = capsys.readouterr().out
  assert printed.startswith('usage:') and '--' in printed, printed
