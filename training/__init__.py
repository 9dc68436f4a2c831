"""Training, evaluation and export of the emotion model (needs PyTorch; the web app does not)."""
