"""An RBM-Flow (NICE + Gaussian-Bernoulli RBM base) trained with Keras `model.fit`.
Usage: python examples/keras_fit.py --epochs 20 --output results/keras_fit"""
import argparse, os
import keras
from tfp_rbm import datasets
from tfp_rbm.keras import FlowModel, SampleGrid


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--epochs', type=int, default=20)
  parser.add_argument('--output', default='results/keras_fit', help='PNGs and model.keras')
  parser.add_argument('--run-eagerly', action='store_true', help='no tracing: quicker for 1 epoch')
  args = parser.parse_args(argv)
  # Flat digits, x = (pixel + u) / 256; the test batches get the same noise on every pass.
  train = datasets.dequantized_batches(datasets.load_numpy('digits', 'train'), 128, 0, shuffle=True)
  test = datasets.dequantized_batches(datasets.load_numpy('digits', 'test'), 256, seed=1)
  model = FlowModel(64, base={'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 16},
                    flow={'builder': 'nice', 'event_size': 64, 'hidden_units': 128},
                    preprocessing={'alpha': 0.05}, buffer_size=1000, num_gibbs_steps=25)
  model.compile(keras.optimizers.Adam(1e-3), run_eagerly=args.run_eagerly, steps_per_execution=10)
  model.fit(train, epochs=args.epochs, verbose=2, shuffle=False, callbacks=[  # already shuffled
      SampleGrid(args.output, image_shape=[8, 8]),  # epoch_001.png, ...
      keras.callbacks.ModelCheckpoint(os.path.join(args.output, 'model.keras'))])
  return model.evaluate(test, return_dict=True, verbose=0)  # bits_per_dim: exact log Z


if __name__ == '__main__':
  print(main())
