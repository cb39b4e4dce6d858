"""Pre-trained encoders Buddy can build on this machine without a model hub (``buddy base``)."""
