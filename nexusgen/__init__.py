"""nexusgen: one service catalogue rendered into every build, ship and watch artifact."""

__version__ = "0.1.0"
