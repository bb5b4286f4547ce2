"""The shared argument checks: counts, dtypes, batch shapes of estimates and values."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_probability.python.internal import parameter_properties

from tfp_rbm.internal import validation


@pytest.mark.parametrize('value', [3, np.int32(3), np.int64(3), np.array(3),
                                   tf.constant(3), tf.constant(3, tf.int64)])
def test_check_integer_returns_static_counts_as_python_ints(value):
  checked = validation.check_integer(value, 'num_steps', minimum=0)
  assert checked == 3 and type(checked) is int  # pylint: disable=unidiomatic-typecheck


@pytest.mark.parametrize('value,error,match', [
    (-1, ValueError, r'`num_steps` must be at least 0; got -1'),
    (np.int64(-2), ValueError, r'`num_steps` must be at least 0; got -2'),
    (tf.constant(-3), ValueError, r'`num_steps` must be at least 0; got -3'),
    (2.5, TypeError, r'`num_steps` must be an integer; got 2.5'),
    (np.float32(2.), TypeError, r'`num_steps` must be an integer'),
    (True, TypeError, r'`num_steps` must be an integer; got True'),
    ('3', TypeError, r'`num_steps` must be an integer'),
    (None, TypeError, r'`num_steps` must be an integer'),
    (tf.constant(2.), TypeError, r'`num_steps` must be an integer; got a float32 tensor'),
    (tf.constant([1, 2]), ValueError, r'`num_steps` must be a scalar'),
])
def test_check_integer_names_what_is_wrong(value, error, match):
  with pytest.raises(error, match=match):
    validation.check_integer(value, 'num_steps', minimum=0)


def test_check_integer_bounds_and_dynamic_tensors():
  with pytest.raises(ValueError, match=r'`num_chains` must be in \[1, 10\]; got 11'):
    validation.check_integer(11, 'num_chains', minimum=1, maximum=10)
  assert validation.check_integer(10, 'num_chains', minimum=1, maximum=10) == 10

  @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
  def passes_through(count):
    checked = validation.check_integer(count, 'num_steps', minimum=0)
    assert tf.is_tensor(checked)  # Known only when the graph runs.
    return checked

  assert int(passes_through(tf.constant(-5))) == -5


@pytest.mark.parametrize('dtype', [np.float16, tf.bfloat16, np.int64, tf.complex64])
def test_common_float_dtype_names_the_argument_and_the_supported_dtypes(dtype):
  with pytest.raises(TypeError, match=r'`scale` must be float32 or float64 \(the supported '
                                      r'dtypes\); got ' + tf.as_dtype(dtype).name):
    validation.common_float_dtype({'weights': np.zeros(2, np.float32),
                                   'scale': tf.zeros([2], dtype)})


def test_common_float_dtype_default_and_agreement():
  assert validation.common_float_dtype({'weights': [1., 2.], 'bias': None}) == tf.float32
  assert validation.common_float_dtype({'weights': np.zeros(2)}) == tf.float64


_PROPERTIES = dict(
    weights=parameter_properties.ParameterProperties(event_ndims=2),
    log_normalizer=parameter_properties.ParameterProperties(event_ndims=0))


@pytest.mark.parametrize('weights_shape,log_normalizer_shape', [
    ([3, 2], []), ([4, 3, 2], [4]), ([4, 3, 2], [1]), ([4, 3, 2], []), ([2, 4, 3, 2], [4]),
    ([None, 3, 2], [5]),
])
def test_a_fitted_estimate_may_broadcast_to_the_batch_shape(weights_shape, log_normalizer_shape):
  validation.check_batch_shapes(
      _PROPERTIES,
      [('weights', tf.TensorSpec(weights_shape)),
       ('log_normalizer', tf.TensorSpec(log_normalizer_shape))],
      fitted=('log_normalizer',))


@pytest.mark.parametrize('weights_shape,log_normalizer_shape', [
    ([3, 2], [5]), ([4, 3, 2], [2, 4]), ([1, 3, 2], [4]),
])
def test_a_fitted_estimate_may_not_widen_the_batch_shape(weights_shape, log_normalizer_shape):
  with pytest.raises(ValueError, match=r'`log_normalizer` has batch shape .*wider'):
    validation.check_batch_shapes(
        _PROPERTIES,
        [('weights', tf.TensorSpec(weights_shape)),
         ('log_normalizer', tf.TensorSpec(log_normalizer_shape))],
        fitted=('log_normalizer',))


def test_proposal_values_must_broadcast_to_the_machine():
  own = {'field': tf.zeros([2, 5])}
  shape = tf.TensorShape([2, 5])
  for good in (np.zeros(5), np.zeros([2, 5]), np.zeros([1, 5]), 0.):
    params = validation.proposal_parameters({'field': good}, own, tf.float32, 'M', shape)
    assert params['field'].dtype == tf.float32
  for bad in (np.zeros(4), np.zeros([3, 5]), np.zeros([4, 2, 5])):
    with pytest.raises(ValueError, match=r"`proposal\['field'\]` of M has shape"):
      validation.proposal_parameters({'field': bad}, own, tf.float32, 'M', shape)


def test_event_values_must_broadcast_with_the_batch_shape():
  batch = tf.TensorShape([2])
  for good in ([7, 2, 4], [2, 4], [4], [1, 4], [3, 1, 4]):
    validation.check_event_value(tf.zeros(good), tf.float32, 4, 'value', batch)
  with pytest.raises(ValueError, match=r'`value` has shape \(3, 4\), whose leading dimensions '
                                       r'\(3,\) do not broadcast with the batch shape \(2,\)'):
    validation.check_event_value(tf.zeros([3, 4]), tf.float32, 4, 'value', batch)
