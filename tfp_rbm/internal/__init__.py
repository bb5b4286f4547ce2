"""Helpers by concern, shared by distributions, bijectors and evaluation.

`validation` (argument checks naming the argument, one dtype rule, one
finiteness check), `noise` (stateless samplers), `enumeration` (exact sums
over binary and spin states), `spectral_bound` (spectral norm and its
certified bound), `compile_policy` (when an eager sampling loop is worth
compiling with XLA).
"""
