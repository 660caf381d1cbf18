# 학생의 NumPy 순전파 — a student's NumPy forward pass for the two-layer network.
# Select the lines below (or run `backprop-notes explain samples/numpy-forward.py`) to see
# its backward pass explained.
import numpy as np

np.random.seed(0)

X = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25]])   # 3 samples x 2 features
Y = np.array([[1, 0], [0, 1], [0, 1]])                  # one-hot labels

W1 = np.random.randn(2, 3)
b1 = np.zeros(3)
W2 = np.random.randn(3, 2)
b2 = np.zeros(2)

Z1 = np.dot(X, W1) + b1
H1 = np.maximum(0, Z1)                                  # ReLU
Z2 = np.dot(H1, W2) + b2
E = np.exp(Z2)
P = E / np.sum(E, axis=1, keepdims=True)                # softmax, row by row
loss = -np.mean(np.sum(Y * np.log(P), axis=1))          # cross-entropy
