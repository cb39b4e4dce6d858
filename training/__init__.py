"""Model training and evaluation: ``train`` writes a model folder, ``evaluate`` measures one."""
