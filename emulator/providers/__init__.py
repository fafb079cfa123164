"""One folder per emulated product: its request parsing, actions, response shaping and error table."""
