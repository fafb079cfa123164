"""Domain core: state and rules of the emulated SMS world. Nothing in here knows about HTTP."""
