"""Developer tools run from the source tree (not by the server): generators of committed documents."""
