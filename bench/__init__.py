"""Benchmarks: the bot's speed against ceilings measured in the same run (`python3 dev.py bench`)."""
