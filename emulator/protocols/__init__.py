"""Wire protocols: how providers' requests are authenticated and their answers shaped."""
