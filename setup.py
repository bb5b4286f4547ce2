"""Installs tfp_rbm: energy-based base distributions for normalizing flows."""

import setuptools

REQUIRED = [
    "tensorflow>=2.18",
    "tensorflow-probability>=0.25",
    # TFP imports tf-keras on TF >= 2.16 even though tfp_rbm itself uses Keras 3.
    "tf-keras>=2.18",
    "keras>=3.0",
    "numpy",
    "tqdm",
]

EXTRAS = {
    # tensorboard: SampleGrid's image summaries (`log_dir=`) and Keras' TensorBoard callback.
    "examples": ["tensorflow-datasets", "matplotlib", "tensorboard"],
    # scikit-learn: benchmarks/sklearn_rbm.py trains its BernoulliRBM beside ours.
    "benchmarks": ["scikit-learn", "scipy"],
    # pytest-xdist: the README's test command runs the suite on 2 processes.
    # hypothesis: the property-based pass over the bases and bits/dim (tests/test_properties.py).
    "tests": ["pytest", "pytest-xdist", "hypothesis", "scipy", "tensorflow-datasets",
              "matplotlib", "tensorboard"],
}

setuptools.setup(
    name="tfp_rbm",
    version="0.1.0",
    description=(
        "Restricted Boltzmann machine base distributions and flow bijectors "
        "for TensorFlow Probability."
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=setuptools.find_packages(include=["tfp_rbm", "tfp_rbm.*"]),
    package_data={"tfp_rbm.datasets": ["data/*"]},
    install_requires=REQUIRED,
    extras_require=EXTRAS,
    classifiers=[
        "License :: OSI Approved :: Apache Software License",
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
