"""Bad inputs of variational dequantization, its bound, the recipe options and the extractors."""

import os
import tempfile

import keras
import numpy as np
import tensorflow_probability as tfp

from bad_input_registry import register_bad_input
from tfp_rbm import dequantization
from tfp_rbm import evaluation
from tfp_rbm.keras import build_base
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import SampleQuality


def _model(**kwargs):
  return FlowModel(4, base={'kind': 'normal'}, num_bins=4, **kwargs)


# -- the FlowModel option --

@register_bad_input('keras/flow_model_unknown_dequantization', ValueError,
                    r"Argument `dequantization` must be 'uniform', 'variational' or a dict.*"
                    r"got 'gaussian'")
def _unknown_dequantization():
  _model(dequantization='gaussian')


@register_bad_input('keras/flow_model_dequantization_unknown_option', ValueError,
                    r"Argument `dequantization` takes the options .*got unknown \['width'\]")
def _dequantization_unknown_option():
  _model(dequantization={'kind': 'variational', 'width': 8})


@register_bad_input('keras/flow_model_variational_dequantization_without_bins', ValueError,
                    r"Argument `dequantization`: 'variational' needs the number of pixel values "
                    r'`num_bins`')
def _variational_without_bins():
  FlowModel(4, base={'kind': 'normal'}, num_bins=None, dequantization='variational')


@register_bad_input('keras/flow_model_variational_dequantization_event_shape', ValueError,
                    r'Argument `dequantization`: its event_shape \[2, 3\] does not hold '
                    r'event_size=4')
def _variational_event_shape():
  _model(dequantization={'kind': 'variational', 'event_shape': [2, 3]})


@register_bad_input('keras/flow_model_variational_dequantization_scaled_data', ValueError,
                    r"Argument `x`: with dequantization='variational' the data are pixel "
                    r'values, integers in \[0, 4\).*holds the value 0.3')
def _variational_scaled_data():
  model = _model(flow={'builder': 'nice', 'event_size': 4, 'hidden_units': 4,
                       'num_hidden_layers': 1, 'num_coupling_layers': 2},
                 dequantization='variational')
  model.initialize(np.full([2, 4], 0.3, np.float32))


@register_bad_input('bijectors/variational_dequantizer_event_shape', ValueError,
                    r'Argument `event_shape` of VariationalDequantizer must be \[D\] or '
                    r'\[H, W, C\]')
def _dequantizer_event_shape():
  dequantization.VariationalDequantizer([4, 4])


@register_bad_input('bijectors/variational_dequantizer_pixels_size', ValueError,
                    r'Argument `pixels` of VariationalDequantizer must have the event shape '
                    r'\[4\]')
def _dequantizer_pixels_size():
  dequantization.VariationalDequantizer([2, 2, 1], num_coupling_layers=1,
                                        hidden_units=2).distribution(np.zeros([3, 5]))


# -- the recipe options of the bases --

@register_bad_input('keras/smoothed_rbm_spec_negative_delta', ValueError,
                    r"kind 'smoothed_rbm' needs `delta` None or a positive finite number; got "
                    r'-1.0')
def _smoothed_rbm_negative_delta():
  build_base({'kind': 'smoothed_rbm', 'delta': -1.}, 4)


@register_bad_input('keras/smoothed_rbm_spec_max_norm_string', ValueError,
                    r"kind 'smoothed_rbm' needs `max_norm` None or a positive finite number")
def _smoothed_rbm_max_norm_string():
  build_base({'kind': 'smoothed_rbm', 'delta': 2.5, 'max_norm': 'unit'}, 4)


# -- the importance-weighted bound --

def _density():
  return tfp.distributions.Sample(tfp.distributions.Beta(2., 3.), [2])


@register_bad_input('evaluation/importance_weighted_scaled_pixels', ValueError,
                    r'Argument `pixels` must hold pixel values, integers in \[0, 4\) '
                    r'\(num_bins\), not dequantized or scaled data; got \[0.5')
def _importance_weighted_scaled_pixels():
  evaluation.importance_weighted_log_prob(_density(), np.full([3, 2], 0.5), num_bins=4)


@register_bad_input('evaluation/importance_weighted_pixel_count', ValueError,
                    r"Argument `pixels` must have 2 values per image \(the model's event "
                    r'size\); got 3')
def _importance_weighted_pixel_count():
  evaluation.importance_weighted_log_prob(_density(), np.zeros([3, 3]), num_bins=4)


@register_bad_input('evaluation/importance_weighted_zero_samples', ValueError,
                    r'`num_samples` must be at least 1')
def _importance_weighted_zero_samples():
  evaluation.importance_weighted_log_prob(_density(), np.zeros([3, 2]), num_samples=0,
                                          num_bins=4)


@register_bad_input('evaluation/importance_weighted_not_a_distribution', TypeError,
                    r'Argument `model` must be a tfd.Distribution on \[0, 1\]\^D or hold one')
def _importance_weighted_not_a_distribution():
  evaluation.importance_weighted_log_prob(lambda x: x, np.zeros([3, 2]), num_bins=4)


# -- the feature extractors and the callback --

@register_bad_input('evaluation/inception_v3_weights_of_another_network', ValueError,
                    r"Argument `weights`: '.*other.weights.h5' does not match InceptionV3: it "
                    r'holds 8 weight values, InceptionV3 with include_top=True has 23,851,784')
def _inception_v3_weights_of_another_network():
  path = os.path.join(tempfile.mkdtemp(), 'other.weights.h5')
  keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save_weights(path)
  evaluation.InceptionV3Features(path)


@register_bad_input('evaluation/inception_v3_weights_not_hdf5', ValueError,
                    r"Argument `weights`: '.*weights.h5' is not an HDF5 weights file")
def _inception_v3_weights_not_hdf5():
  path = os.path.join(tempfile.mkdtemp(), 'weights.h5')
  with open(path, 'w') as f:
    f.write('not weights')
  evaluation.InceptionV3Features(path)


@register_bad_input('evaluation/inception_v3_weights_imagenet', ValueError,
                    r"Argument `weights` must be the path of a local InceptionV3 weights file.*"
                    r"got 'imagenet'.*Nothing is downloaded")
def _inception_v3_weights_imagenet():
  evaluation.InceptionV3Features('imagenet')


@register_bad_input('evaluation/classifier_labels_of_another_length', ValueError,
                    r'Argument `labels` must be integers of shape \[4\]')
def _classifier_labels_of_another_length():
  evaluation.ClassifierFeatures.train(np.zeros([4, 8, 8, 1], np.uint8), np.zeros([3], int))


@register_bad_input('evaluation/classifier_images_not_images', ValueError,
                    r'Argument `images` must be a non-empty batch of images')
def _classifier_images_not_images():
  evaluation.ClassifierFeatures.train(np.zeros([4], np.uint8), np.zeros([4], int))


@register_bad_input('keras/sample_quality_without_an_extractor', TypeError,
                    r'Argument `extractor` must have a `features\(images\)` method')
def _sample_quality_without_an_extractor():
  SampleQuality(object(), np.zeros([4, 8, 8, 1], np.uint8))
