"""Image-processing pieces behind ``digit_classifier.preprocessing``.

``loading`` decodes and guards, ``ink`` turns pixels into an ink map, ``components``
labels and selects connected ink, ``mnist_form`` shapes a crop into the 28x28 MNIST
form. Import the public API from ``digit_classifier.preprocessing``.
"""
