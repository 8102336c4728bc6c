"""CTR/CVR prediction: the feature spec shared by training and serving, trainers (LightGBM, PyTorch), calibration,
the registry, and the predictor used by the tools."""
