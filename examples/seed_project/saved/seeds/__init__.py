"""The seed scenarios' models as they were when the reference checkpoints were saved."""
