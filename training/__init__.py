"""Training, evaluation and export of the emotion model (TensorFlow / Keras; the web app never imports it)."""
