"""Frame sources, decoders and the scanning loop that runs apart from the web UI."""
