"""A sample model package for ckptguard's pytest plugin."""
