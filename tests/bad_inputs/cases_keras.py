"""Bad inputs of the Keras model: constructor, data, sampling, log Z, `.keras` files."""

import json
import os
import tempfile
import zipfile

import keras
import numpy as np
import tensorflow_probability as tfp

from bad_input_registry import register_bad_input
from tfp_rbm.keras import BaseLogNormalizer
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import specs

EVENT_SIZE = 4
NICE = {'builder': 'nice', 'event_size': EVENT_SIZE, 'hidden_units': 4, 'num_hidden_layers': 1,
        'num_coupling_layers': 2}
RBM = {'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 2}


def _model(base=None, **kwargs):
  kwargs.setdefault('preprocessing', {'alpha': 0.05})
  return FlowModel(EVENT_SIZE, base=base or {'kind': 'normal'}, flow=NICE, buffer_size=8,
                   num_gibbs_steps=1, **kwargs)


def _compiled(base=None):
  model = _model(base)
  model.compile(optimizer=keras.optimizers.SGD(0.01), jit_compile=False)
  return model


# -- Constructor ------------------------------------------------------------------


@register_bad_input('keras/flow_model/training_bits_per_dim_interval_not_auto',
                    ValueError, r"`training_bits_per_dim_interval` must be 'auto' or an integer "
                    r">= 1; got 'every'")
def _():
  FlowModel(EVENT_SIZE, base=RBM, training_bits_per_dim_interval='every')


@register_bad_input('keras/flow_model/training_bits_per_dim_interval_zero', ValueError,
                    r'`training_bits_per_dim_interval` must be at least 1; got 0')
def _():
  FlowModel(EVENT_SIZE, base=RBM, training_bits_per_dim_interval=0)


@register_bad_input('keras/flow_model/event_size_not_an_int', TypeError,
                    r'`event_size` must be an integer; got 4.5')
def _():
  FlowModel(4.5, base={'kind': 'normal'})


@register_bad_input('keras/flow_model/event_size_zero', ValueError,
                    r'`event_size` must be at least 1; got 0')
def _():
  FlowModel(0, base={'kind': 'normal'})


@register_bad_input('keras/flow_model/overlap_chains_not_a_bool', TypeError,
                    r"`overlap_chains` must be a bool; got 'yes'")
def _():
  FlowModel(EVENT_SIZE, base=RBM, overlap_chains='yes')


@register_bad_input('keras/flow_model/exact_training_not_a_bool', TypeError,
                    r"`exact_training` must be a bool; got 1")
def _():
  FlowModel(EVENT_SIZE, base=RBM, exact_training=1)


@register_bad_input('keras/flow_model/exact_training_past_enumeration', ValueError,
                    r'`exact_training`: the base GaussianBernoulliRBM has 2\^2 states to '
                    r'enumerate for log Z, more than its `max_enumeration_bits`=1')
def _():
  FlowModel(EVENT_SIZE, base=dict(RBM, max_enumeration_bits=1), exact_training=True)


@register_bad_input('keras/flow_model/exact_training_with_overlapped_chains', ValueError,
                    r'`overlap_chains` must be False with `exact_training=True`')
def _():
  FlowModel(EVENT_SIZE, base=RBM, exact_training=True, overlap_chains=True)


@register_bad_input('keras/flow_model/flow_of_another_size', ValueError,
                    r'`flow` maps data of 4 values .*event_size=8')
def _():
  FlowModel(8, base={'kind': 'normal'}, flow=NICE)


@register_bad_input('keras/flow_model/base_of_another_size', ValueError,
                    r'`base` has event shape \[3\], but the model needs \[4\]')
def _():
  base = tfp.distributions.Sample(tfp.distributions.Normal(0., 1.), [3])
  FlowModel(EVENT_SIZE, base=base)


@register_bad_input('keras/flow_model/base_not_a_distribution', TypeError,
                    r'`base` must be a spec dict or a tfd.Distribution; got str')
def _():
  FlowModel(EVENT_SIZE, base='normal')


@register_bad_input('keras/flow_model/unknown_base_kind', ValueError,
                    r"Unknown base kind 'boltzmann' in argument `base`")
def _():
  FlowModel(EVENT_SIZE, base={'kind': 'boltzmann'})


@register_bad_input('keras/flow_model/unknown_flow_builder', ValueError,
                    r"Unknown flow builder 'maf' in argument `flow`")
def _():
  FlowModel(EVENT_SIZE, base={'kind': 'normal'}, flow={'builder': 'maf'})


@register_bad_input('keras/flow_model/preprocessing_unknown_key', ValueError,
                    r"`preprocessing` takes the keys 'alpha' and 'high'; got unknown \['beta'\]")
def _():
  _model(preprocessing={'beta': 0.1})


@register_bad_input('keras/flow_model/preprocessing_alpha', ValueError,
                    r'`alpha` must be in \[0, 0.5\), got 0.7')
def _():
  _model(preprocessing={'alpha': 0.7})


@register_bad_input('keras/flow_model/dtype', ValueError,
                    r"`dtype` must be 'float32' or 'float64'; got 'float16'")
def _():
  _model(dtype='float16')


@register_bad_input('keras/flow_model/log_normalizer_of_an_exact_base', ValueError,
                    r'`log_normalizer`: the base .* has an exact density')
def _():
  _model(log_normalizer=1.)


@register_bad_input('keras/flow_model/num_bins_one', ValueError,
                    r'`num_bins` must be at least 2; got 1')
def _():
  _model(num_bins=1)


@register_bad_input('keras/flow_model/buffer_size', ValueError,
                    r'`buffer_size` must be (positive|at least 1); got 0')
def _():
  FlowModel(EVENT_SIZE, base=RBM, buffer_size=0)


# -- Data -------------------------------------------------------------------------


@register_bad_input('keras/log_prob/examples_of_another_size', ValueError,
                    r'`x` must have shape \[N, 4\] or \[N, \*image_shape\] .*got shape \[4, 2\], '
                    'whose examples have 2 values')
def _():
  _model().log_prob(np.full([4, 2], 0.5, np.float32))


@register_bad_input('keras/log_prob/no_batch_axis', ValueError,
                    r'got shape \[4\] \(add a leading axis, x\[None\], for one example\)')
def _():
  _model().log_prob(np.full([4], 0.5, np.float32))


@register_bad_input('keras/log_prob/not_numbers', TypeError,
                    r'`x` must hold numbers \(float or int\); got string')
def _():
  _model().log_prob([['a', 'b', 'c', 'd']])


@register_bad_input('keras/log_prob/outside_the_preprocessing_range', ValueError,
                    r'`x`\) must lie in \[0, 1\] .*holds values from 0 to 16')
def _():
  _model().log_prob(np.array([[0., 4., 9., 16.]], np.float32))


@register_bad_input('keras/fit/images_of_another_size', ValueError,
                    r'`x` must have shape \[N, 4\] .*whose examples have 9 values')
def _():
  _compiled().fit(np.full([4, 3, 3], 0.5, np.float32), batch_size=2, verbose=0)


@register_bad_input('keras/fit/outside_the_preprocessing_range', ValueError,
                    r'`x`\) must lie in \[0, 1\] .*batch 0 of fit .* from 0 to 16')
def _():
  pixels = np.tile(np.array([[0., 4., 9., 16.]], np.float32), [2, 1])
  _compiled().fit(pixels, batch_size=2, verbose=0)


# -- Sampling and the log Z estimate --------------------------------------------


@register_bad_input('keras/sample/num_samples_zero', ValueError,
                    r'`num_samples` must be at least 1; got 0')
def _():
  _model().sample(0)


@register_bad_input('keras/sample/num_samples_not_an_int', TypeError,
                    r'`num_samples` must be an integer; got 2.5')
def _():
  _model().sample(2.5)


@register_bad_input('keras/sample/num_steps_negative', ValueError,
                    r'`num_steps` must be at least 0; got -1')
def _():
  _model(RBM).sample(2, num_steps=-1)


@register_bad_input('keras/set_log_normalizer/not_a_number', TypeError,
                    r"`log_normalizer` must be a number.*got 'abc'")
def _():
  _model(RBM).set_log_normalizer('abc')


@register_bad_input('keras/set_log_normalizer/infinite', ValueError,
                    r'`log_normalizer` must be finite; got inf')
def _():
  _model(RBM).set_log_normalizer(float('inf'))


@register_bad_input('keras/set_log_normalizer/exact_base', ValueError,
                    r'has an exact density: it needs no log Z estimate')
def _():
  _model().set_log_normalizer(1.)


@register_bad_input('keras/base_log_normalizer/estimate_shape', ValueError,
                    r'`estimate` must have shape \(\); got \(2,\)')
def _():
  BaseLogNormalizer(_model(RBM).base).assign([1., 2.])


# -- `.keras` files -------------------------------------------------------------------


@register_bad_input('keras/load/missing_file', ValueError,
                    r'`filepath`: there is no file .*nowhere.keras')
def _():
  FlowModel.load('/nonexistent/nowhere.keras')


@register_bad_input('keras/load/truncated_file', ValueError,
                    r"flow.keras' is not a complete .keras file: it is not a zip archive")
def _():
  with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, 'flow.keras')
    _model().save(path)
    with open(path, 'rb') as f:
      content = f.read()
    with open(path, 'wb') as f:
      f.write(content[:len(content) // 2])
    FlowModel.load(path)


@register_bad_input('keras/load/config_edited', ValueError,
                    r"(?s)Could not load the FlowModel in '.*flow.keras'.*does not match this one")
def _():
  with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, 'flow.keras')
    _model().save(path)
    with zipfile.ZipFile(path) as archive:
      members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members['config.json'])
    config['config']['flow']['num_coupling_layers'] = 1
    members['config.json'] = json.dumps(config).encode()
    with zipfile.ZipFile(path, 'w') as archive:
      for name, content in members.items():
        archive.writestr(name, content)
    FlowModel.load(path)


@register_bad_input('keras/base spec keyword unknown', TypeError,
                    r"`base`: kind 'gaussian_bernoulli_rbm' takes no keyword 'num_hiden'; "
                    r"it accepts \['num_hidden'")
def _base_spec_typo():
  specs.build_base({'kind': 'gaussian_bernoulli_rbm', 'num_hiden': 4}, 8)


@register_bad_input('keras/flow spec keyword unknown', TypeError,
                    r"`flow`: builder 'nice' takes no keyword 'hiden_units'.*'hidden_units'")
def _flow_spec_typo():
  specs.build_flow({'builder': 'nice', 'event_size': 8, 'hiden_units': 4})
